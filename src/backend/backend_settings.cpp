#include "shield/backend/backend_settings.hpp"

#include <string>

namespace shield::backend {
namespace {

resilience::BreakerOptions breaker_options(const config::BackendConfig& section) {
  resilience::BreakerOptions options;
  options.mode = section.breaker_mode == "rate" ? resilience::BreakerMode::kFailureRate
                                                : resilience::BreakerMode::kConsecutiveFailures;
  options.failure_threshold = section.breaker_failure_threshold;
  options.open_duration = section.breaker_open;
  options.half_open_probes = section.breaker_half_open_probes;
  options.failure_rate_threshold = static_cast<double>(section.breaker_failure_rate);
  options.minimum_calls = section.breaker_minimum_calls;
  options.window = section.breaker_window;
  return options;
}

BackendSettings common(const config::BackendConfig& section, std::string name,
                       std::string display_name, AuthStyle auth, std::string auth_header) {
  BackendSettings settings;
  settings.name = std::move(name);
  settings.display_name = std::move(display_name);
  settings.base_url = section.url;
  // Request paths start with '/', so a trailing one would double it.
  while (settings.base_url.size() > 1 && settings.base_url.back() == '/') {
    settings.base_url.pop_back();
  }
  settings.secret = section.api_key.value;
  settings.auth = settings.secret.empty() ? AuthStyle::kNone : auth;
  if (settings.auth == AuthStyle::kHeader) settings.auth_header = std::move(auth_header);
  settings.connect_timeout = section.connect_timeout;
  settings.timeout = section.timeout;
  settings.max_response_bytes = section.max_response_bytes;
  settings.max_in_flight = static_cast<std::uint32_t>(section.max_in_flight);
  settings.breaker = breaker_options(section);
  settings.retry.max_attempts = section.retry_max_attempts;
  settings.retry.base_delay = section.retry_base_delay;
  settings.retry.max_delay = section.retry_max_delay;
  return settings;
}

}  // namespace

Result<BackendSettings> settings_for(const config::Config& config, std::string_view name) {
  if (name == "orchestrator") {
    return common(config.orchestrator, "orchestrator", "Orchestrator", AuthStyle::kBearer, {});
  }
  if (name == "qdrant") {
    return common(config.qdrant, "qdrant", "Qdrant", AuthStyle::kHeader, "api-key");
  }
  if (name == "embedder") {
    // Messages name the service people know, not our word for its role.
    const bool ollama = config.embedder.provider == "ollama";
    return common(config.embedder, "embedder", ollama ? "Ollama" : "Embedding service",
                  AuthStyle::kBearer, {});
  }
  if (name == "lightrag") {
    return common(config.lightrag, "lightrag", "LightRAG", AuthStyle::kHeader, "X-API-Key");
  }
  return fail(ErrorCode::kInvalidArgument,
              "unknown backend '" + std::string(name) +
                  "' (expected orchestrator, qdrant, embedder or lightrag)");
}

}  // namespace shield::backend
