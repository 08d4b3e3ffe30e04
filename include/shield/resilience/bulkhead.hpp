#pragma once
// Bulkhead: caps the calls in flight to one backend, so a slow backend cannot tie up every
// connection and coroutine of the daemon. It never queues: a call over the limit is refused
// at once and the caller turns that into a "backend_busy" tool error.
//
// Threading: every member of Bulkhead and BulkheadSlot is safe from any thread (lock-free).
// Ownership: a slot keeps the shared counter alive, so a slot may outlive its Bulkhead.
// Errors: the constructor throws std::invalid_argument for a limit of 0 (a start-up
// mistake); try_enter() returns kResourceExhausted on overflow.
#include <cstdint>
#include <memory>
#include <string>

#include "shield/util/error.hpp"

namespace shield::resilience {

// One call's place in the bulkhead, given back when the slot is destroyed, assigned over or
// release()d. Move-only; a moved-from slot holds nothing.
class BulkheadSlot {
 public:
  BulkheadSlot() = default;
  BulkheadSlot(BulkheadSlot&& other) noexcept = default;
  BulkheadSlot& operator=(BulkheadSlot&& other) noexcept;
  BulkheadSlot(const BulkheadSlot&) = delete;
  BulkheadSlot& operator=(const BulkheadSlot&) = delete;
  ~BulkheadSlot() { release(); }

  // Gives the place back early; idempotent.
  void release() noexcept;
  [[nodiscard]] bool held() const noexcept { return state_ != nullptr; }

 private:
  friend class Bulkhead;
  struct State;
  explicit BulkheadSlot(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

class Bulkhead {
 public:
  // `backend` names it in error messages.
  Bulkhead(std::string backend, std::uint32_t max_in_flight);

  // A slot, or kResourceExhausted: "qdrant is busy: 8 calls in flight (limit 8)".
  [[nodiscard]] Result<BulkheadSlot> try_enter();

  [[nodiscard]] std::uint32_t in_flight() const noexcept;
  [[nodiscard]] std::uint32_t limit() const noexcept;
  [[nodiscard]] const std::string& backend() const noexcept;

 private:
  std::shared_ptr<BulkheadSlot::State> state_;
};

}  // namespace shield::resilience
