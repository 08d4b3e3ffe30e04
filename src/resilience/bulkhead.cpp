#include "shield/resilience/bulkhead.hpp"

#include <atomic>
#include <stdexcept>

#include <fmt/format.h>

namespace shield::resilience {

struct BulkheadSlot::State {
  State(std::string b, std::uint32_t l) : backend(std::move(b)), limit(l) {}
  const std::string backend;
  const std::uint32_t limit;
  std::atomic<std::uint32_t> in_flight{0};
};

BulkheadSlot& BulkheadSlot::operator=(BulkheadSlot&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
  }
  return *this;
}

void BulkheadSlot::release() noexcept {
  if (state_) {
    state_->in_flight.fetch_sub(1, std::memory_order_acq_rel);
    state_.reset();
  }
}

Bulkhead::Bulkhead(std::string backend, std::uint32_t max_in_flight) {
  if (max_in_flight == 0) {
    throw std::invalid_argument("backend " + backend +
                                ": max_in_flight must be at least 1 (got 0)");
  }
  state_ = std::make_shared<BulkheadSlot::State>(std::move(backend), max_in_flight);
}

Result<BulkheadSlot> Bulkhead::try_enter() {
  // A compare-and-swap loop rather than fetch_add-then-undo, so in_flight() never reads
  // above the limit, even for an instant.
  std::uint32_t current = state_->in_flight.load(std::memory_order_relaxed);
  do {
    if (current >= state_->limit) {
      return fail(ErrorCode::kResourceExhausted,
                  fmt::format("{} is busy: {} calls in flight (limit {})", state_->backend, current,
                              state_->limit));
    }
  } while (!state_->in_flight.compare_exchange_weak(current, current + 1, std::memory_order_acq_rel,
                                                    std::memory_order_relaxed));
  return BulkheadSlot(state_);
}

std::uint32_t Bulkhead::in_flight() const noexcept {
  return state_->in_flight.load(std::memory_order_acquire);
}

std::uint32_t Bulkhead::limit() const noexcept {
  return state_->limit;
}

const std::string& Bulkhead::backend() const noexcept {
  return state_->backend;
}

}  // namespace shield::resilience
