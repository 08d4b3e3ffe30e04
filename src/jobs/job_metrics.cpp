#include "job_metrics.hpp"

#include <string>

namespace shield::jobs::detail {
namespace {

constexpr std::array kAllKinds = {JobKind::kCrawl, JobKind::kIngest};
// "running" is left out: active_jobs already shows it, and a count of starts would double
// count resumed jobs without telling anything the final states do not.
constexpr std::array kCountedStates = {JobState::kQueued, JobState::kSucceeded, JobState::kFailed,
                                       JobState::kCancelled, JobState::kInterrupted};

// Jobs run from a fraction of a second (a small upload) to hours (a large crawl).
const prometheus::Histogram::BucketBoundaries& duration_buckets() {
  static const prometheus::Histogram::BucketBoundaries boundaries = {
      0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1'800, 3'600, 7'200, 21'600};
  return boundaries;
}

std::size_t index(JobKind kind) {
  return static_cast<std::size_t>(kind);
}

std::size_t index(JobState state) {
  return static_cast<std::size_t>(state);
}

}  // namespace

JobMetrics::JobMetrics(prometheus::Registry& registry)
    : queued_(prometheus::BuildGauge()
                  .Name("worker_queue_size")
                  .Help("Jobs accepted and waiting for a runner slot")
                  .Register(registry)
                  .Add({})),
      running_(prometheus::BuildGauge()
                   .Name("active_jobs")
                   .Help("Jobs whose runner is running")
                   .Register(registry)
                   .Add({})) {
  auto& totals = prometheus::BuildCounter()
                     .Name("jobs_total")
                     .Help(
                         "Jobs by kind and state: queued counts acceptances and retries; the "
                         "final states count each run that ended so")
                     .Register(registry);
  auto& durations = prometheus::BuildHistogram()
                        .Name("job_duration_seconds")
                        .Help("Time from the start of a job's run to its final state, per kind")
                        .Register(registry);
  for (JobKind kind : kAllKinds) {
    for (JobState state : kCountedStates) {
      totals_[index(kind)][index(state)] = &totals.Add(
          {{"kind", std::string(to_string(kind))}, {"state", std::string(to_string(state))}});
    }
    durations_[index(kind)] =
        &durations.Add({{"kind", std::string(to_string(kind))}}, duration_buckets());
  }
}

void JobMetrics::set_queued(std::size_t count) {
  queued_.Set(static_cast<double>(count));
}

void JobMetrics::set_running(std::size_t count) {
  running_.Set(static_cast<double>(count));
}

void JobMetrics::count(JobKind kind, JobState state) {
  if (auto* counter = totals_[index(kind)][index(state)]) counter->Increment();
}

void JobMetrics::observe_duration(JobKind kind, double seconds) {
  durations_[index(kind)]->Observe(seconds);
}

}  // namespace shield::jobs::detail
