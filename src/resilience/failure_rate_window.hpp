#pragma once
// FailureRateWindow: the calls and failures of the last `window`, for the breaker's
// failure-rate mode. Kept in a fixed ring of buckets, each a tenth of the window, so memory
// stays constant however many calls are made; a call therefore leaves the window between
// 0.9 and 1.0 window lengths after it was recorded.
// Threading: none; the breaker's mutex guards it.
#include <array>
#include <cstdint>

#include "shield/util/clock.hpp"

namespace shield::resilience {

class FailureRateWindow {
 public:
  static constexpr std::int64_t kBuckets = 10;

  struct Totals {
    std::uint32_t calls = 0;
    std::uint32_t failures = 0;
  };

  explicit FailureRateWindow(Clock::Duration window);

  void record(Clock::TimePoint now, bool failure);
  [[nodiscard]] Totals totals(Clock::TimePoint now) const;
  void reset();

 private:
  struct Bucket {
    std::int64_t index = -1;  // which bucket-width interval of the clock it holds
    std::uint32_t calls = 0;
    std::uint32_t failures = 0;
  };

  [[nodiscard]] std::int64_t index_of(Clock::TimePoint now) const;

  Clock::Duration width_;
  std::array<Bucket, kBuckets> buckets_{};
};

}  // namespace shield::resilience
