#include "shield/app/backend_set.hpp"

#include <stdexcept>

#include "shield/backend/backend_settings.hpp"
#include "shield/build_info.hpp"
#include "shield/metrics/metrics.hpp"
#include "shield/resilience/breaker_state.hpp"
#include "shield/util/clock.hpp"

namespace shield::app {
namespace {

http::ClientOptions client_options() {
  http::ClientOptions options;
  options.user_agent = std::string(build::kName) + "/" + build::kVersion;
  return options;
}

}  // namespace

BackendSet::BackendSet(boost::asio::io_context& io, const config::Config& config,
                       metrics::Metrics& metrics)
    : client_(io, client_options()) {
  for (auto name : backend::kBackendNames) {
    auto settings = backend::settings_for(config, name);
    if (!settings) {
      throw std::runtime_error("[" + std::string(name) + "]: " + settings.error().message);
    }
    backends_.emplace(std::string(name),
                      std::make_unique<backend::Backend>(std::move(*settings), client_, metrics,
                                                         SystemClock::instance()));
  }
  auto embedder_settings = backend::embedder_settings(config.embedder);
  if (!embedder_settings) {
    throw std::runtime_error("[embedder]: " + embedder_settings.error().message);
  }
  embedder_ =
      backend::make_embedder(*embedder_settings, *backends_.at("embedder"), &metrics.registry());
}

BackendSet::~BackendSet() = default;

tools::ToolDependencies BackendSet::tool_dependencies(const config::Config& config) {
  tools::ToolDependencies dependencies;
  dependencies.config = &config;
  dependencies.qdrant = backends_.at("qdrant").get();
  dependencies.embedder = embedder_.get();
  dependencies.orchestrator = backends_.at("orchestrator").get();
  dependencies.lightrag = backends_.at("lightrag").get();
  return dependencies;
}

nlohmann::json BackendSet::readiness() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, backend] : backends_) out[name] = backend->readiness();
  return out;
}

bool BackendSet::degraded() const {
  for (const auto& [name, backend] : backends_) {
    if (backend->snapshot().state == resilience::BreakerState::kOpen) return true;
  }
  return false;
}

void BackendSet::shutdown() {
  client_.shutdown();
}

}  // namespace shield::app
