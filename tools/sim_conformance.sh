#!/usr/bin/env bash
# exitbrain-sim checked by someone else's client: Binance's official USD-M futures connector
# for Node (@binance/derivatives-trading-usds-futures, pinned with its dependencies in
# tools/conformance/package-lock.json) drives a fresh exitbrain-sim over TLS, as a client
# drives Binance: REST (market data, account, orders, algo orders, trades, listenKey) and
# the /market, /public and /private WebSocket streams. Each answer must be accepted and fit
# the response type the package declares (tools/conformance/sim_conformance.mjs).
#
# Usage: tools/sim_conformance.sh [--no-build]
#   --no-build   use build/bin/exitbrain-sim as it is (tools/test.sh has just built it)
# Node and npm come from Debian when missing (apt-get, as root). When the package cannot be
# installed (no npm registry, no Node) the run is SKIPPED with the reason, exit status 0;
# a check that fails is exit status 1.
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "tools/sim_conformance.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
skip() {
  echo "sim_conformance: SKIPPED: $*"
  exit 0
}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "sim_conformance: installing nodejs and npm from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null 2>&1 ||
      skip "nodejs and npm could not be installed from Debian's archive"
  else
    skip "node and npm are not installed (apt-get install nodejs npm)"
  fi
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 18 ] || skip "Node $(node --version) is older than 18, which the connector needs"

if [ "$build" = 1 ]; then
  tools/install-deps.sh
  tools/build.sh release
fi
sim=build/bin/exitbrain-sim
[ -x "$sim" ] || { echo "sim_conformance: $sim is missing (build first, or drop --no-build)" >&2; exit 2; }

# The package and its pinned dependencies, from the npm registry, into build/conformance.
dir=build/conformance
mkdir -p "$dir"
cp tools/conformance/package.json tools/conformance/package-lock.json tools/conformance/sim_conformance.mjs "$dir/"
if ! (cd "$dir" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
  why="$(grep -m 1 -E '^npm (error|ERR!) [A-Z][a-zA-Z]*Error|^npm (error|ERR!) code' "$dir/npm.log" || head -n 1 "$dir/npm.log")"
  skip "npm could not install @binance/derivatives-trading-usds-futures: ${why:-no reason given} (full log: $dir/npm.log)"
fi
version="$(node -p "require('./$dir/node_modules/@binance/derivatives-trading-usds-futures/package.json').version")"

work="$(mktemp -d)"
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
# A key and a secret made for this run only; the sim accepts them, nothing prints them.
BINANCE_API_KEY="conformance-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
BINANCE_API_SECRET="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
export BINANCE_API_KEY BINANCE_API_SECRET
mkdir "$work/tls"
"$sim" --synthetic BTCUSDT:60000,ETHUSDT:3000 --synthetic-book-ticker --synthetic-agg-trades \
  --tls-generate "$work/tls" --port-file "$work/port" --duration-s 600 >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do
  [ -s "$work/port" ] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.log" >&2; echo "sim_conformance: exitbrain-sim did not start" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/port" ] || { echo "sim_conformance: exitbrain-sim wrote no port in 10 s" >&2; exit 1; }
port="$(cat "$work/port")"
echo "sim_conformance: @binance/derivatives-trading-usds-futures $version (Node $(node --version)) against exitbrain-sim on 127.0.0.1:$port (TLS, its own test CA)"
# The connector logs every connection at info level: kept out of the report.
status=0
NODE_EXTRA_CA_CERTS="$work/tls/ca.pem" timeout 120 node "$dir/sim_conformance.mjs" \
  --rest "https://127.0.0.1:$port" --ws "wss://127.0.0.1:$port" >"$work/out.log" 2>&1 || status=$?
sed '/\] \[info\] /d' "$work/out.log"
if [ "$status" -ne 0 ]; then
  echo "sim_conformance: FAILED (exit $status); the simulator's log:" >&2
  tail -n 20 "$work/sim.log" >&2
fi
exit "$status"
