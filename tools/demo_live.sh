#!/usr/bin/env bash
# The live demo: exitbrain-sim (the project's Binance-compatible exchange, over TLS with a
# certificate made here) streams real recorded prices — NEARUSDT, AVAXUSDT and LINKUSDT
# 1m klines of February 2026, walked as marks, 60x faster than real time — or, without
# ../shared/data, a seeded synthetic market. A trader's positions are open on the
# exchange; `exitbrain run` adopts them, places the exchange-side hard stops, and manages
# the exits as they happen. At the end every position still open gets a mark just through
# its stop, and the summary shows the measured tick-to-order latency.
# The Redis side runs too, on a redis-server started here: a backlog of stale intents like
# the seeds' 10,014 is drained without opening anything, and one fresh intent (the seeds'
# NEARUSDT example, moved to a symbol with no position and to today's price) opens a
# position at its adaptive leverage that exitbrain then manages like the others.
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
          "$kl/DOTUSDT-1m-2026-02.csv" --exchange-info "$data/ws/multi/exchangeinfo.BINANCE_FUTURES.0")
  positions=(--open NEARUSDT:LONG:200 --open AVAXUSDT:SHORT:20 --open LINKUSDT:LONG:30)
  symbols='"NEARUSDT", "AVAXUSDT", "LINKUSDT", "DOTUSDT"'
  intent_symbol=DOTUSDT
  echo "market: real NEARUSDT / AVAXUSDT / LINKUSDT 1m klines (2026-02), 60x real time"
else
  market=(--synthetic BTCUSDT:60000,ETHUSDT:3000,SOLUSDT:150,BNBUSDT:600 --seed 7)
  positions=(--open BTCUSDT:LONG:0.05 --open ETHUSDT:SHORT:1 --open SOLUSDT:LONG:20)
  symbols='"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"'
  intent_symbol=BNBUSDT
  echo "market: no recorded data at $data: a seeded synthetic market, 60x real time"
fi

$bin/exitbrain-sim "${market[@]}" "${positions[@]}" --speed 60 --history-minutes 120 \
  --tls-generate "$out/tls" --port-file "$out/port" -v > "$out/sim.log" 2>&1 &
sim_pid=$!
# A throw-away Redis on a free port (the demo never touches another one).
redis_pid=
for _ in 1 2 3 4 5; do
  redis_port=$((20000 + RANDOM % 40000))
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$out" \
    --daemonize no > "$out/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do
    redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break 2
    kill -0 "$redis_pid" 2>/dev/null || break
    sleep 0.05
  done
  kill "$redis_pid" 2>/dev/null || true
  redis_pid=
done
[ -n "$redis_pid" ] || { echo "error: could not start redis-server ($out/redis.log)" >&2; exit 1; }
rcli() { redis-cli -p "$redis_port" "$@"; }
cleanup() {
  kill "$sim_pid" 2>/dev/null || true
  [ -n "${redis_pid:-}" ] && kill "$redis_pid" 2>/dev/null || true
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

[ops]
listen = "127.0.0.1:0"           # /metrics and /health on a free port (state/ops.address)

[redis]
url = "redis://127.0.0.1:$redis_port"
entries = "execute"              # fresh intents open positions (observe: levels only)
intent_max_age_ms = 30000
max_order_notional_usd = 10000
max_total_notional_usd = 50000
status_interval_ms = 2000
TOML

# The seeds' backlog, in small: 500 intents of 2025-12-24 for NEAR, RENDER and APT.
for i in $(seq 500); do
  case $((i % 3)) in 0) s=NEARUSDT ;; 1) s=RENDERUSDT ;; *) s=APTUSDT ;; esac
  echo "XADD quantum:stream:trade.intent * symbol $s side BUY confidence 0.72 entry_price 1.465 stop_loss 1.4357 take_profit 1.4943 position_size_usd 200.0 leverage 1 atr_value 0.02 volatility_factor 0.5513439007580968 exchange_divergence 0.0 funding_rate 0.0 regime unknown timestamp 2025-12-24T04:32:14.062679 model ensemble reason AI-signal"
done | rcli > /dev/null
echo "redis: $(rcli XLEN quantum:stream:trade.intent) stale intents waiting on quantum:stream:trade.intent (port $redis_port);"
echo "  RENDERUSDT and APTUSDT are not in [symbols]: those are dead-lettered as unknown symbols"

