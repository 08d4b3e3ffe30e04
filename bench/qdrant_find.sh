#!/usr/bin/env bash
# qdrant_find through shield-mcp against the strict fakes, in one run:
#  (a) gateway overhead: the tool call with a new query (embed + points/query behind it)
#      minus the same two requests made straight to the fakes by the same client;
#  (b) fail-fast: the tool call while Qdrant's breaker is open;
#  (c) the embedding cache: the same query repeated (hit: only points/query) against new
#      queries (miss), with the daemon's embedding_cache_requests_total as proof.
# Loopback only; bounded by request counts (and, for wrk, by BENCH_SECONDS). Prints a
# Markdown table (and appends it to docs/PERFORMANCE.md with --record). The driver is
# bench/qdrant_find.mjs (why not wrk: see there); (b) is measured again with wrk and
# bench/wrk/mcp_tool_call.lua. bench/README.md says exactly what each column measures.
#
#   bench/qdrant_find.sh [--record]        (after: cmake --build --preset release)
#   env: BENCH_BIN (daemon binary), BENCH_CONFIG, BENCH_REQUESTS (per cell, default 5000),
#        BENCH_FAILFAST_REQUESTS (Node driver, default 5000), BENCH_SECONDS (wrk, per
#        concurrency, default 5), BENCH_CONCURRENCY (default "1,4"), BENCH_KEEP
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BENCH_BIN:-build/release/shield-mcp}
CONFIG=${BENCH_CONFIG:-config/shield-mcp.toml}
NODE_BIN=tests/node/node_modules/.bin
REQUESTS=${BENCH_REQUESTS:-5000}
FAILFAST_REQUESTS=${BENCH_FAILFAST_REQUESTS:-5000}
CONCURRENCY=${BENCH_CONCURRENCY:-1,4}
SECONDS_PER_RUN=${BENCH_SECONDS:-5}
record=${1:-}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

free_port() { "$NODE_BIN/node" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# The fakes, in their own process (not the driver's: its event loop would delay them); they
# print one JSON line of URLs once listening.
"$NODE_BIN/node" tests/fakes/fake_backends.mjs --qdrant 0 --ollama 0 --quiet \
  </dev/null >"$work/fakes.json" 2>"$work/fakes.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/fakes.json" ] && break; sleep 0.1; done
