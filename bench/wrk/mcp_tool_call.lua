-- POSTs one MCP tools/call (BENCH_TOOL with the JSON object BENCH_ARGUMENTS) inside an
-- existing session (BENCH_SESSION), and prints latency percentiles in one parseable line.
-- With BENCH_EXPECT set, an answer whose body lacks that text counts as an error, so a
-- benchmark of a refusal cannot silently measure something else.
local session = os.getenv("BENCH_SESSION")
local tool = os.getenv("BENCH_TOOL") or "qdrant_find"
local arguments = os.getenv("BENCH_ARGUMENTS") or "{}"
local expect = os.getenv("BENCH_EXPECT")
local version = os.getenv("BENCH_VERSION") or "2025-11-25"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Mcp-Session-Id"] = session
wrk.headers["MCP-Protocol-Version"] = version
local params = '"method":"tools/call","params":{"name":"' .. tool .. '","arguments":' ..
  arguments .. '}}'

-- Several connections share the session, and a session refuses a second request with the
-- id of one still in flight; so each request gets its own id: thread number, then a count.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

local sent = 0
function request()
  sent = sent + 1
  local body = '{"jsonrpc":"2.0","id":' .. (thread_number * 1000000000 + sent) .. ',' .. params
  return wrk.format(nil, nil, nil, body)
end

-- Each thread counts its own unexpected answers; done() sums them across threads.
unexpected = 0
if expect then
  function response(status, headers, body)
    if status ~= 200 or not string.find(body, expect, 1, true) then
      unexpected = unexpected + 1
    end
  end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local wrong = 0
  for _, thread in ipairs(threads) do
    wrong = wrong + (thread:get("unexpected") or 0)
  end
  io.write(string.format(
    "RESULT requests=%d errors=%d unexpected=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
    summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read +
      summary.errors.write + summary.errors.timeout,
    wrong,
    summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
