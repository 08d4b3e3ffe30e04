#include "shield/resilience/backend_metrics.hpp"

#include <gtest/gtest.h>

#include "shield/metrics/metrics.hpp"
#include "shield/resilience/circuit_breaker.hpp"
#include "unit/resilience/metric_reader.hpp"

namespace shield::resilience {
namespace {

using std::chrono::milliseconds;
using test_support::read_metric;

TEST(BackendMetricsTest, RecordsOutcomesAndTimesOnlyCallsThatReachedTheNetwork) {
  metrics::Metrics metrics("test");
  BackendMetrics qdrant(metrics.registry(), "qdrant");
  auto& r = metrics.registry();

  qdrant.record_request(BackendOutcome::kSuccess, milliseconds(3));
  qdrant.record_request(BackendOutcome::kSuccess, milliseconds(4));
  qdrant.record_request(BackendOutcome::kServerError, milliseconds(20));
  qdrant.record_request(BackendOutcome::kCircuitOpen, milliseconds(0));
  qdrant.record_request(BackendOutcome::kBusy, milliseconds(0));

  EXPECT_EQ(
      read_metric(r, "backend_requests_total", {{"backend", "qdrant"}, {"outcome", "success"}}), 2);
  EXPECT_EQ(read_metric(r, "backend_requests_total",
                        {{"backend", "qdrant"}, {"outcome", "server_error"}}),
            1);
  EXPECT_EQ(read_metric(r, "backend_requests_total",
                        {{"backend", "qdrant"}, {"outcome", "circuit_open"}}),
            1);
  EXPECT_EQ(read_metric(r, "backend_requests_total", {{"backend", "qdrant"}, {"outcome", "busy"}}),
            1);
  EXPECT_EQ(
      read_metric(r, "backend_requests_total", {{"backend", "qdrant"}, {"outcome", "timeout"}}), 0);
  EXPECT_EQ(read_metric(r, "backend_request_duration_seconds", {{"backend", "qdrant"}}), 3);
  EXPECT_NE(metrics.serialize().find("backend_request_duration_seconds_sum{backend=\"qdrant\"} "
                                     "0.027"),
            std::string::npos);
}

TEST(BackendMetricsTest, BackendsShareFamiliesButNotSeries) {
  metrics::Metrics metrics("test");
  ManualClock clock;
  BackendMetrics qdrant_metrics(metrics.registry(), "qdrant");
  BackendMetrics lightrag_metrics(metrics.registry(), "lightrag");
  CircuitBreaker qdrant("qdrant", {}, clock, &qdrant_metrics);
  CircuitBreaker lightrag("lightrag", {}, clock, &lightrag_metrics);
  for (int i = 0; i < 5; ++i) qdrant.try_acquire()->record_failure("down");
  (void)qdrant.try_acquire();

  auto& r = metrics.registry();
  EXPECT_EQ(read_metric(r, "circuit_breaker_state", {{"backend", "qdrant"}}), 1);
  EXPECT_EQ(read_metric(r, "circuit_breaker_state", {{"backend", "lightrag"}}), 0);
  EXPECT_EQ(read_metric(r, "circuit_breaker_rejected_calls_total", {{"backend", "qdrant"}}), 1);
  EXPECT_EQ(read_metric(r, "circuit_breaker_rejected_calls_total", {{"backend", "lightrag"}}), 0);
  EXPECT_EQ(read_metric(r, "circuit_breaker_transitions_total",
                        {{"backend", "lightrag"}, {"to", "open"}}),
            0);
  const std::string text = metrics.serialize();
  EXPECT_NE(text.find("circuit_breaker_state{backend=\"qdrant\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("circuit_breaker_transitions_total{backend=\"qdrant\",to=\"open\"} 1"),
            std::string::npos)
      << text;
}

TEST(BackendMetricsTest, OutcomeNames) {
  EXPECT_EQ(to_string(BackendOutcome::kTransportError), "transport_error");
  EXPECT_EQ(to_string(BackendOutcome::kClientError), "client_error");
  EXPECT_EQ(to_string(BackendOutcome::kCancelled), "cancelled");
}

}  // namespace
}  // namespace shield::resilience
