#!/usr/bin/env bash
# Installs everything shield-mcp needs to build, run and test on a fresh Debian 12 machine:
# Debian packages, then the pinned npm test tools (tests/node/package-lock.json).
# Idempotent: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  cmake ninja-build g++ pkg-config clang-format
  # libraries (Boost is pinned to 1.81; the default 1.74 must not be installed beside it)
  libboost1.81-dev libboost-url1.81-dev libboost-json1.81-dev
  nlohmann-json3-dev libvalijson-dev prometheus-cpp-dev libspdlog-dev libfmt-dev
  libcurl4-openssl-dev libgumbo-dev libpoppler-cpp-dev libzip-dev libpugixml-dev
  libsqlite3-dev libtomlplusplus-dev libcli11-dev libexpected-dev libgtest-dev libgmock-dev
  # test peers and tools
  prometheus wrk hyperfine nginx-light curl procps
)
# npm only fetches the pinned test peers (Node 22 itself comes from npm). Machines that
# already have a Node.js + npm from elsewhere keep theirs: Debian's npm would conflict.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if dpkg-query -W -f='${Status}' libboost1.74-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "error: libboost1.74-dev is installed; shield-mcp builds against Boost 1.81 only" >&2
  exit 1
fi

# npm test tools (conformance suite, Node 22, MCP SDK, Inspector CLI), pinned by the lock.
stamp=tests/node/node_modules/.shield-lock.sha256
want=$(sha256sum tests/node/package-lock.json | cut -d' ' -f1)
if [ ! -x tests/node/node_modules/.bin/node ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
fi
