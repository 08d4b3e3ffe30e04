#pragma once
// GET /healthz (liveness: the loop answers), GET /readyz (readiness: listeners up, not
// shutting down; later issues add backend breakers and the job store), GET /metrics.
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
};

// /healthz is exempt from auth (probes carry no token); /readyz is not, as it reveals
// internal state.
void add_health_routes(http::Router& router, HealthSources sources);
void add_metrics_route(http::Router& router, metrics::Metrics& metrics);

// The bodies, as pure functions for tests.
nlohmann::json readiness(const HealthSources& sources);

}  // namespace shield::app
