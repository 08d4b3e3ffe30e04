#pragma once
// BackendMetrics: the Prometheus series for one backend (orchestrator, qdrant, embedder,
// lightrag), shared by its circuit breaker and by the call wrapper in front of it:
//   circuit_breaker_state{backend}                  gauge: 0 closed, 1 open, 2 half-open
//   circuit_breaker_transitions_total{backend,to}   counter
//   circuit_breaker_rejected_calls_total{backend}   counter: calls refused by the breaker
//   backend_requests_total{backend,outcome}         counter, outcome from BackendOutcome
//   backend_request_duration_seconds{backend}       histogram, 1 ms .. 60 s
// Every series of the backend is created at construction with value 0 (for the gauge that
// reads closed), so dashboards and rate() see it before the first call.
//
// Threading: every method is safe from any thread (prometheus-cpp metrics are atomic).
// Ownership: registers on a registry it does not own (the daemon's
// shield::metrics::Metrics::registry()); the registry must outlive this object. Several
// BackendMetrics for different backends share the same families; two for the same backend
// share the same series. Nothing is removed on destruction.
#include <array>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "shield/resilience/breaker_state.hpp"
#include "shield/util/clock.hpp"

namespace shield::resilience {

// How one backend call ended. A bounded set, because it becomes a label value.
enum class BackendOutcome {
  kSuccess,         // 2xx (or whatever the caller counts as success)
  kClientError,     // 4xx other than 429: the caller's fault, not counted by the breaker
  kServerError,     // 5xx or 429
  kTransportError,  // connect refused, reset, TLS, malformed answer
  kTimeout,
  kCancelled,    // the caller gave up; never counted by the breaker
  kCircuitOpen,  // refused by the breaker before any I/O
  kBusy,         // refused by the bulkhead before any I/O
};

inline constexpr std::array kAllBackendOutcomes = {
    BackendOutcome::kSuccess,        BackendOutcome::kClientError, BackendOutcome::kServerError,
    BackendOutcome::kTransportError, BackendOutcome::kTimeout,     BackendOutcome::kCancelled,
    BackendOutcome::kCircuitOpen,    BackendOutcome::kBusy};

// "success", "client_error", "server_error", "transport_error", "timeout", "cancelled",
// "circuit_open", "busy": the outcome label values.
[[nodiscard]] std::string_view to_string(BackendOutcome outcome) noexcept;

class BackendMetrics {
 public:
  BackendMetrics(prometheus::Registry& registry, std::string backend);

  BackendMetrics(const BackendMetrics&) = delete;
  BackendMetrics& operator=(const BackendMetrics&) = delete;

  [[nodiscard]] const std::string& backend() const noexcept { return backend_; }

  // Called by CircuitBreaker.
  void set_state(BreakerState state);
  void record_transition(BreakerState to);
  void record_rejected();

  // Called by the call wrapper, once per HTTP attempt or refusal. `elapsed` feeds the
  // duration histogram only for outcomes that reached the network (not kCircuitOpen or
  // kBusy), so fail-fast refusals do not drag the latency quantiles toward zero.
  void record_request(BackendOutcome outcome, Clock::Duration elapsed);

 private:
  std::string backend_;
  prometheus::Gauge& state_;
  std::array<prometheus::Counter*, 3> transitions_{};  // indexed by BreakerState
  prometheus::Counter& rejected_;
  std::array<prometheus::Counter*, kAllBackendOutcomes.size()> requests_{};  // by BackendOutcome
  prometheus::Histogram& duration_;
};

}  // namespace shield::resilience
