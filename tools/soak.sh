#!/usr/bin/env bash
# The fault soak: `exitbrain run` (with [redis], intents flowing) against exitbrain-sim over
# TLS on four symbols, positions opening and closing, and a seeded random schedule of every
# fault we know, over and over: 503 that executed and 503 that did not, 429 with
# Retry-After, 418, -1021 clock skew, slow answers, the market feed dropped, silenced and
# refused, the user stream dropped and its listen key expired, Redis restarted with and
# without its data, exitbrain killed with SIGKILL and restarted on its journal, SIGTERM and
# restart. At the end exitbrain-soak-check judges it from the simulator's own order record,
# trade.closed and the samples of the daemon's RSS, files and threads, and prints
# "N passed, M failed" per invariant.
#
# Usage: tools/soak.sh [--minutes N] [--seed S] [--out DIR] [--no-build | --bin DIR]
#   --minutes N   how long the faults go on (default 3; fractions allowed)
#   --seed S      the schedule's seed (default 1): the same seed, the same schedule
#   --out DIR     where the logs, the record and the verdict go (default build/soak)
#   --no-build    use build/bin as it is
#   --bin DIR     use the binaries in DIR (a copy kept aside: a long run whose restarts must
#                 not pick up binaries rebuilt meanwhile); implies --no-build
# Talks to 127.0.0.1 only; stops by itself. Exit status 1 if an invariant failed.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=3
seed=1
out=build/soak
build=1
bin=build/bin
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --bin) bin="$2"; build=0; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "tools/soak.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$seed" in ''|*[!0-9]*) echo "tools/soak.sh: --seed takes a whole number" >&2; exit 2 ;; esac
seconds="$(awk -v m="$minutes" 'BEGIN { if (m + 0 <= 0 || m + 0 > 1440) exit 1; printf "%d", m * 60 }')" ||
  { echo "tools/soak.sh: --minutes takes a number in (0, 1440]" >&2; exit 2; }

if [ "$build" = 1 ]; then
  tools/install-deps.sh
  tools/build.sh release
fi
for b in exitbrain exitbrain-sim exitbrain-soak-check; do
  [ -x "$bin/$b" ] || { echo "tools/soak.sh: $bin/$b is missing (build first, or drop --no-build)" >&2; exit 2; }
done
rm -rf "$out"
mkdir -p "$out/tls" "$out/redis"
out="$(cd "$out" && pwd)"
RANDOM=$seed
log() { echo "soak: [$(date +%T)] $*" | tee -a "$out/schedule.log"; }

export BINANCE_API_KEY="soak-key-$RANDOM$RANDOM"
BINANCE_API_SECRET="soak-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export BINANCE_API_SECRET