qdrant_url=$(sed -E 's/.*"qdrant":"([^"]+)".*/\1/' "$work/fakes.json")
ollama_url=$(sed -E 's/.*"ollama":"([^"]+)".*/\1/' "$work/fakes.json")
[[ $qdrant_url == http://127.0.0.1:* && $ollama_url == http://127.0.0.1:* ]] || { echo "fakes did not start" >&2; exit 1; }

# shield-mcp, release build, shipped defaults except: the backends are the fakes; retries off
# for Qdrant so five calls are five failures; its breaker, once open, stays open for the run.
port=$(free_port)
metrics_port=$(free_port)
env SHIELD_MCP_JOBS_STATE_DIR="$work/state" \
  SHIELD_MCP_QDRANT_URL="$qdrant_url" SHIELD_MCP_QDRANT_COLLECTION=bench \
  SHIELD_MCP_QDRANT_RETRY_MAX_ATTEMPTS=1 SHIELD_MCP_QDRANT_BREAKER_OPEN_MS=3600000 \
  SHIELD_MCP_EMBEDDER_URL="$ollama_url" SHIELD_MCP_EMBEDDER_PROVIDER=ollama \
  SHIELD_MCP_EMBEDDER_MODEL=nomic-embed-text \
  "$BIN" --config "$CONFIG" --listen "127.0.0.1:$port" \
  --metrics-listen "127.0.0.1:$metrics_port" 2>"$work/shield.log" &
pids+=($!); shield_pid=$!
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
  kill -0 "$shield_pid" 2>/dev/null || { echo "shield-mcp exited:" >&2; cat "$work/shield.log" >&2; exit 1; }
  sleep 0.1
done
curl -s -o /dev/null "http://127.0.0.1:$port/healthz" || { echo "no answer from shield-mcp" >&2; exit 1; }
load=$(cut -d' ' -f1-3 /proc/loadavg)

"$NODE_BIN/node" bench/qdrant_find.mjs --mcp "http://127.0.0.1:$port/mcp" \
  --metrics "http://127.0.0.1:$metrics_port/metrics" --qdrant "$qdrant_url" --ollama "$ollama_url" \
  --requests "$REQUESTS" --failfast-requests "$FAILFAST_REQUESTS" --concurrency "$CONCURRENCY" \
  | tee "$work/results.txt" >&2

# (b) again with wrk, whose client costs far less than Node's: the same refusal, in one
# session, for BENCH_SECONDS per concurrency. Every answer must be the refusal, every call
# must be refused by the breaker, and none may reach the embedder.
scrape() { curl -s "http://127.0.0.1:$metrics_port/metrics" | awk -v k="$1" 'index($0, k" ")==1 {print $2}'; }
embeds() { curl -s "$ollama_url/_control/requests" | sed -E 's/.*"total":([0-9]+).*/\1/'; }
hdr="$work/init.hdr"
curl -s -D "$hdr" -o /dev/null -X POST "http://127.0.0.1:$port/mcp" -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
sid=$(awk 'tolower($1)=="mcp-session-id:" {print $2}' "$hdr" | tr -d '\r')
curl -s -o /dev/null -X POST "http://127.0.0.1:$port/mcp" -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $sid" \
  -H 'MCP-Protocol-Version: 2025-11-25' -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
refused_key='backend_requests_total{backend="qdrant",outcome="circuit_open"}'
IFS=, read -ra levels <<<"$CONCURRENCY"
for c in "${levels[@]}"; do
  refused_before=$(scrape "$refused_key"); embeds_before=$(embeds)
  r=$(BENCH_SESSION=$sid BENCH_TOOL=qdrant_find BENCH_ARGUMENTS='{"query":"circuit breaker"}' \
    BENCH_EXPECT='"code":"backend_unavailable"' wrk -t"$(( c < 2 ? 1 : 2 ))" -c"$c" -d"$SECONDS_PER_RUN"s \
    --timeout 5s -s bench/wrk/mcp_tool_call.lua "http://127.0.0.1:$port/mcp" | grep '^RESULT')
  refused=$(awk -v a="$(scrape "$refused_key")" -v b="$refused_before" 'BEGIN{print a-b}')
  echo "RESULT name=failfast_wrk c=$c $r refused=$refused embed_requests=$(( $(embeds) - embeds_before ))" \
    | sed 's/ RESULT / /' | tee -a "$work/results.txt" >&2
done

field() { sed -E "s/.*[ ]$1=([^ ]+).*/\1/" <<<"$2"; }
line() { grep "^RESULT name=$1 c=$2 " "$work/results.txt"; }
diff_ms() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a-b}'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN{print (v<=t) ? "met" : "**missed**"}'; }

# The command as run, with the BENCH_* settings that were given.
command="bench/qdrant_find.sh"
for v in BENCH_BIN BENCH_CONFIG BENCH_REQUESTS BENCH_FAILFAST_REQUESTS BENCH_SECONDS BENCH_CONCURRENCY; do
  if [ -n "${!v:-}" ]; then command="$v=${!v} $command"; fi
