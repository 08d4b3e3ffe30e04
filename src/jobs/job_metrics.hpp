#pragma once
// Internal to the jobs module: the engine's Prometheus series (documented in
// job_engine.hpp), all created at construction so they read 0 before the first job.
// Threading: every method is safe from any thread (prometheus-cpp metrics are atomic).
// Ownership: registers on a registry it does not own; the registry must outlive it.
#include <array>
#include <cstddef>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "shield/jobs/job.hpp"

namespace shield::jobs::detail {

class JobMetrics {
 public:
  explicit JobMetrics(prometheus::Registry& registry);

  void set_queued(std::size_t count);
  void set_running(std::size_t count);
  // jobs_total{kind,state}; `state` queued on accept and retry, or the final state of a run.
  void count(JobKind kind, JobState state);
  void observe_duration(JobKind kind, double seconds);

 private:
  static constexpr std::size_t kKinds = 2;
  static constexpr std::size_t kStates = 6;
  prometheus::Gauge& queued_;
  prometheus::Gauge& running_;
  std::array<std::array<prometheus::Counter*, kStates>, kKinds> totals_{};
  std::array<prometheus::Histogram*, kKinds> durations_{};
};

}  // namespace shield::jobs::detail
