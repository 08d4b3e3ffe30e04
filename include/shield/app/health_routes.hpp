#pragma once
// GET /healthz (liveness: the loop answers), GET /readyz (readiness: listeners up, not
// shutting down, and each backend's breaker; an open breaker marks the daemon "degraded"
// but still ready, since the other tools keep working), GET /metrics.
#include <cstddef>
#include <functional>

#include <nlohmann/json.hpp>

#include "shield/http/router.hpp"
#include "shield/metrics/metrics.hpp"

namespace shield::app {

struct HealthSources {
  std::function<nlohmann::json()> listeners;
  std::function<std::size_t()> sessions;
  std::function<bool()> stopping;
  std::function<nlohmann::json()> backends;  // breaker state per backend
  std::function<bool()> degraded;            // a breaker is open: some tools fail fast
};

// /healthz is exempt from auth (probes carry no token); /readyz is not, as it reveals
// internal state.
void add_health_routes(http::Router& router, HealthSources sources);
void add_metrics_route(http::Router& router, metrics::Metrics& metrics);

// The bodies, as pure functions for tests.
nlohmann::json readiness(const HealthSources& sources);

}  // namespace shield::app
