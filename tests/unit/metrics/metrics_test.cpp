#include "shield/metrics/metrics.hpp"

#include <gtest/gtest.h>

namespace shield::metrics {
namespace {

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(MetricsTest, DeclaredToolHasZeroSeriesForEveryStatus) {
  Metrics metrics("1.2.3");
  metrics.declare_tool("qdrant_find");
  auto text = metrics.serialize();
  EXPECT_TRUE(contains(text, "# TYPE tool_calls_total counter"));
  for (const char* status : {"ok", "error", "cancelled"}) {
    EXPECT_TRUE(contains(
        text, std::string("tool_calls_total{status=\"") + status + "\",tool=\"qdrant_find\"} 0"))
        << text;
  }
  EXPECT_TRUE(contains(text, "tool_duration_seconds_count{tool=\"qdrant_find\"} 0"));
}

TEST(MetricsTest, ToolCallCountsAndBucketsCoverOneMillisecondToSixtySeconds) {
  Metrics metrics("1.2.3");
  metrics.record_tool_call("crawl_web", "ok", 0.0005);
  metrics.record_tool_call("crawl_web", "error", 45.0);
  auto text = metrics.serialize();
  EXPECT_TRUE(contains(text, "tool_calls_total{status=\"ok\",tool=\"crawl_web\"} 1"));
  EXPECT_TRUE(contains(text, "tool_calls_total{status=\"error\",tool=\"crawl_web\"} 1"));
  EXPECT_TRUE(contains(text, "tool_duration_seconds_bucket{tool=\"crawl_web\",le=\"0.001\"} 1"));
  EXPECT_TRUE(contains(text, "tool_duration_seconds_bucket{tool=\"crawl_web\",le=\"30\"} 1"));
  EXPECT_TRUE(contains(text, "tool_duration_seconds_bucket{tool=\"crawl_web\",le=\"60\"} 2"));
}

TEST(MetricsTest, ApiRequestsAndBuildInfo) {
  Metrics metrics("1.2.3");
  metrics.record_api_request("/mcp", "POST", 200, 0.002);
  metrics.set_active_sessions(4);
  auto text = metrics.serialize();
  EXPECT_TRUE(
      contains(text, "api_requests_total{endpoint=\"/mcp\",method=\"POST\",status=\"200\"} 1"));
  EXPECT_TRUE(contains(text, "api_duration_seconds_count{endpoint=\"/mcp\"} 1"));
  EXPECT_TRUE(contains(text, "mcp_active_sessions 4"));
  EXPECT_TRUE(contains(text, "build_info{name=\"shield-mcp\",version=\"1.2.3\"} 1"));
}

}  // namespace
}  // namespace shield::metrics
