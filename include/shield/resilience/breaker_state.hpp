#pragma once
// BreakerState: the three states of a circuit breaker. The numeric values are the ones the
// circuit_breaker_state gauge exports, so dashboards and alerts can rely on them.
#include <string_view>

namespace shield::resilience {

enum class BreakerState {
  kClosed = 0,    // calls flow; outcomes are counted
  kOpen = 1,      // calls fail fast until the open time has passed
  kHalfOpen = 2,  // a bounded number of probe calls decide between closed and open
};

// "closed", "open" or "half_open": the spelling used in metrics labels, logs and /readyz.
[[nodiscard]] std::string_view to_string(BreakerState state) noexcept;

}  // namespace shield::resilience
