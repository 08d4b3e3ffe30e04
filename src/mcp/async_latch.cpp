#include "shield/mcp/async_latch.hpp"

#include <utility>
#include <vector>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace shield::mcp {

std::shared_ptr<AsyncLatch> AsyncLatch::create() {
  return std::shared_ptr<AsyncLatch>(new AsyncLatch());
}

void AsyncLatch::open() {
  std::map<std::uint64_t, Waiter> waiters;
  {
    std::lock_guard lock(mutex_);
    if (open_) return;
    open_ = true;
    waiters.swap(waiters_);
  }
  for (const auto& [id, waiter] : waiters) resume(waiter, true);
}

bool AsyncLatch::is_open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

boost::asio::awaitable<bool> AsyncLatch::wait(CancellationToken cancel) {
  // The initiation may resume the coroutine on another thread before it returns, so it
  // keeps everything it touches afterwards in the latch (under the mutex), never in this
  // frame. It is a named object, not a temporary of the co_await expression: GCC 12
  // destroys such temporaries twice.
  auto initiation = [self = shared_from_this(), cancel](auto handler) {
    // The awaitable's handler is move-only; Handler must be copyable.
    auto executor = boost::asio::get_associated_executor(handler);
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    self->enqueue(
        [executor, shared](bool opened) {
          boost::asio::post(executor, [shared, opened] { std::move (*shared)(opened); });
        },
        cancel);
  };
  const bool opened =
      co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void(bool)>(
          std::move(initiation), boost::asio::use_awaitable);
  co_return opened;
}

void AsyncLatch::enqueue(Handler handler, const CancellationToken& cancel) {
  std::uint64_t id = 0;
  {
    std::unique_lock lock(mutex_);
    if (open_ || cancel.cancelled()) {
      const bool opened = open_;
      lock.unlock();
      resume(Waiter{std::move(handler), {}, 0, false}, opened);
      return;
    }
    id = next_id_++;
    waiters_.emplace(id, Waiter{std::move(handler), cancel, 0, false});
  }
  // Registered outside the lock: a token that is already tripped runs the callback right
  // here, and drop() takes the lock.
  std::weak_ptr<AsyncLatch> weak = shared_from_this();
  const std::size_t hook = cancel.on_cancel([weak, id] {
    if (const auto latch = weak.lock()) latch->drop(id);
  });
  std::unique_lock lock(mutex_);
  if (const auto it = waiters_.find(id); it != waiters_.end()) {
    it->second.hook = hook;
    it->second.hooked = true;
    return;
  }
  lock.unlock();
  // Already resumed by open() or drop(): the hook has nothing left to do.
  cancel.forget(hook);
}

void AsyncLatch::drop(std::uint64_t id) {
  std::unique_lock lock(mutex_);
  const auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  Waiter waiter = std::move(it->second);
  waiters_.erase(it);
  lock.unlock();
  resume(waiter, false);
}

void AsyncLatch::resume(const Waiter& waiter, bool opened) {
  if (waiter.hooked) waiter.cancel.forget(waiter.hook);
  waiter.handler(opened);
}

}  // namespace shield::mcp
