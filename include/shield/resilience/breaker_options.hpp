#pragma once
// BreakerOptions: how one backend's circuit breaker decides to open, and for how long.
// A plain value: config code fills it in, validate() checks it before any breaker is built.
// The defaults are the project spec: open after 5 consecutive failures, stay open 60 s,
// then let 1 probe call through.
#include <chrono>
#include <cstdint>
#include <string_view>

#include "shield/util/clock.hpp"
#include "shield/util/error.hpp"

namespace shield::resilience {

enum class BreakerMode {
  // Opens after `failure_threshold` failures in a row; any success resets the run.
  kConsecutiveFailures,
  // Opens when, among the calls of the last `window`, at least `minimum_calls` were made and
  // at least `failure_rate_threshold` percent of them failed.
  kFailureRate,
};

// "consecutive" or "rate": the spelling used in config files.
[[nodiscard]] std::string_view to_string(BreakerMode mode) noexcept;
// Parses the config spelling; kInvalidArgument names the accepted values.
[[nodiscard]] Result<BreakerMode> parse_breaker_mode(std::string_view text);

struct BreakerOptions {
  BreakerMode mode = BreakerMode::kConsecutiveFailures;
  // Consecutive-failures mode only.
  std::uint32_t failure_threshold = 5;
  // Both modes: time spent open before probing, and how many probes decide the outcome.
  // The breaker closes after this many probe successes; one probe failure reopens it.
  Clock::Duration open_duration = std::chrono::seconds(60);
  std::uint32_t half_open_probes = 1;
  // Failure-rate mode only. The window slides in steps of a tenth of its length.
  double failure_rate_threshold = 50.0;  // percent, in (0, 100]
  std::uint32_t minimum_calls = 10;
  Clock::Duration window = std::chrono::seconds(60);
};

// Bounds on the values above; validate() quotes them in its messages.
inline constexpr std::uint32_t kMaxHalfOpenProbes = 1000;
inline constexpr Clock::Duration kMinBreakerWindow = std::chrono::seconds(1);

// kInvalidArgument with a message naming the field, the bad value and the accepted range.
// Fields of the mode not in use are still checked, so a config switch cannot surprise later.
[[nodiscard]] Result<void> validate(const BreakerOptions& options);

}  // namespace shield::resilience
