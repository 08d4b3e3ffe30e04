#!/usr/bin/env bash
# Accept latency of an async tool under concurrent load, in one run: `tools/call ingest_doc`
# in MCP sessions and `POST /ingest` (multipart), at 1, 4 and 16 concurrent clients, a fixed
# number of new ~1 KB Markdown documents per cell. Each call stores the document durably and
# commits its job to the SQLite journal (fsync) before the answer, so the time measured is
# the accept path; the directory sink lets every job finish locally meanwhile. Reported:
# p50/p90/p99/max, throughput and errors per cell, the daemon's own histograms, and the
# verdicts against the 200 ms requirement (p99 and max) and the 5 ms target (p99). An fsync
# probe on the state directory's disk shows what one durable write costs here.
# Loopback only; bounded by request counts and BENCH_CELL_SECONDS. Prints a Markdown table
# (and appends it to docs/PERFORMANCE.md with --record). The driver is bench/job_accept.mjs.
#
#   bench/job_accept.sh [--record]        (after: cmake --build --preset release)
#   env: BENCH_BIN (daemon binary), BENCH_CONFIG, BENCH_REQUESTS (calls per cell, default
#        2000), BENCH_CONCURRENCY (default "1,4,16"), BENCH_ROUNDS (default 5),
#        BENCH_CELL_SECONDS (time bound per cell and kind, default 120), BENCH_KEEP
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BENCH_BIN:-build/release/shield-mcp}
CONFIG=${BENCH_CONFIG:-config/shield-mcp.toml}
NODE_BIN=tests/node/node_modules/.bin
REQUESTS=${BENCH_REQUESTS:-2000}
CONCURRENCY=${BENCH_CONCURRENCY:-1,4,16}
ROUNDS=${BENCH_ROUNDS:-5}
CELL_SECONDS=${BENCH_CELL_SECONDS:-120}
record=${1:-}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

