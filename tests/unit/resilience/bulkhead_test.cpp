#include "shield/resilience/bulkhead.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace shield::resilience {
namespace {

TEST(BulkheadTest, RefusesAtOnceOverTheLimitWithAClearError) {
  Bulkhead bulkhead("qdrant", 2);
  auto a = bulkhead.try_enter();
  auto b = bulkhead.try_enter();
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(bulkhead.in_flight(), 2U);

  auto c = bulkhead.try_enter();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(c.error().message, "qdrant is busy: 2 calls in flight (limit 2)");
  EXPECT_EQ(bulkhead.in_flight(), 2U) << "a refusal must not take a place";

  a = shield::fail(ErrorCode::kInternal, "dropped");
  EXPECT_EQ(bulkhead.in_flight(), 1U);
  auto d = bulkhead.try_enter();
  ASSERT_TRUE(d);
  EXPECT_EQ(bulkhead.in_flight(), 2U);
}

TEST(BulkheadTest, SlotFreesOnDestructionAndOnceOnly) {
  Bulkhead bulkhead("embedder", 1);
  {
    auto slot = bulkhead.try_enter();
    ASSERT_TRUE(slot);
    EXPECT_TRUE(slot->held());
    EXPECT_EQ(bulkhead.in_flight(), 1U);
    slot->release();
    EXPECT_FALSE(slot->held());
    EXPECT_EQ(bulkhead.in_flight(), 0U);
    slot->release();
    EXPECT_EQ(bulkhead.in_flight(), 0U);
  }
  EXPECT_EQ(bulkhead.in_flight(), 0U);
  {
    auto slot = bulkhead.try_enter();
    ASSERT_TRUE(slot);
  }
  EXPECT_EQ(bulkhead.in_flight(), 0U);
}

TEST(BulkheadTest, MovesTransferTheSlotWithoutLeaking) {
  Bulkhead bulkhead("lightrag", 2);
  auto first = bulkhead.try_enter();
  ASSERT_TRUE(first);
  BulkheadSlot moved(std::move(*first));
  EXPECT_FALSE(first->held());
  EXPECT_TRUE(moved.held());
  first = shield::fail(ErrorCode::kInternal, "dropped");
  EXPECT_EQ(bulkhead.in_flight(), 1U);

  auto second = bulkhead.try_enter();
  ASSERT_TRUE(second);
  EXPECT_EQ(bulkhead.in_flight(), 2U);
  moved = std::move(*second);  // gives back the place `moved` held
  EXPECT_EQ(bulkhead.in_flight(), 1U);
  BulkheadSlot& same = moved;  // a self-move through an alias, as generic code can do
  moved = std::move(same);
  EXPECT_EQ(bulkhead.in_flight(), 1U);
  EXPECT_TRUE(moved.held());  // NOLINT(bugprone-use-after-move): self-move keeps the slot

  BulkheadSlot empty;
  EXPECT_FALSE(empty.held());
  moved = std::move(empty);
  EXPECT_EQ(bulkhead.in_flight(), 0U);
}

TEST(BulkheadTest, NoLeakAfterManyAcquiresReleasesAndMoves) {
  Bulkhead bulkhead("orchestrator", 8);
  std::vector<BulkheadSlot> held;
  for (int round = 0; round < 1000; ++round) {
    while (true) {
      auto slot = bulkhead.try_enter();
      if (!slot) break;
      held.push_back(std::move(*slot));  // vector growth moves the earlier slots too
    }
    ASSERT_EQ(held.size(), 8U);
    ASSERT_EQ(bulkhead.in_flight(), 8U);
    std::optional<BulkheadSlot> parked(std::move(held.back()));
    held.pop_back();
    held.erase(held.begin(), held.begin() + round % 8);
    EXPECT_EQ(bulkhead.in_flight(), 8U - static_cast<unsigned>(round % 8));
    held.clear();
    EXPECT_EQ(bulkhead.in_flight(), 1U);
    parked.reset();
    ASSERT_EQ(bulkhead.in_flight(), 0U);
  }
}

TEST(BulkheadTest, ConcurrentCallersNeverExceedTheLimit) {
  constexpr std::uint32_t kLimit = 3;
  constexpr int kThreads = 4;
  Bulkhead bulkhead("qdrant", kLimit);
  std::atomic<std::uint32_t> peak{0};
  std::atomic<int> refused{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < 20'000; ++i) {
        auto slot = bulkhead.try_enter();
        if (!slot) {
          refused.fetch_add(1);
          continue;
        }
        const std::uint32_t now = bulkhead.in_flight();
        std::uint32_t seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(peak.load(), kLimit);
  EXPECT_GE(peak.load(), 1U);
  EXPECT_EQ(bulkhead.in_flight(), 0U);
}

TEST(BulkheadTest, SlotMayOutliveTheBulkhead) {
  std::optional<BulkheadSlot> slot;
  {
    Bulkhead bulkhead("qdrant", 1);
    auto s = bulkhead.try_enter();
    ASSERT_TRUE(s);
    slot.emplace(std::move(*s));
  }
  EXPECT_TRUE(slot->held());
  slot.reset();
}

TEST(BulkheadTest, ZeroLimitIsAStartUpError) {
  try {
    Bulkhead bulkhead("qdrant", 0);
    FAIL() << "constructed with limit 0";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "backend qdrant: max_in_flight must be at least 1 (got 0)");
  }
}

}  // namespace
}  // namespace shield::resilience
