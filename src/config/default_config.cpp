#include "shield/config/config_text.hpp"

namespace shield::config {

// A copy of config/shield-mcp.toml; unit_config fails when the two differ. Edit the file,
// then paste it here between the delimiters.
std::string default_config_toml() {
  return R"shield_toml(# shield-mcp configuration
#
# Every key is listed at its built-in default, so this file changes nothing until you edit
# it. Delete a key to fall back to its default.
#
# Precedence, weakest first: this file < environment variables < command-line flags.
# Each key has an environment variable SHIELD_MCP_<SECTION>_<KEY>, upper-case, e.g.
#   SHIELD_MCP_SERVER_LISTEN=127.0.0.1:9000   SHIELD_MCP_LOGGING_LEVEL=debug
#   SHIELD_MCP_QDRANT_URL=http://qdrant.internal:6333
# Lists given in the environment are comma-separated: a.example,b.example
#
# Units: durations are integer milliseconds (keys end in _ms); sizes are integer bytes.
# Unknown sections and keys are errors, as are wrong types and values out of range;
# `shield-mcp --check-config --config FILE` names the key and says what is wrong.
# Full reference: docs/CONFIGURATION.md

[server]
# Address of the MCP endpoint (/mcp, /healthz, /readyz), as HOST:PORT. IPv6 is written in
# brackets ([::1]:8765); port 0 picks a free port. Off loopback, set auth_tokens: the
# daemon warns when it listens on another address without them.
# Default "127.0.0.1:8765". Env SHIELD_MCP_SERVER_LISTEN. Flag --listen.
listen = "127.0.0.1:8765"

# Threads running the I/O loop; 0 means one per CPU core. Range 0 to 256.
# Default 0. Env SHIELD_MCP_SERVER_THREADS.
threads = 0

# Largest request body, in bytes; a larger request gets 413. Range 1 to 1073741824.
# Default 4194304 (4 MiB). Env SHIELD_MCP_SERVER_MAX_BODY_BYTES.
max_body_bytes = 4194304

# Largest request head (request line plus headers), in bytes. Range 1024 to 1048576.
# Default 16384 (16 KiB). Env SHIELD_MCP_SERVER_MAX_HEADER_BYTES.
max_header_bytes = 16384

# The whole request head must arrive within this many milliseconds, or the connection is
# closed (slow-loris protection). Range 1 to 3600000.
# Default 10000 (10 s). Env SHIELD_MCP_SERVER_HEADER_TIMEOUT_MS.
header_timeout_ms = 10000

# The request body must arrive within this many milliseconds. Range 1 to 3600000.
# Default 30000 (30 s). Env SHIELD_MCP_SERVER_BODY_TIMEOUT_MS.
body_timeout_ms = 30000

# A keep-alive connection with no request for this many milliseconds is closed.
# Range 1 to 86400000. Default 60000 (1 min). Env SHIELD_MCP_SERVER_IDLE_TIMEOUT_MS.
idle_timeout_ms = 60000

# Most client connections open at once; the server takes no new one while at the limit.
# Range 1 to 1000000. Default 1024. Env SHIELD_MCP_SERVER_MAX_CONNECTIONS.
max_connections = 1024

# Most requests pipelined on one connection awaiting their responses; the server reads no
# further from that connection until the queue drains.
# Range 1 to 1024. Default 16. Env SHIELD_MCP_SERVER_MAX_PIPELINED.
max_pipelined = 16

# Host header values accepted, e.g. ["mcp.example.com", "mcp.example.com:8765"]. Empty
# means loopback names only (localhost, 127.0.0.1, [::1], any port) plus the listen
# address. Other hosts get 403: this blocks DNS-rebinding attacks.
# Default []. Env SHIELD_MCP_SERVER_ALLOWED_HOSTS (comma-separated).
allowed_hosts = []

# Origin header values accepted, written scheme://host[:port], e.g.
# ["https://app.example.com"]. Empty means loopback origins only. A request with another
# Origin gets 403; a request without Origin (not from a browser) is not affected.
# Default []. Env SHIELD_MCP_SERVER_ALLOWED_ORIGINS (comma-separated).
allowed_origins = []

# Bearer tokens accepted on /mcp (clients send "Authorization: Bearer TOKEN"); /healthz
# needs none. Empty means no authentication. Each entry is one of:
#   "literal-token"               (avoid: the token then lives in this file)
#   { env = "MY_TOKEN_VARIABLE" } (read from that environment variable)
#   { file = "/run/secrets/tok" } (the file's contents, without the trailing newline;
#                                  a relative path is relative to this file)
# Tokens must not be empty or contain whitespace. They are never logged or printed.
# Env SHIELD_MCP_SERVER_AUTH_TOKENS (comma-separated) and/or
# SHIELD_MCP_SERVER_AUTH_TOKENS_FILE (a file with one token per line); together they
# replace this list. Default [].
auth_tokens = []

# On SIGTERM or SIGINT, in-flight requests get this many milliseconds to finish before
# the remaining connections are closed. Range 0 to 600000.
# Default 10000 (10 s). Env SHIELD_MCP_SERVER_SHUTDOWN_GRACE_MS.
shutdown_grace_ms = 10000

# An SSE stream idle for this many milliseconds gets a comment line, so proxies keep it
# open. Range 1 to 3600000. Default 15000 (15 s). Env SHIELD_MCP_SERVER_SSE_KEEPALIVE_MS.
sse_keepalive_ms = 15000

# How clients reach this daemon, e.g. "https://mcp.example.com" behind a reverse proxy:
# the prefix of track_url in the answers of async tools and POST /ingest. Empty means
# http:// plus the bound listen address. Default "". Env SHIELD_MCP_SERVER_PUBLIC_URL.
public_url = ""

[metrics]
# Serve Prometheus metrics (GET /metrics) on their own listener.
# Default true. Env SHIELD_MCP_METRICS_ENABLED (true or false).
enabled = true

# Address of the metrics listener, as HOST:PORT; must differ from server.listen.
# Default "127.0.0.1:9090". Env SHIELD_MCP_METRICS_LISTEN. Flag --metrics-listen.
listen = "127.0.0.1:9090"

[logging]
# Least severe level written: trace, debug, info, warn, error, critical or off.
# Logs always go to stderr. Default "info". Env SHIELD_MCP_LOGGING_LEVEL.
level = "info"

# "text" for people, "json" for log collectors (one object per line with ts, level,
# logger and msg). Default "text". Env SHIELD_MCP_LOGGING_FORMAT.
format = "text"

[mcp]
# Name this server reports in the MCP initialize result (serverInfo.name).
# Default "shield-mcp". Env SHIELD_MCP_MCP_SERVER_NAME.
server_name = "shield-mcp"

# A session with no request for this many milliseconds expires; its id then gets 404.
# Range 1000 to 604800000. Default 1800000 (30 min). Env SHIELD_MCP_MCP_SESSION_IDLE_TIMEOUT_MS.
session_idle_timeout_ms = 1800000

# Most live MCP sessions; a new session beyond it is refused. Range 1 to 10000000.
# Default 10000. Env SHIELD_MCP_MCP_MAX_SESSIONS.
max_sessions = 10000

# Largest JSON-RPC message, in bytes, on any transport (stdio included).
# Range 1 to 1073741824. Default 4194304 (4 MiB). Env SHIELD_MCP_MCP_MAX_MESSAGE_BYTES.
max_message_bytes = 4194304

# Deepest nesting of arrays and objects accepted in a message. Range 1 to 10000.
# Default 64. Env SHIELD_MCP_MCP_MAX_JSON_DEPTH.
max_json_depth = 64

# Entries per page of tools/list, resources/list and prompts/list. Range 1 to 10000.
# Default 50. Env SHIELD_MCP_MCP_PAGE_SIZE.
page_size = 50

# Events kept per SSE stream so a client can resume with Last-Event-ID; 0 disables
# resumption. Range 0 to 1000000. Default 256. Env SHIELD_MCP_MCP_SSE_REPLAY_EVENTS.
sse_replay_events = 256

# Reconnection delay, in milliseconds, suggested to clients in the SSE `retry:` field of
# priming events. Range 0 to 3600000. Default 1000 (1 s). Env SHIELD_MCP_MCP_SSE_RETRY_MS.
sse_retry_ms = 1000

# How long, in milliseconds, clients may cache list results (ttlMs, protocol 2026-07-28).
# Range 0 to 86400000. Default 60000 (1 min). Env SHIELD_MCP_MCP_LIST_TTL_MS.
list_ttl_ms = 60000

[orchestrator]
# The orchestrator: ingestion jobs (POST /ingest-async, GET /jobs/{id}) and, while
# lightrag.mode = "orchestrator", LightRAG queries (POST /lightrag/query). Its contract is
# docs/ORCHESTRATOR_API.md.
#
# Every backend section ([orchestrator], [qdrant], [embedder], [lightrag]) has the same
# url, api_key, timeout, bulkhead, circuit breaker and retry keys. They are described in
# full here; docs/guides/CIRCUIT_BREAKER_GUIDE.md explains how they work together.

# Base URL, http:// or https://; TLS certificates are verified and the proxy variables
# (http_proxy, https_proxy, no_proxy) are honoured. A path prefix is allowed
# ("https://gw.example/qdrant"); credentials, a query or a fragment are not.
# Default "http://127.0.0.1:8000". Env SHIELD_MCP_ORCHESTRATOR_URL.
url = "http://127.0.0.1:8000"

# API key, sent as a bearer token (Authorization: Bearer KEY); "" sends none.
# Like server.auth_tokens it is a literal, { env = "VAR" } or { file = "/path" }, and it
# is never logged or printed. Default "". Env SHIELD_MCP_ORCHESTRATOR_API_KEY, or
# SHIELD_MCP_ORCHESTRATOR_API_KEY_FILE naming a file that holds the key.
api_key = ""

# Most milliseconds to open a connection (TCP and TLS). Range 1 to 600000.
# Default 2000 (2 s). Env SHIELD_MCP_ORCHESTRATOR_CONNECT_TIMEOUT_MS.
connect_timeout_ms = 2000

# Most milliseconds for one attempt, connecting included; past it the call fails with
# backend_timeout. Range 1 to 3600000. Default 30000 (30 s).
# Env SHIELD_MCP_ORCHESTRATOR_TIMEOUT_MS.
timeout_ms = 30000

# Largest answer accepted, in bytes; a larger one fails the call. Range 1024 to 1073741824.
# Default 16777216 (16 MiB). Env SHIELD_MCP_ORCHESTRATOR_MAX_RESPONSE_BYTES.
max_response_bytes = 16777216

# Bulkhead: most calls in flight at once. One more is refused at once with backend_busy,
# so a slow backend cannot tie up the daemon. Range 1 to 100000.
# Default 64. Env SHIELD_MCP_ORCHESTRATOR_MAX_IN_FLIGHT.
max_in_flight = 64

# Circuit breaker. "consecutive" opens it after breaker_failure_threshold failures in a
# row; "rate" opens it when breaker_failure_rate percent of the calls of the last
# breaker_window_ms failed, once at least breaker_minimum_calls were made. Failures are
# connect errors, resets, timeouts, HTTP 5xx and 429; other 4xx answers never count.
# While open, calls fail at once without touching the network.
# Default "consecutive". Env SHIELD_MCP_ORCHESTRATOR_BREAKER_MODE.
breaker_mode = "consecutive"

# "consecutive" mode: failures in a row that open the breaker. Range 1 to 10000.
# Default 5. Env SHIELD_MCP_ORCHESTRATOR_BREAKER_FAILURE_THRESHOLD.
breaker_failure_threshold = 5

# Milliseconds an open breaker refuses calls before it lets probe calls through.
# Range 1 to 86400000. Default 60000 (1 min). Env SHIELD_MCP_ORCHESTRATOR_BREAKER_OPEN_MS.
breaker_open_ms = 60000

# Probe calls let through while half-open: that many successes close the breaker, one
# failure reopens it for another breaker_open_ms. Range 1 to 1000.
# Default 1. Env SHIELD_MCP_ORCHESTRATOR_BREAKER_HALF_OPEN_PROBES.
breaker_half_open_probes = 1

# "rate" mode: the percentage of failed calls that opens the breaker. Range 1 to 100.
# Default 50. Env SHIELD_MCP_ORCHESTRATOR_BREAKER_FAILURE_RATE.
breaker_failure_rate = 50

# "rate" mode: fewest calls in the window before the rate is judged. Range 1 to 1000000.
# Default 10. Env SHIELD_MCP_ORCHESTRATOR_BREAKER_MINIMUM_CALLS.
breaker_minimum_calls = 10

# "rate" mode: length of the sliding window, in milliseconds. Range 1000 to 86400000.
# Default 60000 (1 min). Env SHIELD_MCP_ORCHESTRATOR_BREAKER_WINDOW_MS.
breaker_window_ms = 60000

# Attempts per call, the first included; 1 turns retries off. Only calls that are safe
# to repeat are retried, only after a connect error, a reset, HTTP 5xx or 429 (not after a
# timeout), and never while the breaker is not closed. Range 1 to 10.
# Default 3. Env SHIELD_MCP_ORCHESTRATOR_RETRY_MAX_ATTEMPTS.
retry_max_attempts = 3

# Backoff: before retry n the call waits a random time below
# retry_base_delay_ms * 2^(n-1), at most retry_max_delay_ms. A Retry-After header from the
# backend replaces it (still capped). Range 1 to 600000.
# Default 100. Env SHIELD_MCP_ORCHESTRATOR_RETRY_BASE_DELAY_MS.
retry_base_delay_ms = 100

# Longest wait between attempts, in milliseconds; not below retry_base_delay_ms.
# Range 1 to 600000. Default 5000 (5 s). Env SHIELD_MCP_ORCHESTRATOR_RETRY_MAX_DELAY_MS.
retry_max_delay_ms = 5000

[qdrant]
# Qdrant, the vector database behind qdrant_find and qdrant_store.

# Base URL, http:// or https://, as for orchestrator.url.
# Default "http://127.0.0.1:6333". Env SHIELD_MCP_QDRANT_URL.
url = "http://127.0.0.1:6333"

# API key, sent in the "api-key" header; "" sends none.
# A literal, { env = "VAR" } or { file = "/path" }; never logged or printed.
# Default "". Env SHIELD_MCP_QDRANT_API_KEY, or SHIELD_MCP_QDRANT_API_KEY_FILE
# naming a file that holds the key.
api_key = ""

# Collection used when a call names none. Default "shield-docs".
# Env SHIELD_MCP_QDRANT_COLLECTION.
collection = "shield-docs"

# true: a call may not name another collection than `collection`.
# Default false. Env SHIELD_MCP_QDRANT_COLLECTION_LOCKED.
collection_locked = false

# Named vector to search and write; "" uses the collection's unnamed vector.
# Default "". Env SHIELD_MCP_QDRANT_VECTOR_NAME.
vector_name = ""

# Distance of the collections shield-mcp creates: Cosine, Dot, Euclid or Manhattan. An
# existing collection keeps its own. Default "Cosine". Env SHIELD_MCP_QDRANT_DISTANCE.
distance = "Cosine"

# true hides qdrant_store, so nothing is ever written to Qdrant.
# Default false. Env SHIELD_MCP_QDRANT_READ_ONLY.
read_only = false

# true: qdrant_find takes a `filter` argument (a Qdrant filter over metadata.* fields,
# validated); false refuses any filter. Default true.
# Env SHIELD_MCP_QDRANT_ALLOW_ARBITRARY_FILTERS.
allow_arbitrary_filters = true

# As for [orchestrator]. Range 1 to 600000. Default 2000 (2 s).
# Env SHIELD_MCP_QDRANT_CONNECT_TIMEOUT_MS.
connect_timeout_ms = 2000

# Range 1 to 3600000. Default 10000 (10 s). Env SHIELD_MCP_QDRANT_TIMEOUT_MS.
timeout_ms = 10000

# Range 1024 to 1073741824. Default 16777216 (16 MiB).
# Env SHIELD_MCP_QDRANT_MAX_RESPONSE_BYTES.
max_response_bytes = 16777216

# Range 1 to 100000. Default 64. Env SHIELD_MCP_QDRANT_MAX_IN_FLIGHT.
max_in_flight = 64

# "consecutive" or "rate". Default "consecutive". Env SHIELD_MCP_QDRANT_BREAKER_MODE.
breaker_mode = "consecutive"

# Range 1 to 10000. Default 5. Env SHIELD_MCP_QDRANT_BREAKER_FAILURE_THRESHOLD.
breaker_failure_threshold = 5

# Range 1 to 86400000. Default 60000 (1 min). Env SHIELD_MCP_QDRANT_BREAKER_OPEN_MS.
breaker_open_ms = 60000

# Range 1 to 1000. Default 1. Env SHIELD_MCP_QDRANT_BREAKER_HALF_OPEN_PROBES.
breaker_half_open_probes = 1

# Range 1 to 100. Default 50. Env SHIELD_MCP_QDRANT_BREAKER_FAILURE_RATE.
breaker_failure_rate = 50

# Range 1 to 1000000. Default 10. Env SHIELD_MCP_QDRANT_BREAKER_MINIMUM_CALLS.
breaker_minimum_calls = 10

# Range 1000 to 86400000. Default 60000 (1 min). Env SHIELD_MCP_QDRANT_BREAKER_WINDOW_MS.
breaker_window_ms = 60000

# Range 1 to 10. Default 3. Env SHIELD_MCP_QDRANT_RETRY_MAX_ATTEMPTS.
retry_max_attempts = 3

# Range 1 to 600000. Default 100. Env SHIELD_MCP_QDRANT_RETRY_BASE_DELAY_MS.
retry_base_delay_ms = 100

# Range 1 to 600000. Default 5000 (5 s). Env SHIELD_MCP_QDRANT_RETRY_MAX_DELAY_MS.
retry_max_delay_ms = 5000

[embedder]
# The embedding service that turns text into vectors for qdrant_find and qdrant_store:
# Ollama, or any server with the OpenAI embeddings API.

# Base URL, http:// or https://, as for orchestrator.url.
# Default "http://127.0.0.1:11434". Env SHIELD_MCP_EMBEDDER_URL.
url = "http://127.0.0.1:11434"

# API key, sent as a bearer token (Authorization: Bearer KEY); "" sends none.
# A literal, { env = "VAR" } or { file = "/path" }; never logged or printed.
# Default "". Env SHIELD_MCP_EMBEDDER_API_KEY, or SHIELD_MCP_EMBEDDER_API_KEY_FILE
# naming a file that holds the key.
api_key = ""

# Which API to speak: "ollama" (POST /api/embed) or "openai" for OpenAI-compatible servers
# (POST /v1/embeddings: llama.cpp, vLLM, TEI, LiteLLM, OpenAI; Ollama serves it too).
# Default "ollama". Env SHIELD_MCP_EMBEDDER_PROVIDER.
provider = "ollama"

# Embedding model, named as the provider knows it. Default "nomic-embed-text".
# Env SHIELD_MCP_EMBEDDER_MODEL.
model = "nomic-embed-text"

# Vector size to ask for; 0 takes the model's own. It must match the size of the Qdrant
# collection. Range 0 to 65536. Default 0. Env SHIELD_MCP_EMBEDDER_DIMENSIONS.
dimensions = 0

# Ollama: cut input longer than the model's context instead of failing the call.
# Default true. Env SHIELD_MCP_EMBEDDER_TRUNCATE.
truncate = true

# Ollama: how long the model stays loaded after a call, as a duration ("5m", "1h30m");
# "0" unloads it at once and a negative value ("-1m") keeps it loaded.
# Default "5m". Env SHIELD_MCP_EMBEDDER_KEEP_ALIVE.
keep_alive = "5m"

# Texts per embedding request. Range 1 to 2048.
# Default 32. Env SHIELD_MCP_EMBEDDER_BATCH_SIZE.
batch_size = 32

# Most embedding requests sent to the provider at once; at most max_in_flight.
# Range 1 to 1024. Default 4. Env SHIELD_MCP_EMBEDDER_MAX_CONCURRENCY.
max_concurrency = 4

# Cache of embeddings, keyed by provider, model and text: most entries kept; 0 turns the
# cache off. Range 0 to 100000000. Default 10000. Env SHIELD_MCP_EMBEDDER_CACHE_ENTRIES.
cache_entries = 10000

# Cache bound in bytes; the least recently used entries go first. Range 0 to 17179869184.
# Default 67108864 (64 MiB). Env SHIELD_MCP_EMBEDDER_CACHE_BYTES.
cache_bytes = 67108864

# As for [orchestrator]. Range 1 to 600000. Default 2000 (2 s).
# Env SHIELD_MCP_EMBEDDER_CONNECT_TIMEOUT_MS.
connect_timeout_ms = 2000

# Range 1 to 3600000. Default 30000 (30 s). Env SHIELD_MCP_EMBEDDER_TIMEOUT_MS.
timeout_ms = 30000

# Range 1024 to 1073741824. Default 16777216 (16 MiB).
# Env SHIELD_MCP_EMBEDDER_MAX_RESPONSE_BYTES.
max_response_bytes = 16777216

# Range 1 to 100000. Default 64. Env SHIELD_MCP_EMBEDDER_MAX_IN_FLIGHT.
max_in_flight = 64

# "consecutive" or "rate". Default "consecutive". Env SHIELD_MCP_EMBEDDER_BREAKER_MODE.
breaker_mode = "consecutive"

# Range 1 to 10000. Default 5. Env SHIELD_MCP_EMBEDDER_BREAKER_FAILURE_THRESHOLD.
breaker_failure_threshold = 5

# Range 1 to 86400000. Default 60000 (1 min). Env SHIELD_MCP_EMBEDDER_BREAKER_OPEN_MS.
breaker_open_ms = 60000

# Range 1 to 1000. Default 1. Env SHIELD_MCP_EMBEDDER_BREAKER_HALF_OPEN_PROBES.
breaker_half_open_probes = 1

# Range 1 to 100. Default 50. Env SHIELD_MCP_EMBEDDER_BREAKER_FAILURE_RATE.
breaker_failure_rate = 50

# Range 1 to 1000000. Default 10. Env SHIELD_MCP_EMBEDDER_BREAKER_MINIMUM_CALLS.
breaker_minimum_calls = 10

# Range 1000 to 86400000. Default 60000 (1 min). Env SHIELD_MCP_EMBEDDER_BREAKER_WINDOW_MS.
breaker_window_ms = 60000

# Range 1 to 10. Default 3. Env SHIELD_MCP_EMBEDDER_RETRY_MAX_ATTEMPTS.
retry_max_attempts = 3

# Range 1 to 600000. Default 100. Env SHIELD_MCP_EMBEDDER_RETRY_BASE_DELAY_MS.
retry_base_delay_ms = 100

# Range 1 to 600000. Default 5000 (5 s). Env SHIELD_MCP_EMBEDDER_RETRY_MAX_DELAY_MS.
retry_max_delay_ms = 5000

[lightrag]
# The LightRAG server behind lightrag_query. While mode = "orchestrator" the query goes
# through the orchestrator instead and this section's url and api_key are not used.

# Base URL, http:// or https://, as for orchestrator.url.
# Default "http://127.0.0.1:9621". Env SHIELD_MCP_LIGHTRAG_URL.
url = "http://127.0.0.1:9621"

# API key, sent in the "X-API-Key" header; "" sends none.
# A literal, { env = "VAR" } or { file = "/path" }; never logged or printed.
# Default "". Env SHIELD_MCP_LIGHTRAG_API_KEY, or SHIELD_MCP_LIGHTRAG_API_KEY_FILE
# naming a file that holds the key.
api_key = ""

# Where lightrag_query goes: "orchestrator" (the orchestrator's POST /lightrag/query) or
# "direct" (this server's POST /query). Default "orchestrator".
# Env SHIELD_MCP_LIGHTRAG_MODE.
mode = "orchestrator"

# As for [orchestrator]. Range 1 to 600000. Default 2000 (2 s).
# Env SHIELD_MCP_LIGHTRAG_CONNECT_TIMEOUT_MS.
connect_timeout_ms = 2000

# Range 1 to 3600000. Default 120000 (2 min). Env SHIELD_MCP_LIGHTRAG_TIMEOUT_MS.
timeout_ms = 120000

# Range 1024 to 1073741824. Default 16777216 (16 MiB).
# Env SHIELD_MCP_LIGHTRAG_MAX_RESPONSE_BYTES.
max_response_bytes = 16777216

# Range 1 to 100000. Default 64. Env SHIELD_MCP_LIGHTRAG_MAX_IN_FLIGHT.
max_in_flight = 64

# "consecutive" or "rate". Default "consecutive". Env SHIELD_MCP_LIGHTRAG_BREAKER_MODE.
breaker_mode = "consecutive"

# Range 1 to 10000. Default 5. Env SHIELD_MCP_LIGHTRAG_BREAKER_FAILURE_THRESHOLD.
breaker_failure_threshold = 5

# Range 1 to 86400000. Default 60000 (1 min). Env SHIELD_MCP_LIGHTRAG_BREAKER_OPEN_MS.
breaker_open_ms = 60000

# Range 1 to 1000. Default 1. Env SHIELD_MCP_LIGHTRAG_BREAKER_HALF_OPEN_PROBES.
breaker_half_open_probes = 1

# Range 1 to 100. Default 50. Env SHIELD_MCP_LIGHTRAG_BREAKER_FAILURE_RATE.
breaker_failure_rate = 50

# Range 1 to 1000000. Default 10. Env SHIELD_MCP_LIGHTRAG_BREAKER_MINIMUM_CALLS.
breaker_minimum_calls = 10

# Range 1000 to 86400000. Default 60000 (1 min). Env SHIELD_MCP_LIGHTRAG_BREAKER_WINDOW_MS.
breaker_window_ms = 60000

# Range 1 to 10. Default 3. Env SHIELD_MCP_LIGHTRAG_RETRY_MAX_ATTEMPTS.
retry_max_attempts = 3

# Range 1 to 600000. Default 100. Env SHIELD_MCP_LIGHTRAG_RETRY_BASE_DELAY_MS.
retry_base_delay_ms = 100

# Range 1 to 600000. Default 5000 (5 s). Env SHIELD_MCP_LIGHTRAG_RETRY_MAX_DELAY_MS.
retry_max_delay_ms = 5000

[jobs]
# The durable job engine behind crawl_web and ingest_doc: they answer at once with a job
# id, and the work runs in the background. Jobs are journaled in SQLite, so no accepted
# job is lost to a crash or a restart.

# Directory of the job journal (jobs.db), each job's work files and the uploads. Relative
# paths are taken from the working directory; created owner-only when missing. Only one
# shield-mcp may use a directory at a time.
# Default "shield-mcp-state". Env SHIELD_MCP_JOBS_STATE_DIR.
state_dir = "shield-mcp-state"

# Jobs that may wait for a runner; past it a new job is refused as busy, with a hint of
# when to retry. Range 1 to 1000000. Default 1000. Env SHIELD_MCP_JOBS_QUEUE_CAPACITY.
queue_capacity = 1000

# Crawl jobs running at once. Range 1 to 256. Default 2.
# Env SHIELD_MCP_JOBS_CRAWL_CONCURRENCY.
crawl_concurrency = 2

# Ingest jobs running at once. Range 1 to 256. Default 4.
# Env SHIELD_MCP_JOBS_INGEST_CONCURRENCY.
ingest_concurrency = 4

# How long a finished job (succeeded, failed, cancelled or interrupted) stays queryable,
# in milliseconds; then it is purged with its files. Range 1000 to 31536000000.
# Default 604800000 (7 days). Env SHIELD_MCP_JOBS_RETENTION_MS.
retention_ms = 604800000

# Seconds a client is told to wait before polling a job (poll_after_s in the answer). In
# seconds, not milliseconds, because clients see it as is. Range 1 to 3600.
# Default 2. Env SHIELD_MCP_JOBS_POLL_AFTER_S.
poll_after_s = 2

# Status events kept per job, so GET /jobs/{id}/events can resume with Last-Event-ID; the
# oldest go first. Range 1 to 1000000. Default 1000.
# Env SHIELD_MCP_JOBS_MAX_EVENTS_PER_JOB.
max_events_per_job = 1000

# Largest document accepted by POST /ingest, in bytes. Range 1024 to 17179869184.
# Default 104857600 (100 MiB). Env SHIELD_MCP_JOBS_MAX_UPLOAD_BYTES.
max_upload_bytes = 104857600

# After a crash, true resumes the jobs that were running (a job the daemon dies under
# three times in a row is marked interrupted instead); false marks them interrupted at
# once. Interrupted jobs can be retried. Default true. Env SHIELD_MCP_JOBS_RESUME_RUNNING.
resume_running = true

[sink]
# Where crawl_web and ingest_doc deliver the documents they extract. Documents wait in
# jobs.state_dir until the sink accepts them, so a sink outage loses no work.

# "orchestrator" (POST /ingest-async, see [orchestrator]), "qdrant" (chunked, embedded by
# [embedder] and upserted into [qdrant]), "lightrag" (POST /documents/texts, see
# [lightrag]) or "directory" (Markdown files plus a manifest.jsonl, for offline use).
# Default "orchestrator". Env SHIELD_MCP_SINK_KIND.
kind = "orchestrator"

# The directory sink's output directory; relative paths are taken from the working
# directory. Default "shield-mcp-documents". Env SHIELD_MCP_SINK_DIRECTORY.
directory = "shield-mcp-documents"

# The qdrant sink's collection; "" uses qdrant.collection. Default "".
# Env SHIELD_MCP_SINK_COLLECTION.
collection = ""

# The qdrant sink's chunk size: most tokens per chunk. Range 16 to 32768. Default 512.
# Env SHIELD_MCP_SINK_CHUNK_TOKENS.
chunk_tokens = 512

# The qdrant sink's overlap: tokens of a chunk's end repeated at the start of the next.
# Range 0 to 32767. Default 64. Env SHIELD_MCP_SINK_CHUNK_OVERLAP_TOKENS.
chunk_overlap_tokens = 64

# Documents sent to the sink per request. Range 1 to 10000. Default 16.
# Env SHIELD_MCP_SINK_BATCH_DOCUMENTS.
batch_documents = 16

# How long, in milliseconds, one job keeps retrying a failing sink before it fails (its
# documents stay kept for a retry of the job); 0 does not retry.
# Range 0 to 604800000. Default 600000 (10 min). Env SHIELD_MCP_SINK_RETRY_BUDGET_MS.
retry_budget_ms = 600000

# Wait before the first sink retry; later waits grow up to retry_max_delay_ms.
# Range 1 to 600000. Default 1000 (1 s). Env SHIELD_MCP_SINK_RETRY_BASE_DELAY_MS.
retry_base_delay_ms = 1000

# Longest wait between sink retries. Range 1 to 3600000. Default 60000 (1 min).
# Env SHIELD_MCP_SINK_RETRY_MAX_DELAY_MS.
retry_max_delay_ms = 60000
)shield_toml";
}

}  // namespace shield::config