free_port() { "$NODE_BIN/node" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# What one durable write costs on the disk under the state directory: 500 appends of 1 KB,
# each followed by fsync, timed one by one (the accept path of a small document makes one
# such sync, the journal's WAL commit; a document over 64 KiB adds its file and directory).
fsync_probe() {
  "$NODE_BIN/node" -e '
    const fs = require("fs"); const fd = fs.openSync(process.argv[1], "w"); const b = Buffer.alloc(1024, 120); const t = [];
    for (let i = 0; i < 500; i++) { fs.writeSync(fd, b); const s = process.hrtime.bigint(); fs.fsyncSync(fd); t.push(Number(process.hrtime.bigint() - s) / 1e6); }
    fs.closeSync(fd); fs.unlinkSync(process.argv[1]); t.sort((a, b) => a - b);
    const p = (q) => t[Math.ceil(q * t.length) - 1].toFixed(3);
    console.log(`${p(0.5)} / ${p(0.99)} / ${t.at(-1).toFixed(3)}`);' "$1"
}

# shield-mcp, release build, shipped defaults except: a fresh state directory, the
# directory sink (in the work directory), so jobs complete without any backend, and a queue
# that holds a whole run: accepts now outpace the jobs' completion, and with the default
# capacity (1000) the later calls of a cell would be refused as busy instead of measured.
mkdir -p "$work/state" "$work/sink"
port=$(free_port)
metrics_port=$(free_port)
env SHIELD_MCP_JOBS_STATE_DIR="$work/state" SHIELD_MCP_SINK_KIND=directory \
  SHIELD_MCP_JOBS_QUEUE_CAPACITY=100000 \
  SHIELD_MCP_SINK_DIRECTORY="$work/sink" \
  "$BIN" --config "$CONFIG" --listen "127.0.0.1:$port" \
  --metrics-listen "127.0.0.1:$metrics_port" 2>"$work/shield.log" &
pids+=($!); shield_pid=$!
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
  kill -0 "$shield_pid" 2>/dev/null || { echo "shield-mcp exited:" >&2; cat "$work/shield.log" >&2; exit 1; }
  sleep 0.1
done
curl -s -o /dev/null "http://127.0.0.1:$port/healthz" || { echo "no answer from shield-mcp" >&2; exit 1; }
fsync_before=$(fsync_probe "$work/state/fsync-probe")
load=$(cut -d' ' -f1-3 /proc/loadavg)

"$NODE_BIN/node" bench/job_accept.mjs --mcp "http://127.0.0.1:$port/mcp" \
  --base "http://127.0.0.1:$port" --metrics "http://127.0.0.1:$metrics_port/metrics" \
  --requests "$REQUESTS" --rounds "$ROUNDS" --concurrency "$CONCURRENCY" \
  --cell-seconds "$CELL_SECONDS" | tee "$work/results.txt" >&2
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
fsync_after=$(fsync_probe "$work/state/fsync-probe")
documents=$(wc -l <"$work/sink/manifest.jsonl" 2>/dev/null || echo 0)

field() { sed -E "s/.*[ ]$1=([^ ]+).*/\1/" <<<"$2"; }
line() { grep "^RESULT name=$1 c=$2 " "$work/results.txt"; }
# met when every value is at most the limit (and the cell had no errors)
verdict() {
  local limit=$1 errors=$2; shift 2
  awk -v t="$limit" -v e="$errors" 'BEGIN{ok=(e==0); for(i=1;i<ARGC;i++) if(ARGV[i]+0>t) ok=0; print ok ? "met" : "**missed**"}' "$@"
}

command="bench/job_accept.sh"
for v in BENCH_BIN BENCH_CONFIG BENCH_REQUESTS BENCH_CONCURRENCY BENCH_ROUNDS BENCH_CELL_SECONDS; do
  if [ -n "${!v:-}" ]; then command="$v=${!v} $command"; fi
done
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo ", uncommitted changes in the tree" || true)
versions="shield-mcp $("$BIN" --version | awk '{print $2}') ($BIN, linked $(date -u -r "$BIN" +%H:%M) UTC; HEAD now $commit$dirty), driver on node $("$NODE_BIN/node" --version)"
jobs_line=$(line jobs 0)
IFS=, read -ra levels <<<"$CONCURRENCY"
{
  echo "### ingest_doc / POST /ingest: accept latency under concurrent load — $(date -u +%Y-%m-%d), $(nproc) cores"
  echo
  echo "Command: \`$command\` — $versions; ${REQUESTS} calls per cell in ${ROUNDS} alternating rounds, a new ~1 KB Markdown document per call; directory sink, fresh state directory under $(dirname "$work"); load average at start: $load, at end: $load_end; fsync of a 1 KB append on that disk, p50 / p99 / max ms: $fsync_before (before), $fsync_after (after)"
  echo
  echo "*tool* = \`tools/call ingest_doc\` (content_base64 + filename) in an initialized session; *rest* = \`POST /ingest\` (multipart/form-data). Latency is per call, client-side, from send to the whole answer; failed calls are counted, not timed. *daemon* = its own histogram for the same calls (\`tool_duration_seconds{tool=\"ingest_doc\"}\`, \`api_duration_seconds{endpoint=\"/ingest\"}\`): mean, and the bucket bounds holding p50 and p99. *backlog* = most jobs seen queued during the cell."
  echo
  echo "| path | concurrency | calls | errors | p50 / p90 / p99 / max ms | calls/s | daemon mean ms, p50, p99 | backlog | requirement: p99 and max ≤ 200 ms | target: p99 ≤ 5 ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  if grep -q '^RESULT name=tool_unavailable' "$work/results.txt"; then
    echo "| tool | — | — | — | ingest_doc is not registered in this build | — | — | — | not measured | not measured |"
  fi
  for kind in tool rest; do
    for c in "${levels[@]}"; do
      r=$(line "$kind" "$c" || true)
      [ -n "$r" ] || continue
      e=$(field errors "$r")
      echo "| $kind | $c | $(field n "$r") | $e | $(field p50_ms "$r") / $(field p90_ms "$r") / $(field p99_ms "$r") / $(field max_ms "$r") | $(field rps "$r") | $(field daemon_mean_ms "$r"), $(field daemon_p50_ms "$r"), $(field daemon_p99_ms "$r") | $(field max_queued "$r") | $(verdict 200 "$e" "$(field p99_ms "$r")" "$(field max_ms "$r")") | $(verdict 5 "$e" "$(field p99_ms "$r")") |"
    done
  done
  echo
  echo "Jobs: $(field accepted "$jobs_line") accepted in the run (warm-up included), $(field succeeded "$jobs_line") succeeded and $(field failed "$jobs_line") failed by the end; $documents documents in the sink's manifest."
  echo
} | tee "$work/table.md"
if [ "$record" = "--record" ]; then cat "$work/table.md" >> docs/PERFORMANCE.md; fi
