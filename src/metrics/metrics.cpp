#include "shield/metrics/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace shield::metrics {
namespace {

// 1 ms to 60 s, roughly x2.5 per step: fine where MCP calls live, coarse for slow crawls.
const prometheus::Histogram::BucketBoundaries& duration_buckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return kBuckets;
}

}  // namespace

Metrics::Metrics(const std::string& version)
    : registry_(std::make_shared<prometheus::Registry>()),
      tool_calls_(prometheus::BuildCounter()
                      .Name("tool_calls_total")
                      .Help("MCP tools/call requests by tool and outcome")
                      .Register(*registry_)),
      tool_duration_(prometheus::BuildHistogram()
                         .Name("tool_duration_seconds")
                         .Help("Time from tools/call receipt to its result, by tool")
                         .Register(*registry_)),
      api_requests_(prometheus::BuildCounter()
                        .Name("api_requests_total")
                        .Help("HTTP requests served on the MCP listener")
                        .Register(*registry_)),
      api_duration_(prometheus::BuildHistogram()
                        .Name("api_duration_seconds")
                        .Help("HTTP request handling time on the MCP listener, by endpoint")
                        .Register(*registry_)),
      active_sessions_(prometheus::BuildGauge()
                           .Name("mcp_active_sessions")
                           .Help("Open MCP sessions (legacy revisions; stateless has none)")
                           .Register(*registry_)
                           .Add({})) {
  prometheus::BuildGauge()
      .Name("build_info")
      .Help("Build information; the value is always 1")
      .Register(*registry_)
      .Add({{"version", version}, {"name", "shield-mcp"}})
      .Set(1);
}

void Metrics::declare_tool(const std::string& tool) {
  for (const char* status : {"ok", "error", "cancelled"}) {
    tool_calls_.Add({{"tool", tool}, {"status", status}});
  }
  tool_duration_.Add({{"tool", tool}}, duration_buckets());
}

void Metrics::record_tool_call(const std::string& tool, const std::string& status, double seconds) {
  tool_calls_.Add({{"tool", tool}, {"status", status}}).Increment();
  tool_duration_.Add({{"tool", tool}}, duration_buckets()).Observe(seconds);
}

void Metrics::record_api_request(const std::string& endpoint, const std::string& method,
                                 unsigned status, double seconds) {
  api_requests_
      .Add({{"endpoint", endpoint}, {"method", method}, {"status", std::to_string(status)}})
      .Increment();
  api_duration_.Add({{"endpoint", endpoint}}, duration_buckets()).Observe(seconds);
}

void Metrics::set_active_sessions(double count) {
  active_sessions_.Set(count);
}

std::string Metrics::serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace shield::metrics