sim_pid="" run_pid="" redis_pid="" sampler_pid=""
cleanup() {
  for p in "$sampler_pid" "$run_pid" "$sim_pid" "$redis_pid"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT

symbols=(BTCUSDT ETHUSDT SOLUSDT BNBUSDT)
declare -A qty=([BTCUSDT]=0.005 [ETHUSDT]=0.1 [SOLUSDT]=2 [BNBUSDT]=0.5)
"$bin/exitbrain-sim" --synthetic BTCUSDT:60000,ETHUSDT:3000,SOLUSDT:150,BNBUSDT:600 --seed "$seed" \
  --history-minutes 120 --tls-generate "$out/tls" --port-file "$out/port" -v > "$out/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 200); do [ -s "$out/port" ] && break; sleep 0.05; done
[ -s "$out/port" ] || { echo "tools/soak.sh: exitbrain-sim did not start ($out/sim.log)" >&2; exit 1; }
port="$(cat "$out/port")"
sim="https://localhost:$port"
simctl() { curl -sf --cacert "$out/tls/ca.pem" -X POST "$sim/sim/$1" > /dev/null || log "  (sim refused $1)"; }
mark_of() {
  curl -sf --cacert "$out/tls/ca.pem" "$sim/fapi/v1/premiumIndex?symbol=$1" |
    sed -E 's/.*"markPrice":"([0-9.]+)".*/\1/'
}

# Redis keeps its data in an append-only file; a restart "without persistence" deletes it.
redis_port=""
redis_start() {
  for _ in 1 2 3 4 5; do
    redis_port="${redis_port:-$((20000 + RANDOM % 40000))}"
    redis-server --port "$redis_port" --bind 127.0.0.1 --appendonly yes --appendfsync always \
      --save "" --dir "$out/redis" --daemonize no >> "$out/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 100); do
      redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && return 0
      kill -0 "$redis_pid" 2>/dev/null || break
      sleep 0.05
    done
    kill "$redis_pid" 2>/dev/null || true
    redis_port=""
  done
  echo "tools/soak.sh: could not start redis-server ($out/redis.log)" >&2
  exit 1
}
redis_start
redis_url="redis://127.0.0.1:$redis_port"

cat > "$out/exitbrain.toml" <<TOML
# The soak's exitbrain: the simulator over TLS, four symbols, Redis for intents.
default_profile = "AUTO"

[exchange]
rest_url = "https://localhost:$port"
ws_market_url = "wss://localhost:$port/market"
ws_public_url = "wss://localhost:$port/public"
ws_private_url = "wss://localhost:$port/private"
ca_file = "$out/tls/ca.pem"

[symbols]
list = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"]

[run]
foreign_positions = "adopt"

[ops]
listen = "127.0.0.1:0"

[redis]
url = "$redis_url"
entries = "execute"
intent_max_age_ms = 30000
max_order_notional_usd = 5000
max_total_notional_usd = 20000
TOML

runs=0
run_start() {
  runs=$((runs + 1))
  "$bin/exitbrain" run --config "$out/exitbrain.toml" --events "$out/events.$runs.jsonl" \
    > "$out/run.$runs.log" 2>&1 &
  run_pid=$!
  echo "$run_pid" > "$out/run.pid"
}
run_start

# The daemon's resources every 2 s: <ms> <pid> <rss kB> <open fds> <threads>.
(
  while true; do
    for pid in $(cat "$out/run.pid" 2>/dev/null); do
      rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
      thr=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
      # (|| true: a run killed between two reads must not end the sampler under pipefail,
      # as it did once, leaving one process's samples for a 45-minute soak)
      fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l || true)
      [ -n "$rss" ] && [ -n "$thr" ] && echo "$(date +%s%3N) $pid $rss $fds $thr"
    done
    sleep 2
  done
) > "$out/samples.txt" &
sampler_pid=$!

# trade.closed as it stands, kept before Redis loses it (a restart without persistence).
save_closed() {
  "$bin/exitbrain-soak-check" --save-closed "$out/closed.saved" --redis "$redis_url" ||
    log "  (could not save trade.closed)"
}

open_position() {
  local s=${symbols[$((RANDOM % 4))]} side
  side=$([ $((RANDOM % 2)) = 0 ] && echo LONG || echo SHORT)
  log "market: open $s $side ${qty[$s]} (a trader, on the web)"
  simctl "open?symbol=$s&side=$side&qty=${qty[$s]}"
}
breach() {
  # A jump of 2-4 % held for 3 s: a stop or a take-profit of whatever is open there.
  local s=${symbols[$((RANDOM % 4))]} m p pct
  m="$(mark_of "$s")" || return 0
  pct=$((2 + RANDOM % 3))
  p="$(awk -v m="$m" -v pct="$pct" -v up=$((RANDOM % 2)) 'BEGIN { printf "%.2f", up ? m * (1 + pct / 100) : m * (1 - pct / 100) }')"
  log "market: $s jumps from $m to $p for 3 s"
  simctl "mark?symbol=$s&price=$p&hold=1"
  sleep 3
  simctl "mark?symbol=$s&price=$m"
}
intent() {
  local s=${symbols[$((RANDOM % 4))]} m sl tp side
  m="$(mark_of "$s")" || return 0
  side=$([ $((RANDOM % 2)) = 0 ] && echo BUY || echo SELL)
  if [ "$side" = BUY ]; then
    read -r sl tp <<< "$(awk -v m="$m" 'BEGIN { printf "%.4f %.4f", m * 0.985, m * 1.02 }')"
  else
    read -r sl tp <<< "$(awk -v m="$m" 'BEGIN { printf "%.4f %.4f", m * 1.015, m * 0.98 }')"
  fi
  log "intent: $s $side at $m (stop $sl, take-profit $tp)"
  redis-cli -p "$redis_port" XADD quantum:stream:trade.intent '*' symbol "$s" side "$side" \
    confidence 0.7 entry_price "$m" stop_loss "$sl" take_profit "$tp" position_size_usd 150.0 \
    leverage 1 atr_value 0.02 volatility_factor 0.5 exchange_divergence 0.0 funding_rate 0.0 \
    regime unknown timestamp "$(date +%s%3N)" model soak reason "soak intent" > /dev/null ||
    log "  (Redis refused the intent: it is restarting)"
}

