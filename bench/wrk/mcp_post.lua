-- POSTs one MCP JSON-RPC request (BENCH_METHOD, default tools/list) inside an existing
-- session (BENCH_SESSION) and prints latency percentiles in one parseable line.
local session = os.getenv("BENCH_SESSION")
local method = os.getenv("BENCH_METHOD") or "tools/list"
local version = os.getenv("BENCH_VERSION") or "2025-11-25"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Mcp-Session-Id"] = session
wrk.headers["MCP-Protocol-Version"] = version
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"' .. method .. '","params":{}}'

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d errors=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
    summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read +
      summary.errors.write + summary.errors.timeout,
    summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
