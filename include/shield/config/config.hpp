#pragma once
// The daemon's whole configuration, after TOML, environment (SHIELD_MCP_<SECTION>_<KEY>)
// and command-line flags have been applied, in that order of increasing precedence.
// Plain values: copyable, no behaviour. Every key is documented in config/shield-mcp.toml
// and docs/CONFIGURATION.md. Later issues add sections (backends, jobs, crawler, ...).
// A new key needs its field here, one row in src/config/config_schema.cpp, an entry in
// config/shield-mcp.toml (copied into src/config/default_config.cpp) and a row in the
// docs table. unit_config fails when the schema, the shipped file and the docs disagree.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "shield/util/host_port.hpp"

namespace shield::config {

using Millis = std::chrono::milliseconds;

// A secret never printed: loaded from the config value, an env variable or a file path.
struct Secret {
  std::string value;
  [[nodiscard]] bool empty() const { return value.empty(); }
};

struct ServerConfig {
  HostPort listen{"127.0.0.1", 8765};
  unsigned threads = 0;                                       // 0 = number of cores
  std::size_t max_body_bytes = std::size_t{4} * 1024 * 1024;  // larger requests get 413
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  Millis header_timeout{10'000};  // whole request head must arrive within this
  Millis body_timeout{30'000};
  Millis idle_timeout{60'000};  // keep-alive connection with no request
  std::size_t max_connections = 1024;
  std::size_t max_pipelined = 16;            // queued responses per connection
  std::vector<std::string> allowed_hosts;    // Host header allow-list; empty = loopback names only
  std::vector<std::string> allowed_origins;  // Origin allow-list; empty = loopback origins only
  std::vector<Secret> auth_tokens;           // bearer tokens; empty = no auth
  Millis shutdown_grace{10'000};
  Millis sse_keepalive{15'000};  // comment line on idle SSE streams
};

struct MetricsConfig {
  bool enabled = true;
  HostPort listen{"127.0.0.1", 9090};
};

struct LoggingConfig {
  std::string level = "info";   // trace, debug, info, warn, error, critical, off
  std::string format = "text";  // text | json
};

struct McpConfig {
  std::string server_name = "shield-mcp";
  Millis session_idle_timeout{30 * 60 * 1000};
  std::size_t max_sessions = 10'000;
  std::size_t max_message_bytes = std::size_t{4} * 1024 * 1024;
  std::size_t max_json_depth = 64;
  std::size_t page_size = 50;           // tools/resources/prompts per list page
  std::size_t sse_replay_events = 256;  // kept per stream for Last-Event-ID resume
  Millis sse_retry{1'000};              // `retry:` hint in priming events
  std::int64_t list_ttl_ms = 60'000;    // 2026-07-28 ttlMs on list results
};

struct Config {
  ServerConfig server;
  MetricsConfig metrics;
  LoggingConfig logging;
  McpConfig mcp;
};

}  // namespace shield::config