# Each fault's window, for the breach invariant: "<start ms> <end ms> <name>" (how long it
# can keep exitbrain from seeing a price or sending: its own length, the reconnect or
# Retry-After behind it, a restart until the new run is running, the owner lease's TTL).
now_ms() { date +%s%3N; }
window() { echo "$1 $(( $(now_ms) + $2 )) $3" >> "$out/faults.txt"; }
# A restarted run is running once its event log says so (backfill, reconciliation).
wait_running() {
  for _ in $(seq 600); do
    grep -q '"event":"running"' "$out/events.$runs.jsonl" 2>/dev/null && return 0
    kill -0 "$run_pid" 2>/dev/null || return 0
    sleep 0.1
  done
}

# A mark between the engine's stop and the exchange's hard stop (which sits 0.2 % beyond):
# only exitbrain can act on it; the invariant checks that it did, and when.
breach_inside() {
  local s=${symbols[$((RANDOM % 4))]} algos side trigger p m
  algos="$(curl -sf --cacert "$out/tls/ca.pem" "$sim/sim/algos?symbol=$s")" || return 0
  side="$(printf '%s' "$algos" | sed -nE 's/.*"side":"(BUY|SELL)".*/\1/p')"
  trigger="$(printf '%s' "$algos" | sed -nE 's/.*"triggerPrice":"([0-9.]+)".*/\1/p')"
  [ -n "$side" ] && [ -n "$trigger" ] || return 0
  m="$(mark_of "$s")" || return 0
  # A SELL stop protects a LONG: just above its trigger; a BUY stop, just below.
  p="$(awk -v t="$trigger" -v sell=$([ "$side" = SELL ] && echo 1 || echo 0) \
    'BEGIN { printf "%.4f", sell ? t * 1.0005 : t * 0.9995 }')"
  log "market: $s to $p for 3 s, inside its stop (hard stop $side at $trigger)"
  simctl "mark?symbol=$s&price=$p&hold=1"
  sleep 3
  simctl "mark?symbol=$s&price=$m"
}

fault() {
  local t0
  t0="$(now_ms)"
  case "$1" in
    unknown_503) log "fault: the next order executes but is answered 503 unknown"; simctl "faults?unknown_503=1" ;;
    unavailable_503) log "fault: the next order is not executed, 503"; simctl "faults?unavailable_503=1" ;;
    rate_limit_429) log "fault: 429 with Retry-After on the next 2 signed requests"; simctl "faults?rate_limit_429=2" ;;
    ban_418) log "fault: 418 (IP ban) with Retry-After on the next signed request"; simctl "faults?ban_418=1" ;;
    clock_skew) log "fault: the exchange's clock 1.5 s behind (-1021) for 8 s"
      simctl "faults?clock_skew_ms=-1500"; sleep 8; simctl "faults?clock_skew_ms=0" ;;
    slow) log "fault: answers 400 ms slow for 6 s"; simctl "faults?delay_ms=400"; sleep 6; simctl "faults?delay_ms=0" ;;
    drop_market) log "fault: market connections dropped"; simctl "faults?drop_market_ws=1" ;;
    silence_market) log "fault: the market silent for 5 s"; simctl "faults?silence_ms=5000" ;;
    refuse_market) log "fault: market connections refused for 4 s"; simctl "faults?refuse_market_ws_ms=4000" ;;
    drop_user) log "fault: user-data connections dropped"; simctl "faults?drop_user_ws=1" ;;
    expire_key) log "fault: the listen key expires"; simctl "faults?expire_listen_key=1" ;;
    kill9) log "fault: exitbrain killed with SIGKILL, restarted in 1 s (run $((runs + 1)))"
      kill -KILL "$run_pid" 2>/dev/null || true; wait "$run_pid" 2>/dev/null || true
      sleep 1; run_start ;;
    sigterm) log "fault: exitbrain stopped with SIGTERM, restarted (run $((runs + 1)))"
      kill -TERM "$run_pid" 2>/dev/null || true
      wait "$run_pid" 2>/dev/null || log "  (run $runs exited with $?)"
      run_start ;;
    redis_keep) log "fault: Redis restarted, its data kept"
      redis-cli -p "$redis_port" SHUTDOWN > /dev/null 2>&1 || true; wait "$redis_pid" 2>/dev/null || true
      sleep 1; redis_start ;;
    redis_lose) log "fault: Redis restarted without its data"
      save_closed
      redis-cli -p "$redis_port" SHUTDOWN NOSAVE > /dev/null 2>&1 || true; wait "$redis_pid" 2>/dev/null || true
      rm -rf "$out/redis/"*; sleep 1; redis_start ;;
  esac
  case "$1" in
    unknown_503|unavailable_503|drop_user|expire_key) window "$t0" 10000 "$1" ;;
    rate_limit_429|ban_418|slow|clock_skew) window "$t0" 5000 "$1" ;;
    drop_market|refuse_market|silence_market) window "$t0" 10000 "$1" ;;
    kill9|sigterm) wait_running; window "$t0" 2000 "$1" ;;
    redis_keep|redis_lose) window "$t0" 17000 "$1" ;;
  esac
}
faults=(unknown_503 unavailable_503 rate_limit_429 ban_418 clock_skew slow drop_market
        silence_market refuse_market drop_user expire_key kill9 sigterm redis_keep redis_lose)

