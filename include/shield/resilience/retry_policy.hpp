#pragma once
// RetryPolicy: whether, and after how long, a failed backend call is tried again.
// Exponential backoff with full jitter (a uniform delay in [0, min(max_delay,
// base_delay * 2^(attempt-1))) ), so callers that failed together do not retry together.
// It never retries a call that is not idempotent (a retried write could apply twice), and
// never while the breaker is not closed (retries must not pile onto a backend that is
// failing, nor spend its half-open probe slots). A server's Retry-After is honoured as
// given, capped at max_delay.
//
// Threading: next_delay() is const and safe from any thread when the random source is (the
// default one is: it keeps one generator per thread).
// Ownership: holds its options and random source by value.
// Errors: the constructor throws std::invalid_argument for options validate() rejects (a
// start-up mistake).
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "shield/resilience/circuit_breaker.hpp"
#include "shield/util/clock.hpp"
#include "shield/util/error.hpp"

namespace shield::resilience {

struct RetryOptions {
  // Attempts in all, the first one included: 1 means never retry.
  std::uint32_t max_attempts = 3;
  Clock::Duration base_delay = std::chrono::milliseconds(100);
  Clock::Duration max_delay = std::chrono::seconds(5);
};

inline constexpr std::uint32_t kMaxRetryAttempts = 10;

// kInvalidArgument naming the field, the bad value and the accepted range.
[[nodiscard]] Result<void> validate(const RetryOptions& options);

class RetryPolicy {
 public:
  // Returns a value in [0, 1); values outside are clamped into it.
  using RandomSource = std::function<double()>;

  // An empty `random` uses a per-thread Mersenne Twister seeded from std::random_device.
  explicit RetryPolicy(RetryOptions options, RandomSource random = {});

  // The wait before the next attempt, or nullopt for "do not retry". `attempt` is the number
  // of attempts made so far (1 after the first failure). `retry_after` is the server's
  // Retry-After, when it sent one.
  [[nodiscard]] std::optional<Clock::Duration> next_delay(
      std::uint32_t attempt, bool idempotent, const CircuitBreaker& breaker,
      std::optional<Clock::Duration> retry_after = std::nullopt) const;

  [[nodiscard]] const RetryOptions& options() const noexcept { return options_; }

 private:
  RetryOptions options_;
  RandomSource random_;
};

}  // namespace shield::resilience
