#include "failure_rate_window.hpp"

#include <algorithm>

namespace shield::resilience {

FailureRateWindow::FailureRateWindow(Clock::Duration window)
    : width_(std::max(window / kBuckets, Clock::Duration(1))) {}

std::int64_t FailureRateWindow::index_of(Clock::TimePoint now) const {
  return static_cast<std::int64_t>(now.time_since_epoch() / width_);
}

void FailureRateWindow::record(Clock::TimePoint now, bool failure) {
  const std::int64_t index = index_of(now);
  Bucket& bucket = buckets_[static_cast<std::size_t>(((index % kBuckets) + kBuckets) % kBuckets)];
  if (bucket.index != index) bucket = Bucket{index, 0, 0};
  ++bucket.calls;
  if (failure) ++bucket.failures;
}

FailureRateWindow::Totals FailureRateWindow::totals(Clock::TimePoint now) const {
  const std::int64_t current = index_of(now);
  Totals totals;
  for (const Bucket& bucket : buckets_) {
    if (bucket.calls > 0 && bucket.index > current - kBuckets && bucket.index <= current) {
      totals.calls += bucket.calls;
      totals.failures += bucket.failures;
    }
  }
  return totals;
}

void FailureRateWindow::reset() {
  buckets_.fill(Bucket{});
}

}  // namespace shield::resilience
