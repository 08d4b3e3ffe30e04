#pragma once
// ConcurrencyLimit: an asynchronous counting semaphore. Callers over the limit wait in FIFO
// order without blocking a thread (the coroutine is suspended), and leave the queue at once
// when their cancellation token trips. Used to cap the requests in flight toward an
// embedding provider, which (unlike the bulkhead) should queue rather than refuse: a batch
// store is many requests that all want to run, not an overload to shed.
//
// Threading: acquire() may be awaited from any thread; permits may be released on any
// thread. Ownership: a Permit keeps the shared state alive, so it may outlive the limit.
#include <cstddef>
#include <memory>
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "shield/util/cancellation.hpp"

namespace shield::backend {

class ConcurrencyLimit {
 public:
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& other) noexcept = default;
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { release(); }

    void release() noexcept;
    [[nodiscard]] bool held() const noexcept { return state_ != nullptr; }

   private:
    friend class ConcurrencyLimit;
    struct State;
    explicit Permit(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
  };

  // `limit` 0 is treated as 1: a provider always gets at least one request.
  explicit ConcurrencyLimit(std::size_t limit);

  // A permit, or nullopt when `cancel` tripped before one became free.
  boost::asio::awaitable<std::optional<Permit>> acquire(CancellationToken cancel = {});

  [[nodiscard]] std::size_t limit() const noexcept;
  [[nodiscard]] std::size_t in_use() const;
  [[nodiscard]] std::size_t waiting() const;

 private:
  std::shared_ptr<Permit::State> state_;
};

}  // namespace shield::backend
