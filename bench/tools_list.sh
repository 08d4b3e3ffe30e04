#!/usr/bin/env bash
# tools/list throughput and latency inside an MCP session, shield-mcp against the
# TypeScript SDK reference (@modelcontextprotocol/server-everything, streamableHttp), in one
# run, with 1, 4 and 16 connections; then RSS after 100,000 requests. Loopback only;
# every run is bounded by BENCH_SECONDS. Prints a Markdown table (and appends it to
# docs/PERFORMANCE.md with --record).
#
#   bench/tools_list.sh [--record]        (after: cmake --build --preset release)
#   env: BENCH_BIN (daemon binary), BENCH_CONFIG, BENCH_SECONDS, BENCH_RSS_REQUESTS, BENCH_KEEP
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BENCH_BIN:-build/release/shield-mcp}
CONFIG=${BENCH_CONFIG:-config/shield-mcp.toml}
NODE_BIN=tests/node/node_modules/.bin
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
RSS_REQUESTS=${BENCH_RSS_REQUESTS:-100000}
record=${1:-}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

free_port() { "$NODE_BIN/node" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
wait_http() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer at $1" >&2; exit 1; }

open_session() {  # url → session id
  local hdr="$work/hdr.$RANDOM"
  curl -s -D "$hdr" -o /dev/null -X POST "$1" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
  local sid; sid=$(awk 'tolower($1)=="mcp-session-id:" {print $2}' "$hdr" | tr -d '\r')
  curl -s -o /dev/null -X POST "$1" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $sid" \
    -H 'MCP-Protocol-Version: 2025-11-25' -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
  echo "$sid"
}

run_wrk() {  # url session connections seconds → RESULT line
  BENCH_SESSION=$2 wrk -t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"$4"s --timeout 5s \
    -s bench/wrk/mcp_post.lua "$1" | grep '^RESULT'
}
field() { sed -E "s/.*$1=([0-9.]+).*/\1/" <<<"$2"; }

# shield-mcp, release build, shipped defaults (request logging at info, to a file).
shield_port=$(free_port)
"$BIN" --config "$CONFIG" --listen "127.0.0.1:$shield_port" \
  --metrics-listen 127.0.0.1:0 2>"$work/shield.log" &
pids+=($!); shield_pid=$!
# The reference, forced onto loopback.
ref_port=$(free_port)
PORT=$ref_port "$NODE_BIN/node" --require ./bench/reference/force-loopback.cjs \
  "$NODE_BIN/mcp-server-everything" streamableHttp >"$work/ref.log" 2>&1 &
pids+=($!); ref_pid=$!
wait_http "http://127.0.0.1:$shield_port/healthz"
sleep 1  # the reference has no health route; give node a moment after its first answer
wait_http "http://127.0.0.1:$ref_port/mcp"

declare -A url=( [shield-mcp]="http://127.0.0.1:$shield_port/mcp" [reference]="http://127.0.0.1:$ref_port/mcp" )
declare -A pid=( [shield-mcp]=$shield_pid [reference]=$ref_pid )
declare -A sid res
for target in shield-mcp reference; do sid[$target]=$(open_session "${url[$target]}"); done

for c in 1 4 16; do
  for target in shield-mcp reference; do
    res[$target,$c]=$(run_wrk "${url[$target]}" "${sid[$target]}" "$c" "$SECONDS_PER_RUN")
  done
done

# RSS: before, and after RSS_REQUESTS more requests at 16 connections (bounded in time).
declare -A rss_before rss_after
for target in shield-mcp reference; do
  rss_before[$target]=$(rss_kb "${pid[$target]}")
  done_n=0
  deadline=$(( $(date +%s) + 120 ))
  while [ "$done_n" -lt "$RSS_REQUESTS" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    r=$(run_wrk "${url[$target]}" "${sid[$target]}" 16 5)
    done_n=$(( done_n + $(field requests "$r") ))
  done
  rss_after[$target]=$(rss_kb "${pid[$target]}")
done

versions="shield-mcp $("$BIN" --version | awk '{print $2}'), @modelcontextprotocol/server-everything $(
  "$NODE_BIN/node" -p 'require("./tests/node/node_modules/@modelcontextprotocol/server-everything/package.json").version'), node $("$NODE_BIN/node" --version)"
{
  echo "### tools/list in a session — $(date -u +%Y-%m-%d), ${SECONDS_PER_RUN}s per cell, $(nproc) cores"
  echo
  echo "Command: \`bench/tools_list.sh\` — $versions"
  echo
  echo "| connections | shield-mcp req/s | reference req/s | ratio | shield p50 / p99 ms | reference p50 / p99 ms | errors (shield / ref) |"
  echo "|---|---|---|---|---|---|---|"
  for c in 1 4 16; do
    s=${res[shield-mcp,$c]}; r=${res[reference,$c]}
    ratio=$(awk -v a="$(field rps "$s")" -v b="$(field rps "$r")" 'BEGIN{printf "%.1f×", (b>0)?a/b:0}')
    echo "| $c | $(field rps "$s") | $(field rps "$r") | $ratio | $(field p50_ms "$s") / $(field p99_ms "$s") | $(field p50_ms "$r") / $(field p99_ms "$r") | $(field errors "$s") / $(field errors "$r") |"
  done
  echo
  echo "| RSS (MB) | before | after ≥${RSS_REQUESTS} more requests |"
  echo "|---|---|---|"
  for target in shield-mcp reference; do
    echo "| $target | $(awk -v k="${rss_before[$target]}" 'BEGIN{printf "%.1f", k/1024}') | $(awk -v k="${rss_after[$target]}" 'BEGIN{printf "%.1f", k/1024}') |"
  done
  echo
} | tee "$work/table.md"
if [ "$record" = "--record" ]; then cat "$work/table.md" >> docs/PERFORMANCE.md; fi
