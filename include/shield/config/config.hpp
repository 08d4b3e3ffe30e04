#pragma once
// The daemon's whole configuration, after TOML, environment (SHIELD_MCP_<SECTION>_<KEY>)
// and command-line flags have been applied, in that order of increasing precedence.
// Plain values: copyable, no behaviour. Every key is documented in config/shield-mcp.toml
// and docs/CONFIGURATION.md. Later issues add sections (jobs, crawler, ...).
// A new key needs its field here, one row in src/config/config_schema.cpp, an entry in
// config/shield-mcp.toml (copied into src/config/default_config.cpp) and a row in the
// docs table. unit_config fails when the schema, the shipped file and the docs disagree.
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
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
  // How clients reach this daemon (the prefix of track_url in job answers); empty = the
  // bound listen address over http.
  std::string public_url;
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

// What every backend section ([orchestrator], [qdrant], [embedder], [lightrag]) has: where
// the service is, how to authenticate, and the timeouts, limits, circuit breaker and retry
// policy of the calls made to it. backend::settings_for() turns one into BackendSettings.
struct BackendConfig {
  BackendConfig(std::string default_url, Millis default_timeout)
      : url(std::move(default_url)), timeout(default_timeout) {}

  std::string url;  // http:// or https:// base URL; no credentials, query or fragment
  Secret api_key;   // empty = send no credentials
  Millis connect_timeout{2'000};
  Millis timeout;  // per attempt, connect included
  std::size_t max_response_bytes = std::size_t{16} * 1024 * 1024;
  std::size_t max_in_flight = 64;            // bulkhead: calls in flight at once
  std::string breaker_mode = "consecutive";  // consecutive | rate
  std::uint32_t breaker_failure_threshold = 5;
  Millis breaker_open{60'000};
  std::uint32_t breaker_half_open_probes = 1;
  std::uint32_t breaker_failure_rate = 50;  // percent, rate mode
  std::uint32_t breaker_minimum_calls = 10;
  Millis breaker_window{60'000};
  std::uint32_t retry_max_attempts = 3;  // the first attempt included
  Millis retry_base_delay{100};
  Millis retry_max_delay{5'000};
};

// The orchestrator: ingestion jobs and, by default, LightRAG queries.
struct OrchestratorConfig : BackendConfig {
  OrchestratorConfig() : BackendConfig("http://127.0.0.1:8000", Millis(30'000)) {}
};

struct QdrantConfig : BackendConfig {
  QdrantConfig() : BackendConfig("http://127.0.0.1:6333", Millis(10'000)) {}
  std::string collection = "shield-docs";
  bool collection_locked = false;   // true: a tool call may not name another collection
  std::string vector_name;          // empty = the collection's unnamed vector
  std::string distance = "Cosine";  // Cosine | Dot | Euclid | Manhattan, for new collections
  bool read_only = false;           // true hides qdrant_store
  bool allow_arbitrary_filters = true;
};

struct EmbedderConfig : BackendConfig {
  EmbedderConfig() : BackendConfig("http://127.0.0.1:11434", Millis(30'000)) {}
  std::string provider = "ollama";  // ollama (POST /api/embed) | openai (POST /v1/embeddings)
  std::string model = "nomic-embed-text";
  std::size_t dimensions = 0;       // 0 = the model's own size
  bool truncate = true;             // Ollama: cut input longer than the context instead of failing
  std::string keep_alive = "5m";    // Ollama: how long the model stays loaded after a call
  std::size_t batch_size = 32;      // texts per embedding request
  std::size_t max_concurrency = 4;  // embedding requests in flight at once
  std::size_t cache_entries = 10'000;  // 0 disables the cache
  std::size_t cache_bytes = std::size_t{64} * 1024 * 1024;
};

struct LightragConfig : BackendConfig {
  LightragConfig() : BackendConfig("http://127.0.0.1:9621", Millis(120'000)) {}
  // orchestrator: lightrag_query goes to the orchestrator's POST /lightrag/query;
  // direct: to this LightRAG server's POST /query.
  std::string mode = "orchestrator";
};

// The durable job engine behind crawl_web and ingest_doc (the HTTP 202 pattern).
struct JobsConfig {
  // The SQLite journal (jobs.db), the upload area and the document spool live here.
  // Relative paths are taken from the working directory.
  std::string state_dir = "shield-mcp-state";
  std::size_t queue_capacity = 1'000;      // queued jobs; past it a submit is refused as busy
  std::size_t crawl_concurrency = 2;       // crawl jobs running at once
  std::size_t ingest_concurrency = 4;      // ingest jobs running at once
  Millis retention{7 * 24 * 3'600'000};    // finished jobs stay queryable this long
  std::int64_t poll_after_s = 2;           // poll_after_s in the 202 answer
  std::size_t max_events_per_job = 1'000;  // SSE status events kept per job for resume
  std::size_t max_upload_bytes = std::size_t{100} * 1024 * 1024;  // POST /ingest
  // After a crash, a job that was running is resumed (true) or marked interrupted.
  bool resume_running = true;
};

// Where extracted documents go.
struct SinkConfig {
  std::string kind = "orchestrator";               // orchestrator | qdrant | lightrag | directory
  std::string directory = "shield-mcp-documents";  // directory sink: Markdown + manifest.jsonl
  std::string collection;                          // qdrant sink; empty = [qdrant].collection
  std::size_t chunk_tokens = 512;                  // qdrant sink: upper bound per chunk
  std::size_t chunk_overlap_tokens = 64;           // qdrant sink: carried into the next chunk
  std::size_t batch_documents = 16;                // documents per delivery request
  Millis retry_budget{10 * 60'000};                // per job: how long a failing sink is retried
  Millis retry_base_delay{1'000};
  Millis retry_max_delay{60'000};
};

struct Config {
  ServerConfig server;
  MetricsConfig metrics;
  LoggingConfig logging;
  McpConfig mcp;
  OrchestratorConfig orchestrator;
  QdrantConfig qdrant;
  EmbedderConfig embedder;
  LightragConfig lightrag;
  JobsConfig jobs;
  SinkConfig sink;
};

}  // namespace shield::config
