#include <gtest/gtest.h>

#include "shield/app/health_routes.hpp"

namespace shield::app {
namespace {

TEST(ReadinessTest, ReportsListenersSessionsAndVersion) {
  HealthSources sources{
      .listeners =
          [] {
            return nlohmann::json{{"mcp", "127.0.0.1:8765"}};
          },
      .sessions = [] { return std::size_t{3}; },
      .stopping = [] { return false; },
      .backends = {},
      .degraded = {},
  };
  auto body = readiness(sources);
  EXPECT_EQ(body["status"], "ready");
  EXPECT_EQ(body["listeners"]["mcp"], "127.0.0.1:8765");
  EXPECT_EQ(body["sessions"], 3);
  EXPECT_TRUE(body["version"].is_string());
}

TEST(ReadinessTest, NotReadyWhileStopping) {
  HealthSources sources{.listeners = {},
                        .sessions = {},
                        .stopping = [] { return true; },
                        .backends = {},
                        .degraded = {}};
  EXPECT_EQ(readiness(sources)["status"], "stopping");
}

TEST(ReadinessTest, AnOpenBreakerIsDegradedButStillReady) {
  HealthSources sources{
      .listeners = {},
      .sessions = {},
      .stopping = [] { return false; },
      .backends =
          [] {
            return nlohmann::json{{"qdrant", {{"state", "open"}}}};
          },
      .degraded = [] { return true; },
  };
  auto body = readiness(sources);
  EXPECT_EQ(body["status"], "ready");
  EXPECT_EQ(body["degraded"], true);
  EXPECT_EQ(body["backends"]["qdrant"]["state"], "open");
}

}  // namespace
}  // namespace shield::app
