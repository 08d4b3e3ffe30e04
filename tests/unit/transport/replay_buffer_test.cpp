#include "shield/transport/replay_buffer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace shield::transport {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ReplayBuffer, ReturnsOnlyEventsAfterTheGivenSequence) {
  ReplayBuffer buffer(8);
  buffer.push(1, "one");
  buffer.push(2, "two");
  buffer.push(3, "three");
  auto replay = buffer.after(1);
  EXPECT_THAT(replay.events, ElementsAre("two", "three"));
  EXPECT_TRUE(replay.complete);
  EXPECT_THAT(buffer.after(3).events, IsEmpty());
  EXPECT_THAT(buffer.after(0).events, ElementsAre("one", "two", "three"));
}

TEST(ReplayBuffer, DropsTheOldestPastCapacityAndSaysSo) {
  ReplayBuffer buffer(2);
  buffer.push(1, "one");
  buffer.push(2, "two");
  buffer.push(3, "three");
  EXPECT_EQ(buffer.size(), 2u);
  // The client saw event 2: everything after it is still kept.
  auto intact = buffer.after(2);
  EXPECT_THAT(intact.events, ElementsAre("three"));
  EXPECT_TRUE(intact.complete);
  // The client saw only the priming event 0: event 1 is gone.
  auto gap = buffer.after(0);
  EXPECT_THAT(gap.events, ElementsAre("two", "three"));
  EXPECT_FALSE(gap.complete);
  // Having seen event 1 exactly, nothing it needs was dropped.
  EXPECT_TRUE(buffer.after(1).complete);
}

TEST(ReplayBuffer, ZeroCapacityKeepsNothing) {
  ReplayBuffer buffer(0);
  buffer.push(1, "one");
  EXPECT_EQ(buffer.size(), 0u);
  auto replay = buffer.after(0);
  EXPECT_THAT(replay.events, IsEmpty());
  EXPECT_FALSE(replay.complete);
  EXPECT_TRUE(buffer.after(1).complete);
}

}  // namespace
}  // namespace shield::transport
