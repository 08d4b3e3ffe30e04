#include "shield/backend/concurrency_limit.hpp"

#include <algorithm>
#include <deque>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace shield::backend {
namespace {

// A thread-safe one-shot wake-up: the releasing thread and the waiting coroutine may run on
// different threads, which a timer (not thread-safe) cannot span.
using WakeUp = boost::asio::experimental::concurrent_channel<void(boost::system::error_code)>;

struct Waiter {
  explicit Waiter(const boost::asio::any_io_executor& executor) : wake(executor, 1) {}
  WakeUp wake;
  bool granted = false;  // guarded by the limit's mutex
};

}  // namespace

struct ConcurrencyLimit::Permit::State {
  explicit State(std::size_t n) : limit(n) {}
  const std::size_t limit;
  mutable std::mutex mutex;
  std::size_t in_use = 0;
  std::deque<std::shared_ptr<Waiter>> waiters;

  // Hands the permit to the first waiter, or returns it to the pool.
  void release() {
    std::shared_ptr<Waiter> next;
    {
      const std::lock_guard lock(mutex);
      if (waiters.empty()) {
        --in_use;
        return;
      }
      next = std::move(waiters.front());
      waiters.pop_front();
      next->granted = true;
    }
    next->wake.try_send(boost::system::error_code{});
  }
};

ConcurrencyLimit::Permit& ConcurrencyLimit::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
  }
  return *this;
}

void ConcurrencyLimit::Permit::release() noexcept {
  if (auto state = std::move(state_)) state->release();
}

ConcurrencyLimit::ConcurrencyLimit(std::size_t limit)
    : state_(std::make_shared<Permit::State>(std::max<std::size_t>(limit, 1))) {}

boost::asio::awaitable<std::optional<ConcurrencyLimit::Permit>> ConcurrencyLimit::acquire(
    CancellationToken cancel) {
  if (cancel.cancelled()) co_return std::nullopt;
  {
    const std::lock_guard lock(state_->mutex);
    if (state_->in_use < state_->limit && state_->waiters.empty()) {
      ++state_->in_use;
      co_return Permit(state_);
    }
  }
  auto waiter = std::make_shared<Waiter>(co_await boost::asio::this_coro::executor);
  {
    const std::lock_guard lock(state_->mutex);
    if (state_->in_use < state_->limit && state_->waiters.empty()) {
      ++state_->in_use;
      co_return Permit(state_);
    }
    state_->waiters.push_back(waiter);
  }
  const std::weak_ptr<Permit::State> weak = state_;
  const std::size_t hook = cancel.on_cancel([weak, waiter] {
    const auto state = weak.lock();
    if (!state) return;
    {
      const std::lock_guard lock(state->mutex);
      if (waiter->granted) return;
      std::erase(state->waiters, waiter);
    }
    waiter->wake.try_send(boost::system::error_code{});
  });
  co_await waiter->wake.async_receive(boost::asio::as_tuple(boost::asio::use_awaitable));
  cancel.forget(hook);
  bool granted = false;
  {
    const std::lock_guard lock(state_->mutex);
    granted = waiter->granted;
  }
  if (!granted) co_return std::nullopt;
  co_return Permit(state_);
}

std::size_t ConcurrencyLimit::limit() const noexcept {
  return state_->limit;
}

std::size_t ConcurrencyLimit::in_use() const {
  const std::lock_guard lock(state_->mutex);
  return state_->in_use;
}

std::size_t ConcurrencyLimit::waiting() const {
  const std::lock_guard lock(state_->mutex);
  return state_->waiters.size();
}

}  // namespace shield::backend
