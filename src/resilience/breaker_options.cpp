#include "shield/resilience/breaker_options.hpp"

#include <cmath>
#include <string>

#include <fmt/format.h>

namespace shield::resilience {
namespace {

double seconds(Clock::Duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

std::string_view to_string(BreakerMode mode) noexcept {
  switch (mode) {
    case BreakerMode::kConsecutiveFailures:
      return "consecutive";
    case BreakerMode::kFailureRate:
      return "rate";
  }
  return "unknown";
}

Result<BreakerMode> parse_breaker_mode(std::string_view text) {
  if (text == "consecutive") return BreakerMode::kConsecutiveFailures;
  if (text == "rate") return BreakerMode::kFailureRate;
  return fail(
      ErrorCode::kInvalidArgument,
      fmt::format("circuit breaker mode \"{}\" is unknown; use \"consecutive\" or \"rate\"", text));
}

Result<void> validate(const BreakerOptions& options) {
  if (options.failure_threshold < 1) {
    return fail(ErrorCode::kInvalidArgument,
                "circuit breaker failure_threshold must be at least 1 (got 0)");
  }
  if (options.open_duration <= Clock::Duration::zero()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("circuit breaker open_duration must be positive (got {} s)",
                            seconds(options.open_duration)));
  }
  if (options.half_open_probes < 1 || options.half_open_probes > kMaxHalfOpenProbes) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("circuit breaker half_open_probes must be between 1 and {} (got {})",
                            kMaxHalfOpenProbes, options.half_open_probes));
  }
  if (!std::isfinite(options.failure_rate_threshold) || options.failure_rate_threshold <= 0.0 ||
      options.failure_rate_threshold > 100.0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("circuit breaker failure_rate_threshold is a percentage above 0 and "
                            "at most 100 (got {})",
                            options.failure_rate_threshold));
  }
  if (options.minimum_calls < 1) {
    return fail(ErrorCode::kInvalidArgument,
                "circuit breaker minimum_calls must be at least 1 (got 0)");
  }
  if (options.window < kMinBreakerWindow) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("circuit breaker window must be at least {} s (got {} s)",
                            seconds(kMinBreakerWindow), seconds(options.window)));
  }
  return {};
}

}  // namespace shield::resilience
