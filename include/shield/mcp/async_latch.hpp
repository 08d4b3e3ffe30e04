#pragma once
// AsyncLatch: a one-shot gate coroutines can wait on without blocking a thread. Used where
// one side must wait for another to finish (tasks/result for a task's end, a task's handler
// for the client's answers to its input requests).
//
// Threading: every member is safe from any thread. Waiters resume through a post to their
// own executor, never inline inside open() or a cancellation callback.
// Ownership: hold it in a shared_ptr; a wait keeps the latch alive until it resumes.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include <functional>

#include <boost/asio/awaitable.hpp>

#include "shield/util/cancellation.hpp"

namespace shield::mcp {

class AsyncLatch : public std::enable_shared_from_this<AsyncLatch> {
 public:
  static std::shared_ptr<AsyncLatch> create();

  // Opens the latch for good: every waiter resumes with true, later waits return at once.
  void open();
  [[nodiscard]] bool is_open() const;

  // Resolves to true once the latch is open, or to false when `cancel` trips first.
  boost::asio::awaitable<bool> wait(CancellationToken cancel = {});

 private:
  AsyncLatch() = default;
  // Resumes one waiting coroutine (posting to its executor) with whether the latch opened.
  using Handler = std::function<void(bool)>;
  struct Waiter {
    Handler handler;
    CancellationToken cancel;
    std::size_t hook = 0;
    bool hooked = false;
  };
  void enqueue(Handler handler, const CancellationToken& cancel);
  // Takes waiter `id` out (if still waiting) and resumes it with false.
  void drop(std::uint64_t id);
  static void resume(const Waiter& waiter, bool opened);

  mutable std::mutex mutex_;
  bool open_ = false;
  std::uint64_t next_id_ = 0;
  std::map<std::uint64_t, Waiter> waiters_;
};

}  // namespace shield::mcp
