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
)shield_toml";
}

}  // namespace shield::config
