#pragma once
// The daemon's Prometheus metrics. One instance, created at start-up and shared; every
// method is thread-safe (prometheus-cpp families are). Labels are bounded by design: tool
// names, endpoints and backend names come from our own registries, never from a request,
// a session id or a request id.
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace shield::metrics {

class Metrics {
 public:
  explicit Metrics(const std::string& version);

  // Creates every series of a tool at zero (called once per registered tool at start-up),
  // so rates and dashboards show 0 rather than "no data" before the first call.
  void declare_tool(const std::string& tool);
  // tool_calls_total{tool,status} (status: ok | error | cancelled) and
  // tool_duration_seconds{tool}.
  void record_tool_call(const std::string& tool, const std::string& status, double seconds);
  // api_requests_total{endpoint,method,status} and api_duration_seconds{endpoint}.
  // `endpoint` is a route name ("/mcp", "/healthz", "other"), never a raw path.
  void record_api_request(const std::string& endpoint, const std::string& method, unsigned status,
                          double seconds);
  // mcp_active_sessions.
  void set_active_sessions(double count);

  // Text exposition format 0.0.4, for GET /metrics.
  [[nodiscard]] std::string serialize() const;
  // For later modules (backends, jobs) to add their own families to the same exposition.
  [[nodiscard]] prometheus::Registry& registry() { return *registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& tool_calls_;
  prometheus::Family<prometheus::Histogram>& tool_duration_;
  prometheus::Family<prometheus::Counter>& api_requests_;
  prometheus::Family<prometheus::Histogram>& api_duration_;
  prometheus::Gauge& active_sessions_;
};

}  // namespace shield::metrics
