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
  };
  auto body = readiness(sources);
  EXPECT_EQ(body["status"], "ready");
  EXPECT_EQ(body["listeners"]["mcp"], "127.0.0.1:8765");
  EXPECT_EQ(body["sessions"], 3);
  EXPECT_TRUE(body["version"].is_string());
}

TEST(ReadinessTest, NotReadyWhileStopping) {
  HealthSources sources{.listeners = {}, .sessions = {}, .stopping = [] { return true; }};
  EXPECT_EQ(readiness(sources)["status"], "stopping");
}

}  // namespace
}  // namespace shield::app