done
versions="shield-mcp $("$BIN" --version | awk '{print $2}') (release), fakes on node $("$NODE_BIN/node" --version)"
{
  echo "### qdrant_find: gateway overhead, fail-fast, embedding cache — $(date -u +%Y-%m-%d), $(nproc) cores"
  echo
  echo "Command: \`$command\` — $versions; ${REQUESTS} operations per cell, ${FAILFAST_REQUESTS} fail-fast calls per concurrency; nomic-embed-text (768 dims), 64 points; load average at start: $load"
  echo
  echo "(a) Gateway overhead. *tool* = \`tools/call qdrant_find\` with a new query each time (cache miss: the daemon sends \`POST /api/embed\` then \`POST /collections/bench/points/query\`); *direct* = those two requests, in the daemon's body shapes, sent straight to the fakes by the same client."
  echo
  echo "| concurrency | tool p50 / p99 / mean ms | direct p50 / p99 / mean ms | overhead p50 / p99 / mean ms | daemon: own work / backend wait, mean ms | target: overhead p99 ≤ 1 ms |"
  echo "|---|---|---|---|---|---|"
  for c in "${levels[@]}"; do
    t=$(line tool_miss "$c"); d=$(line direct "$c")
    o50=$(diff_ms "$(field p50_ms "$t")" "$(field p50_ms "$d")"); o99=$(diff_ms "$(field p99_ms "$t")" "$(field p99_ms "$d")")
    omean=$(diff_ms "$(field mean_ms "$t")" "$(field mean_ms "$d")")
    echo "| $c | $(field p50_ms "$t") / $(field p99_ms "$t") / $(field mean_ms "$t") | $(field p50_ms "$d") / $(field p99_ms "$d") / $(field mean_ms "$d") | $o50 / $o99 / $omean | $(field inside_mean_ms "$t") / $(field backend_mean_ms "$t") | $(verdict "$o99" 1) |"
  done
  echo
  echo "(b) Fail-fast: Qdrant down, breaker opened by 5 failed calls, \`tools/call qdrant_find\` end to end, measured by the Node driver (fixed count) and by wrk (${SECONDS_PER_RUN} s)."
  echo
  echo "| client | concurrency | calls | p50 / p99 / max ms | refused by the breaker | embed requests | other answers | target p99 ≤ 1 ms |"
  echo "|---|---|---|---|---|---|---|---|"
  for c in "${levels[@]}"; do
    f=$(line failfast "$c")
    echo "| node | $c | $(field n "$f") | $(field p50_ms "$f") / $(field p99_ms "$f") / $(field max_ms "$f") | $(field refused "$f") | $(field embed_requests "$f") | 0 | $(verdict "$(field p99_ms "$f")" 1) |"
  done
  for c in "${levels[@]}"; do
    f=$(line failfast_wrk "$c")
    echo "| wrk | $c | $(field requests "$f") | $(field p50_ms "$f") / $(field p99_ms "$f") / $(field max_ms "$f") | $(field refused "$f") | $(field embed_requests "$f") | $(( $(field unexpected "$f") + $(field errors "$f") )) | $(verdict "$(field p99_ms "$f")" 1) |"
  done
  echo
  echo "(c) Embedding cache: the same query repeated (hit) against a new query each time (miss)."
  echo
  echo "| concurrency | hit p50 / p99 ms | miss p50 / p99 ms | miss/hit p50 | cache hits / misses counted (hit run) | (miss run) |"
  echo "|---|---|---|---|---|---|"
  for c in "${levels[@]}"; do
    h=$(line tool_hit "$c"); m=$(line tool_miss "$c")
    ratio=$(awk -v a="$(field p50_ms "$m")" -v b="$(field p50_ms "$h")" 'BEGIN{printf "%.2f×", (b>0)?a/b:0}')
    echo "| $c | $(field p50_ms "$h") / $(field p99_ms "$h") | $(field p50_ms "$m") / $(field p99_ms "$m") | $ratio | $(field cache_hits "$h") / $(field cache_misses "$h") | $(field cache_hits "$m") / $(field cache_misses "$m") |"
  done
  echo
} | tee "$work/table.md"
if [ "$record" = "--record" ]; then cat "$work/table.md" >> docs/PERFORMANCE.md; fi
