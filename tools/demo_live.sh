#!/usr/bin/env bash
# The live demo: exitbrain-sim (the project's Binance-compatible exchange, over TLS with a
# certificate made here) streams real recorded prices — NEARUSDT, AVAXUSDT and LINKUSDT
# 1m klines of February 2026, walked as marks, 60x faster than real time — or, without
# ../shared/data, a seeded synthetic market. A trader's positions are open on the
# exchange; `exitbrain run` adopts them, places the exchange-side hard stops, and manages
# the exits as they happen. At the end every position still open gets a mark just through
# its stop, and the summary shows the measured tick-to-order latency.
# Expects built binaries (tools/demo.sh builds them). Output in out/demo/live/.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
out=out/demo/live
rm -rf "$out"
mkdir -p "$out/tls"
run_seconds="${EXITBRAIN_DEMO_SECONDS:-60}"

# Throw-away credentials for the local exchange: both sides read them from the
# environment, as exitbrain does in production (never from a file it logs).
export BINANCE_API_KEY="demo-key"
export BINANCE_API_SECRET="demo-secret-$RANDOM$RANDOM"

data="${EXITBRAIN_DATA_DIR:-../shared/data}"
kl="$data/klines/binance-public"
if [ -f "$kl/NEARUSDT-1m-2026-02.csv" ]; then
  market=(--klines "$kl/NEARUSDT-1m-2026-02.csv" "$kl/AVAXUSDT-1m-2026-02.csv" "$kl/LINKUSDT-1m-2026-02.csv"
          --exchange-info "$data/ws/multi/exchangeinfo.BINANCE_FUTURES.0")
  positions=(--open NEARUSDT:LONG:200 --open AVAXUSDT:SHORT:20 --open LINKUSDT:LONG:30)
  symbols='"NEARUSDT", "AVAXUSDT", "LINKUSDT"'
  echo "market: real NEARUSDT / AVAXUSDT / LINKUSDT 1m klines (2026-02), 60x real time"
else
  market=(--synthetic BTCUSDT:60000,ETHUSDT:3000,SOLUSDT:150 --seed 7)
  positions=(--open BTCUSDT:LONG:0.05 --open ETHUSDT:SHORT:1 --open SOLUSDT:LONG:20)
  symbols='"BTCUSDT", "ETHUSDT", "SOLUSDT"'
  echo "market: no recorded data at $data: a seeded synthetic market, 60x real time"
fi

$bin/exitbrain-sim "${market[@]}" "${positions[@]}" --speed 60 --history-minutes 120 \
  --tls-generate "$out/tls" --port-file "$out/port" -v > "$out/sim.log" 2>&1 &
sim_pid=$!
cleanup() {
  kill "$sim_pid" 2>/dev/null || true
  [ -n "${follower:-}" ] && kill -- "-$follower" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 200); do [ -s "$out/port" ] && grep -q "opened" "$out/sim.log" && break; sleep 0.1; done
port=$(cat "$out/port")
grep "^sim: opened" "$out/sim.log" | sed 's/^/  /'

cat > "$out/exitbrain.toml" <<TOML
# exitbrain against the local simulator (wss:// and https:// with the demo's test CA)
default_profile = "AUTO"   # each position gets the profile of its market's regime

[exchange]
rest_url = "https://localhost:$port"
ws_market_url = "wss://localhost:$port/market"
ws_public_url = "wss://localhost:$port/public"
ws_private_url = "wss://localhost:$port/private"
ca_file = "$out/tls/ca.pem"

[symbols]
list = [$symbols]

[run]
foreign_positions = "adopt"
TOML

echo
echo "== exitbrain run (events: $out/events.jsonl) =="
touch "$out/events.jsonl"
# The events as they happen, from a follower in its own process group (stopped as one).
setsid bash -c "tail -n +1 -f '$out/events.jsonl' | grep --line-buffered -E '\"event\":\"(position_adopted|levels|exit|exit_sent|hard_stop_placed|hard_stop_cancelled|alert)\"' \
  | sed -u -E 's/^\\{\"t\":[0-9]+,/  /; s/,\"tp\":\\[[^]]*\\]//'" &
follower=$!
$bin/exitbrain run --config "$out/exitbrain.toml" --events "$out/events.jsonl" 2> "$out/run.log" &
run_pid=$!
sleep "$run_seconds"

# Every position still open: a mark one tick through its latest engine stop.
for sym in $(echo "$symbols" | tr -d '",'); do
  last=$(grep "\"symbol\":\"$sym\"" "$out/events.jsonl" | grep -E '"event":"(levels|sl_moved|exit)"' | tail -1 || true)
  case "$last" in *'"event":"exit"'*'"remaining":0,'*|"") continue ;; esac
  sl=$(echo "$last" | sed -E 's/.*"sl":([0-9.]+).*/\1/')
  side=$(echo "$last" | sed -E 's/.*"side":"([A-Z]+)".*/\1/')
  price=$(awk -v s="$sl" -v side="$side" 'BEGIN { d = s * 0.0005; printf "%.6f", side == "LONG" ? s - d : s + d }')
  echo "  breach: $sym $side stop $sl, mark -> $price"
  curl -s --cacert "$out/tls/ca.pem" -X POST "https://localhost:$port/sim/mark?symbol=$sym&price=$price" > /dev/null
done
sleep 2
kill -TERM "$run_pid"
wait "$run_pid"
sleep 0.3
kill -- "-$follower" 2>/dev/null || true
follower=
echo
echo "== summary =="
cat "$out/run.log"
echo "exchange side (the simulator's books):"
curl -s --cacert "$out/tls/ca.pem" "https://localhost:$port/sim/positions" | sed 's/},{/},\n  {/g; s/^/  /'
echo
echo "orders the exchange received: $(curl -s --cacert "$out/tls/ca.pem" "https://localhost:$port/sim/orders" | grep -o '"endpoint":"[^"]*"' | sort | uniq -c | tr -s ' ' | paste -sd ',' -)"
