// settings_for(): every backend section of the configuration becomes BackendSettings with
// the right credentials style, limits, breaker and retry options, and a Backend can always
// be built from a configuration that loaded.
#include "shield/backend/backend_settings.hpp"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "shield/config/config_loader.hpp"
#include "shield/http/client.hpp"
#include "shield/metrics/metrics.hpp"
#include "unit/resilience/metric_reader.hpp"

namespace shield::backend {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

BackendSettings settings_of(const config::Config& config, std::string_view name) {
  auto settings = settings_for(config, name);
  EXPECT_TRUE(settings.has_value()) << settings.error().message;
  return settings ? *settings : BackendSettings{};
}

TEST(BackendSettingsFor, DefaultsNameEveryBackendAndSendNoCredentials) {
  const config::Config config;
  const std::vector<std::tuple<std::string, std::string, std::string, std::chrono::milliseconds>>
      expected = {{"orchestrator", "Orchestrator", "http://127.0.0.1:8000", 30'000ms},
                  {"qdrant", "Qdrant", "http://127.0.0.1:6333", 10'000ms},
                  {"embedder", "Ollama", "http://127.0.0.1:11434", 30'000ms},
                  {"lightrag", "LightRAG", "http://127.0.0.1:9621", 120'000ms}};
  ASSERT_EQ(kBackendNames.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& [name, display, url, timeout] = expected[i];
    EXPECT_EQ(kBackendNames[i], name);
    const BackendSettings s = settings_of(config, name);
    EXPECT_EQ(s.name, name);
    EXPECT_EQ(s.display_name, display);
    EXPECT_EQ(s.base_url, url);
    EXPECT_EQ(s.auth, AuthStyle::kNone);
    EXPECT_EQ(s.secret, "");
    EXPECT_EQ(s.connect_timeout, 2'000ms);
    EXPECT_EQ(s.timeout, timeout);
    EXPECT_EQ(s.max_response_bytes, 16u * 1024 * 1024);
    EXPECT_EQ(s.max_in_flight, 64u);
    EXPECT_EQ(s.breaker.mode, resilience::BreakerMode::kConsecutiveFailures);
    EXPECT_EQ(s.breaker.failure_threshold, 5u);
    EXPECT_EQ(s.breaker.open_duration, 60s);
    EXPECT_EQ(s.breaker.half_open_probes, 1u);
    EXPECT_EQ(s.breaker.failure_rate_threshold, 50.0);
    EXPECT_EQ(s.breaker.minimum_calls, 10u);
    EXPECT_EQ(s.breaker.window, 60s);
    EXPECT_EQ(s.retry.max_attempts, 3u);
    EXPECT_EQ(s.retry.base_delay, 100ms);
    EXPECT_EQ(s.retry.max_delay, 5s);
  }
}

TEST(BackendSettingsFor, EachBackendSendsItsKeyTheWayItExpects) {
  config::Config config;
  config.orchestrator.api_key = config::Secret{"o-key"};
  config.qdrant.api_key = config::Secret{"q-key"};
  config.embedder.api_key = config::Secret{"e-key"};
  config.lightrag.api_key = config::Secret{"l-key"};

  const BackendSettings orchestrator = settings_of(config, "orchestrator");
  EXPECT_EQ(orchestrator.auth, AuthStyle::kBearer);
  EXPECT_EQ(orchestrator.secret, "o-key");
  const BackendSettings qdrant = settings_of(config, "qdrant");
  EXPECT_EQ(qdrant.auth, AuthStyle::kHeader);
  EXPECT_EQ(qdrant.auth_header, "api-key");
  EXPECT_EQ(qdrant.secret, "q-key");
  const BackendSettings embedder = settings_of(config, "embedder");
  EXPECT_EQ(embedder.auth, AuthStyle::kBearer);
  EXPECT_EQ(embedder.secret, "e-key");
  const BackendSettings lightrag = settings_of(config, "lightrag");
  EXPECT_EQ(lightrag.auth, AuthStyle::kHeader);
  EXPECT_EQ(lightrag.auth_header, "X-API-Key");
  EXPECT_EQ(lightrag.secret, "l-key");
}

TEST(BackendSettingsFor, CopiesEveryLimitAndTheRateBreaker) {
  config::Config config;
  config::QdrantConfig& q = config.qdrant;
  q.url = "https://qdrant.example/prefix//";
  q.connect_timeout = 123ms;
  q.timeout = 4'567ms;
  q.max_response_bytes = 2048;
  q.max_in_flight = 9;
  q.breaker_mode = "rate";
  q.breaker_failure_threshold = 11;
  q.breaker_open = 2'500ms;
  q.breaker_half_open_probes = 3;
  q.breaker_failure_rate = 25;
  q.breaker_minimum_calls = 40;
  q.breaker_window = 30'000ms;
  q.retry_max_attempts = 7;
  q.retry_base_delay = 20ms;
  q.retry_max_delay = 900ms;
  const BackendSettings s = settings_of(config, "qdrant");
  EXPECT_EQ(s.base_url, "https://qdrant.example/prefix") << "request paths bring their own '/'";
  EXPECT_EQ(s.connect_timeout, 123ms);
  EXPECT_EQ(s.timeout, 4'567ms);
  EXPECT_EQ(s.max_response_bytes, 2048u);
  EXPECT_EQ(s.max_in_flight, 9u);
  EXPECT_EQ(s.breaker.mode, resilience::BreakerMode::kFailureRate);
  EXPECT_EQ(s.breaker.failure_threshold, 11u);
  EXPECT_EQ(s.breaker.open_duration, 2'500ms);
  EXPECT_EQ(s.breaker.half_open_probes, 3u);
  EXPECT_EQ(s.breaker.failure_rate_threshold, 25.0);
  EXPECT_EQ(s.breaker.minimum_calls, 40u);
  EXPECT_EQ(s.breaker.window, 30s);
  EXPECT_EQ(s.retry.max_attempts, 7u);
  EXPECT_EQ(s.retry.base_delay, 20ms);
  EXPECT_EQ(s.retry.max_delay, 900ms);
}

TEST(BackendSettingsFor, EmbeddingServiceIsNamedAfterItsProvider) {
  config::Config config;
  EXPECT_EQ(settings_of(config, "embedder").display_name, "Ollama");
  config.embedder.provider = "openai";
  EXPECT_EQ(settings_of(config, "embedder").display_name, "Embedding service");
}

TEST(BackendSettingsFor, UnknownBackendIsAnErrorListingTheKnownOnes) {
  auto settings = settings_for(config::Config{}, "redis");
  ASSERT_FALSE(settings.has_value());
  EXPECT_EQ(settings.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(settings.error().message,
            "unknown backend 'redis' (expected orchestrator, qdrant, embedder or lightrag)");
}

// The config bounds and resilience::validate() agree: the extremes config accepts build a
// breaker, a retry policy and a bulkhead without throwing, for every backend.
TEST(BackendSettingsFor, EveryLoadableConfigBuildsItsBackends) {
  std::string toml;
  for (std::string_view name : kBackendNames) {
    toml += "[" + std::string(name) + "]\n" +
            "breaker_failure_threshold = 1\nbreaker_open_ms = 1\nbreaker_half_open_probes = 1000\n"
            "breaker_failure_rate = 100\nbreaker_minimum_calls = 1\nbreaker_window_ms = 1000\n"
            "retry_max_attempts = 10\nretry_base_delay_ms = 600000\nretry_max_delay_ms = 600000\n"
            "max_in_flight = 1\nconnect_timeout_ms = 1\ntimeout_ms = 1\n"
            "max_response_bytes = 1024\nbreaker_mode = \"rate\"\n";
    if (name == "embedder") toml += "max_concurrency = 1\n";
  }
  auto loaded = config::parse_config(toml, "extremes.toml", {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;

  boost::asio::io_context io;
  http::Client client(io);
  metrics::Metrics metrics("test");
  for (std::string_view name : kBackendNames) {
    const BackendSettings settings = settings_of(*loaded, name);
    std::unique_ptr<Backend> backend;
    EXPECT_NO_THROW(
        backend = std::make_unique<Backend>(settings, client, metrics, SystemClock::instance()))
        << name;
    if (!backend) continue;
    EXPECT_EQ(backend->name(), name);
    EXPECT_EQ(backend->base_url(), settings.base_url);
    EXPECT_EQ(backend->snapshot().state, resilience::BreakerState::kClosed);
    EXPECT_EQ(backend->in_flight(), 0u);
    // Its series exist before the first call, reading closed and zero.
    EXPECT_EQ(resilience::test_support::read_metric(metrics.registry(), "circuit_breaker_state",
                                                    {{"backend", std::string(name)}}),
              0.0);
    EXPECT_EQ(resilience::test_support::read_metric(
                  metrics.registry(), "backend_requests_total",
                  {{"backend", std::string(name)}, {"outcome", "success"}}),
              0.0);
  }
}

TEST(BackendConstruction, EmptyBaseUrlIsAStartUpError) {
  boost::asio::io_context io;
  http::Client client(io);
  metrics::Metrics metrics("test");
  BackendSettings settings;
  settings.name = "qdrant";
  try {
    Backend backend(settings, client, metrics, SystemClock::instance());
    ADD_FAILURE() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_THAT(error.what(), HasSubstr("backend qdrant: the base URL is empty"));
  }
}

}  // namespace
}  // namespace shield::backend
