#include "shield/resilience/backend_metrics.hpp"

#include <chrono>
#include <cstddef>

namespace shield::resilience {
namespace {

// 1 ms to 60 s: the same boundaries as tool_duration_seconds, so a tool's time and the
// backend time inside it can be compared bucket by bucket.
const prometheus::Histogram::BucketBoundaries& duration_buckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return kBuckets;
}

constexpr std::array kAllStates = {BreakerState::kClosed, BreakerState::kOpen,
                                   BreakerState::kHalfOpen};

std::string label(std::string_view value) {
  return std::string(value);
}

}  // namespace

std::string_view to_string(BackendOutcome outcome) noexcept {
  switch (outcome) {
    case BackendOutcome::kSuccess:
      return "success";
    case BackendOutcome::kClientError:
      return "client_error";
    case BackendOutcome::kServerError:
      return "server_error";
    case BackendOutcome::kTransportError:
      return "transport_error";
    case BackendOutcome::kTimeout:
      return "timeout";
    case BackendOutcome::kCancelled:
      return "cancelled";
    case BackendOutcome::kCircuitOpen:
      return "circuit_open";
    case BackendOutcome::kBusy:
      return "busy";
  }
  return "unknown";
}

// The help strings must be identical for every backend: the registry merges same-named
// families only when they match.
BackendMetrics::BackendMetrics(prometheus::Registry& registry, std::string backend)
    : backend_(std::move(backend)),
      state_(prometheus::BuildGauge()
                 .Name("circuit_breaker_state")
                 .Help("Circuit breaker state per backend: 0 closed, 1 open, 2 half-open")
                 .Register(registry)
                 .Add({{"backend", backend_}})),
      rejected_(prometheus::BuildCounter()
                    .Name("circuit_breaker_rejected_calls_total")
                    .Help("Backend calls refused by an open or saturated half-open breaker")
                    .Register(registry)
                    .Add({{"backend", backend_}})),
      duration_(prometheus::BuildHistogram()
                    .Name("backend_request_duration_seconds")
                    .Help("Time of backend calls that reached the network, per backend")
                    .Register(registry)
                    .Add({{"backend", backend_}}, duration_buckets())) {
  auto& transitions = prometheus::BuildCounter()
                          .Name("circuit_breaker_transitions_total")
                          .Help("Circuit breaker state changes, by the state entered")
                          .Register(registry);
  for (BreakerState to : kAllStates) {
    transitions_[static_cast<std::size_t>(to)] =
        &transitions.Add({{"backend", backend_}, {"to", label(to_string(to))}});
  }
  auto& requests = prometheus::BuildCounter()
                       .Name("backend_requests_total")
                       .Help("Backend calls by outcome, refusals by breaker and bulkhead included")
                       .Register(registry);
  for (BackendOutcome outcome : kAllBackendOutcomes) {
    requests_[static_cast<std::size_t>(outcome)] =
        &requests.Add({{"backend", backend_}, {"outcome", label(to_string(outcome))}});
  }
}

void BackendMetrics::set_state(BreakerState state) {
  state_.Set(static_cast<double>(state));
}

void BackendMetrics::record_transition(BreakerState to) {
  transitions_[static_cast<std::size_t>(to)]->Increment();
}

void BackendMetrics::record_rejected() {
  rejected_.Increment();
}

void BackendMetrics::record_request(BackendOutcome outcome, Clock::Duration elapsed) {
  requests_[static_cast<std::size_t>(outcome)]->Increment();
  if (outcome != BackendOutcome::kCircuitOpen && outcome != BackendOutcome::kBusy) {
    duration_.Observe(std::chrono::duration<double>(elapsed).count());
  }
}

}  // namespace shield::resilience
