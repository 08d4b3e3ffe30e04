#include "shield/resilience/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

namespace shield::resilience {
namespace {

double seconds(Clock::Duration d) {
  return std::chrono::duration<double>(d).count();
}

double thread_random() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

// The largest value below 1, so a source that returns exactly 1 still yields a delay
// strictly below the cap, as full jitter promises.
constexpr double kBelowOne = 1.0 - 1e-12;

}  // namespace

Result<void> validate(const RetryOptions& options) {
  if (options.max_attempts < 1 || options.max_attempts > kMaxRetryAttempts) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("retry max_attempts must be between 1 and {} (got {})",
                            kMaxRetryAttempts, options.max_attempts));
  }
  if (options.base_delay <= Clock::Duration::zero()) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("retry base_delay must be positive (got {} s)", seconds(options.base_delay)));
  }
  if (options.max_delay < options.base_delay) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("retry max_delay ({} s) must not be below base_delay ({} s)",
                            seconds(options.max_delay), seconds(options.base_delay)));
  }
  return {};
}

RetryPolicy::RetryPolicy(RetryOptions options, RandomSource random)
    : options_(options), random_(random ? std::move(random) : RandomSource(thread_random)) {
  if (auto valid = validate(options_); !valid) {
    throw std::invalid_argument(valid.error().message);
  }
}

std::optional<Clock::Duration> RetryPolicy::next_delay(
    std::uint32_t attempt, bool idempotent, const CircuitBreaker& breaker,
    std::optional<Clock::Duration> retry_after) const {
  if (!idempotent || attempt >= options_.max_attempts) return std::nullopt;
  if (breaker.state() != BreakerState::kClosed) return std::nullopt;
  if (retry_after) {
    return std::clamp(*retry_after, Clock::Duration::zero(), options_.max_delay);
  }
  // base * 2^(attempt-1), computed so a large attempt saturates at max_delay instead of
  // overflowing.
  Clock::Duration ceiling = options_.base_delay;
  for (std::uint32_t i = 1; i < attempt && ceiling < options_.max_delay; ++i) {
    ceiling = ceiling > options_.max_delay / 2 ? options_.max_delay : ceiling * 2;
  }
  ceiling = std::min(ceiling, options_.max_delay);
  double r = random_();
  if (!std::isfinite(r)) r = 0.0;
  r = std::clamp(r, 0.0, kBelowOne);
  return std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double, Clock::Duration::period>(r *
                                                             static_cast<double>(ceiling.count())));
}

}  // namespace shield::resilience
