#include "shield/backend/concurrency_limit.hpp"

#include <optional>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace shield::backend {
namespace {

using Permit = ConcurrencyLimit::Permit;

// Each acquirer stores its outcome in a slot the test inspects after running the loop.
struct Slot {
  bool done = false;
  std::optional<Permit> permit;
};

// Runs every ready handler; waiters still queued stay suspended (run() would wait for them).
void drain(boost::asio::io_context& io) {
  io.poll();
  io.restart();
}

void acquire_into(boost::asio::io_context& io, ConcurrencyLimit& limit, Slot& slot,
                  CancellationToken cancel = {}) {
  boost::asio::co_spawn(
      io,
      [&limit, &slot, cancel]() -> boost::asio::awaitable<void> {
        slot.permit = co_await limit.acquire(cancel);
        slot.done = true;
      },
      boost::asio::detached);
}

TEST(ConcurrencyLimit, GrantsUpToTheLimitAtOnce) {
  boost::asio::io_context io;
  ConcurrencyLimit limit(2);
  Slot a, b, c;
  acquire_into(io, limit, a);
  acquire_into(io, limit, b);
  acquire_into(io, limit, c);
  drain(io);
  EXPECT_TRUE(a.done && a.permit && a.permit->held());
  EXPECT_TRUE(b.done && b.permit && b.permit->held());
  EXPECT_FALSE(c.done);
  EXPECT_EQ(limit.in_use(), 2U);
  EXPECT_EQ(limit.waiting(), 1U);

  a.permit.reset();  // hands the permit to the waiter
  drain(io);
  EXPECT_TRUE(c.done && c.permit && c.permit->held());
  EXPECT_EQ(limit.in_use(), 2U);
  EXPECT_EQ(limit.waiting(), 0U);

  b.permit.reset();
  c.permit.reset();
  EXPECT_EQ(limit.in_use(), 0U);
}

TEST(ConcurrencyLimit, WaitersAreServedInArrivalOrder) {
  boost::asio::io_context io;
  ConcurrencyLimit limit(1);
  Slot first, second, third;
  acquire_into(io, limit, first);
  drain(io);
  acquire_into(io, limit, second);
  drain(io);
  acquire_into(io, limit, third);
  drain(io);
  ASSERT_TRUE(first.done);
  EXPECT_EQ(limit.waiting(), 2U);

  first.permit->release();
  drain(io);
  EXPECT_TRUE(second.done);
  EXPECT_FALSE(third.done);

  second.permit.reset();
  drain(io);
  EXPECT_TRUE(third.done);
}

TEST(ConcurrencyLimit, ACancelledWaiterLeavesTheQueueWithoutAPermit) {
  boost::asio::io_context io;
  ConcurrencyLimit limit(1);
  Slot holder, waiter, next;
  CancellationSource source;
  acquire_into(io, limit, holder);
  acquire_into(io, limit, waiter, source.token());
  acquire_into(io, limit, next);
  drain(io);
  EXPECT_EQ(limit.waiting(), 2U);

  source.cancel("test");
  drain(io);
  EXPECT_TRUE(waiter.done);
  EXPECT_FALSE(waiter.permit.has_value());
  EXPECT_EQ(limit.waiting(), 1U);

  // The permit skips the cancelled waiter and goes to the next one.
  holder.permit.reset();
  drain(io);
  EXPECT_TRUE(next.done && next.permit && next.permit->held());
  EXPECT_EQ(limit.in_use(), 1U);
}

TEST(ConcurrencyLimit, AnAlreadyCancelledTokenGetsNoPermitEvenWhenOneIsFree) {
  boost::asio::io_context io;
  ConcurrencyLimit limit(1);
  CancellationSource source;
  source.cancel();
  Slot slot;
  acquire_into(io, limit, slot, source.token());
  drain(io);
  EXPECT_TRUE(slot.done);
  EXPECT_FALSE(slot.permit.has_value());
  EXPECT_EQ(limit.in_use(), 0U);
}

TEST(ConcurrencyLimit, MovingAPermitKeepsOneHold) {
  boost::asio::io_context io;
  ConcurrencyLimit limit(1);
  Slot slot;
  acquire_into(io, limit, slot);
  drain(io);
  Permit moved = std::move(*slot.permit);
  EXPECT_FALSE(slot.permit->held());
  EXPECT_TRUE(moved.held());
  slot.permit.reset();
  EXPECT_EQ(limit.in_use(), 1U);
  moved.release();
  moved.release();
  EXPECT_EQ(limit.in_use(), 0U);
}

TEST(ConcurrencyLimit, ZeroMeansOne) {
  ConcurrencyLimit limit(0);
  EXPECT_EQ(limit.limit(), 1U);
}

}  // namespace
}  // namespace shield::backend
