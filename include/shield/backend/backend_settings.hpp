#pragma once
// Turns a backend section of the configuration ([orchestrator], [qdrant], [embedder],
// [lightrag]) into the BackendSettings a Backend is built from: the URL, how the API key
// is sent (bearer for the orchestrator and the embedder, "api-key" for Qdrant, "X-API-Key"
// for LightRAG), the timeouts and limits, and the breaker and retry options.
//
// Pure functions of their inputs; safe from any thread.
#include <array>
#include <string_view>

#include "shield/backend/backend.hpp"
#include "shield/config/config.hpp"
#include "shield/util/error.hpp"

namespace shield::backend {

// Every backend the configuration knows, in the order of the configuration file. The names
// are the section names, the breaker names and the `backend` metrics label.
inline constexpr std::array<std::string_view, 4> kBackendNames{"orchestrator", "qdrant", "embedder",
                                                               "lightrag"};

// The settings of backend `name` (one of kBackendNames). kInvalidArgument names the
// accepted backends when `name` is not one of them. The config is expected to have passed
// load_config(), whose bounds guarantee the breaker and retry options validate.
[[nodiscard]] Result<BackendSettings> settings_for(const config::Config& config,
                                                   std::string_view name);

}  // namespace shield::backend
