#include "shield/util/cancellation.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace shield {
namespace {

TEST(CancellationTest, DefaultTokenNeverCancels) {
  CancellationToken token;
  EXPECT_FALSE(token.cancelled());
  bool ran = false;
  EXPECT_EQ(token.on_cancel([&] { ran = true; }), 0U);
  EXPECT_FALSE(ran);
}

TEST(CancellationTest, CallbacksRunOnceWithFirstReason) {
  CancellationSource source;
  auto token = source.token();
  int runs = 0;
  token.on_cancel([&] { ++runs; });
  token.on_cancel([&] { ++runs; });
  source.cancel("client sent notifications/cancelled");
  source.cancel("shutdown");
  EXPECT_TRUE(token.cancelled());
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(token.reason(), "client sent notifications/cancelled");
}

TEST(CancellationTest, RegisteringAfterCancelRunsImmediately) {
  CancellationSource source;
  source.cancel("done");
  bool ran = false;
  source.token().on_cancel([&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST(CancellationTest, ForgottenCallbackDoesNotRun) {
  CancellationSource source;
  bool ran = false;
  auto id = source.token().on_cancel([&] { ran = true; });
  source.token().forget(id);
  source.cancel();
  EXPECT_FALSE(ran);
}

TEST(CancellationTest, CallbackMayRegisterOnSameTokenWithoutDeadlock) {
  CancellationSource source;
  auto token = source.token();
  bool inner = false;
  token.on_cancel([&] { token.on_cancel([&] { inner = true; }); });
  source.cancel();
  EXPECT_TRUE(inner);
}

TEST(CancellationTest, ConcurrentCancelRunsEachCallbackExactlyOnce) {
  CancellationSource source;
  std::atomic<int> runs{0};
  for (int i = 0; i < 100; ++i) source.token().on_cancel([&] { runs.fetch_add(1); });
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { source.cancel("race"); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(runs.load(), 100);
}

}  // namespace
}  // namespace shield