echo
echo "== exitbrain run (events: $out/events.jsonl) =="
touch "$out/events.jsonl"
# The events as they happen, from a follower in its own process group (stopped as one).
setsid bash -c "tail -n +1 -f '$out/events.jsonl' | grep --line-buffered -E '\"event\":\"(position_adopted|position_opened|entry_requested|entry_sent|redis|levels|exit|exit_sent|hard_stop_placed|hard_stop_cancelled|alert)\"' \
  | sed -u -E 's/^\\{\"t\":[0-9]+,/  /; s/,\"tp\":\\[[^]]*\\]//'" &
follower=$!
$bin/exitbrain run --config "$out/exitbrain.toml" --events "$out/events.jsonl" 2> "$out/run.log" &
run_pid=$!
sleep 5
# A fresh intent: the seeds' NEARUSDT example (confidence 0.72, volatility 0.5513 -> 26x),
# on a symbol with no position, at the market's price now, stops 1 % away.
mark=$(curl -s --cacert "$out/tls/ca.pem" "https://localhost:$port/fapi/v1/premiumIndex?symbol=$intent_symbol" \
  | sed -E 's/.*"markPrice":"([0-9.]+)".*/\1/')
read -r sl tp <<< "$(awk -v m="$mark" 'BEGIN { printf "%.4f %.4f", m * 0.99, m * 1.01 }')"
echo "  intent: $intent_symbol BUY at $mark, stop $sl, take-profit $tp, 200 USDT margin"
rcli XADD quantum:stream:trade.intent '*' symbol "$intent_symbol" side BUY confidence 0.72 \
  entry_price "$mark" stop_loss "$sl" take_profit "$tp" position_size_usd 200.0 leverage 1 \
  atr_value 0.02 volatility_factor 0.5513439007580968 exchange_divergence 0.0 funding_rate 0.0 \
  regime unknown timestamp "$(date +%s%3N)" model ensemble reason "demo signal" > /dev/null
sleep "$((run_seconds > 5 ? run_seconds - 5 : 1))"

echo
echo "== operations: /health, /metrics, exitbrain ctl, exitbrain validate =="
ops=$(cat "$out/state/ops.address")
echo "  /health on $ops: $(curl -s "http://$ops/health" | cut -c1-160)..."
curl -s "http://$ops/metrics" | grep -E '^exitbrain_(positions_managed|positions_without_hard_stop|market_frames_total|decisions_total|intents_total\{outcome="(read|executed|dead_lettered)"\}) ' | sed 's/^/  /'
echo "  exitbrain ctl status: $($bin/exitbrain ctl status --config "$out/exitbrain.toml" | cut -c1-200)..."
$bin/exitbrain validate --config "$out/exitbrain.toml" --lag-wait-ms 200 | sed 's/^/  /' || true

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
echo "redis (the seeds' verification checklist):"
$bin/exitbrain intents --redis "redis://127.0.0.1:$redis_port" --status | sed 's/^/  /'
echo "  XLEN quantum:stream:exitbrain.adaptive_levels: $(rcli XLEN quantum:stream:exitbrain.adaptive_levels)" \
  "($(rcli XRANGE quantum:stream:exitbrain.adaptive_levels - + | grep -c '^expired$') expired, never executed)"
echo "  HGETALL quantum:ilf:metadata:$intent_symbol: $(rcli HGETALL "quantum:ilf:metadata:$intent_symbol" \
  | awk 'NR % 2 == 1 { k = $0 } NR % 2 == 0 { if (k ~ /^(status|target_leverage|dynamic_tp|dynamic_sl|qty)$/) printf "%s=%s ", k, $0 }')"
echo "  XLEN quantum:stream:trade.intent.dead: $(rcli XLEN quantum:stream:trade.intent.dead)" \
  "(first: $(rcli XRANGE quantum:stream:trade.intent.dead - + COUNT 1 | sed -n '/^error.reason$/{n;p}'))"
echo "  quantum:stream:trade.closed: $(rcli XLEN quantum:stream:trade.closed) exits"
rcli XRANGE quantum:stream:trade.closed - + | paste -sd ' ' - | sed -E 's/ ([0-9]+-[0-9]+) / \n    \1 /g; s/^/    /'
echo
echo "orders the exchange received: $(curl -s --cacert "$out/tls/ca.pem" "https://localhost:$port/sim/orders" | grep -o '"endpoint":"[^"]*"' | sort | uniq -c | tr -s ' ' | paste -sd ',' -)"
