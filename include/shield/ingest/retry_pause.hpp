#pragma once
// RetryPause: how SinkDelivery waits between two attempts. The daemon uses timer_pause() (a
// steady timer on the awaiting coroutine's executor); tests pass one that moves a
// ManualClock forward and returns at once, so no unit test sleeps.
//
// Contract: resolves true after `delay`, or false as soon as `cancel` trips (also when it
// had tripped before the call). Threading: awaited from any io_context thread.
#include <functional>

#include <boost/asio/awaitable.hpp>

#include "shield/util/cancellation.hpp"
#include "shield/util/clock.hpp"

namespace shield::ingest {

using RetryPause =
    std::function<boost::asio::awaitable<bool>(Clock::Duration delay, CancellationToken cancel)>;

[[nodiscard]] RetryPause timer_pause();

}  // namespace shield::ingest