log "seed $seed, $minutes min of faults; exitbrain-sim on 127.0.0.1:$port, Redis on $redis_port; out $out"
sleep 8  # start-up: backfill, the first stops
for s in "${symbols[@]:0:2}"; do
  simctl "open?symbol=$s&side=LONG&qty=${qty[$s]}"
  log "market: open $s LONG ${qty[$s]}"
done
end=$((SECONDS + seconds))
cycle=0
died=0
while [ "$SECONDS" -lt "$end" ]; do
  cycle=$((cycle + 1))
  # Every fault once per cycle, in a seeded order.
  order=()
  for f in "${faults[@]}"; do order+=("$((RANDOM % 1000)) $f"); done
  mapfile -t order < <(printf '%s\n' "${order[@]}" | sort -n | cut -d' ' -f2)
  for f in "${order[@]}"; do
    [ "$SECONDS" -lt "$end" ] || break
    # exitbrain ends only when the schedule ends it: anything else is a finding.
    if ! kill -0 "$run_pid" 2>/dev/null; then
      wait "$run_pid" 2>/dev/null && rc=0 || rc=$?
      died=$((died + 1))
      log "exitbrain run $runs ended by itself (exit $rc; $out/run.$runs.log): started again"
      run_start
    fi
    fault "$f"
    case $((RANDOM % 5)) in
      0) open_position ;;
      1) breach ;;
      2) intent ;;
      3) breach_inside ;;
      4) ;;
    esac
    sleep "$((3 + RANDOM % 4))"
  done
done
log "faults over after $cycle cycle(s); the market calms for 20 s, then exitbrain stops (SIGTERM)"
simctl "faults?unknown_503=0&unavailable_503=0&rate_limit_429=0&ban_418=0&clock_skew_ms=0&delay_ms=0"
sleep 20
kill -TERM "$run_pid" 2>/dev/null || true
wait "$run_pid" 2>/dev/null || log "  (the last run exited with $?)"
run_pid=""
kill "$sampler_pid" 2>/dev/null || true
sampler_pid=""
curl -sf --cacert "$out/tls/ca.pem" "$sim/sim/orders" > "$out/orders.json"
curl -sf --cacert "$out/tls/ca.pem" "$sim/sim/positions" > "$out/positions.json"
curl -sf --cacert "$out/tls/ca.pem" "$sim/sim/marks" > "$out/marks.json"
touch "$out/faults.txt"
status=0
"$bin/exitbrain-soak-check" --orders "$out/orders.json" --samples "$out/samples.txt" \
  --marks "$out/marks.json" --faults "$out/faults.txt" \
  --redis "$redis_url" --closed-file "$out/closed.saved" | tee "$out/verdict.txt" || status=$?
if [ "$died" -gt 0 ]; then
  echo "FAIL  exitbrain stayed up between the faults: $died run(s) ended by themselves" | tee -a "$out/verdict.txt"
  status=1
else
  echo "ok    exitbrain stayed up between the faults: $runs runs, none ended by itself" | tee -a "$out/verdict.txt"
fi
# Secrets never reach a log.
if grep -rqF "$BINANCE_API_SECRET" "$out"; then
  echo "FAIL  the API secret appears in $(grep -rlF "$BINANCE_API_SECRET" "$out" | head -1)" | tee -a "$out/verdict.txt"
  status=1
fi
log "$runs exitbrain runs; logs, the record and the verdict in $out"
exit "$status"
