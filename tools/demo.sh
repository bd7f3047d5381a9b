#!/usr/bin/env bash
# The exitbrain demo: installs what is missing, builds, then
#  0. runs `exitbrain run` live against exitbrain-sim over TLS (tools/demo_live.sh): real
#     recorded prices (or a synthetic market), adopted positions, exits as they happen,
#     and a Redis of trade intents: a stale backlog drained without opening anything, one
#     fresh intent opened at its adaptive leverage, every exit published to trade.closed;
# and replays
#  1. seeded synthetic markPrice@1s data (made here by `exitbrain synth`) with 8 positions;
#  2. when ../shared/data exists: real Binance data — NEARUSDT 1m klines (Feb 2026) with
#     positions opened on it, and the BTCUSDT markPrice@1s capture of 2023-04-05;
#  3. a backtest of the shipped profiles, 1x against adaptive leverage, on the real klines.
# Output (JSON lines, PNG charts) goes to out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh release
bin=build/bin/exitbrain
out=out/demo
mkdir -p "$out"

echo
echo "== 0. live: exitbrain run against exitbrain-sim and Redis =="
tools/demo_live.sh

echo
echo "== 1. synthetic data (seed 42) =="
$bin synth --seed 42 --hours 12 --out "$out/synth.jsonl.gz" --positions-out "$out/synth-positions.jsonl" --positions 8
$bin replay --market "$out/synth.jsonl.gz" --positions "$out/synth-positions.jsonl" \
  --out "$out/synth-decisions.jsonl" --chart "$out/synth.png"
echo "first exits:"
grep '"event":"exit"' "$out/synth-decisions.jsonl" | head -5

data="${EXITBRAIN_DATA_DIR:-../shared/data}"
if [ ! -d "$data" ]; then
  echo
  echo "no recorded data at $data (set EXITBRAIN_DATA_DIR): skipping the real-data replays"
  exit 0
fi

echo
echo "== 2a. real data: NEARUSDT 1m klines, 2026-02, 11 positions =="
klines="$data/klines/binance-public/NEARUSDT-1m-2026-02.csv"
# Positions opened on the data itself: every 2.5 days from day 1, alternating sides, at the
# candle's open price (read here, never copied into the repository).
awk -F, 'NR > 1 && (NR - 1442) % 3600 == 0 {
  n++; printf "{\"id\":\"near%d\",\"symbol\":\"NEARUSDT\",\"side\":\"%s\",\"qty\":100,\"entry_price\":%s,\"opened_at\":%s%s}\n",
  n, (n % 2 ? "LONG" : "SHORT"), $2, $1, (n % 3 == 0 ? ",\"profile\":\"RANGE\"" : "") }' "$klines" > "$out/near-positions.jsonl"
$bin replay --market "$klines" --positions "$out/near-positions.jsonl" \
  --exchange-info "$data/ws/multi/exchangeinfo.BINANCE_FUTURES.0" \
  --out "$out/near-decisions.jsonl" --chart "$out/near.png"

echo
echo "== 2b. real data: BTCUSDT markPrice@1s capture, 2023-04-05 00:00-00:07 =="
capture="$data/ws/usdm/btcusdt_20230405.dat.gz"
# Explicit levels: 7 minutes is too short to warm a 14 x 5m ATR (the provisional stop shows).
# (zcat is cut short by grep -m1 on purpose: hence the `|| true` under pipefail.)
first=$( (zcat "$capture" | grep -m1 markPriceUpdate || true) | sed 's/.*"E":\([0-9]*\).*"p":"\([0-9.]*\)".*/\1 \2/')
t0=${first% *}; p0=${first#* }
cat > "$out/btc-positions.jsonl" <<JSON
{"id":"btc-long","symbol":"BTCUSDT","side":"LONG","qty":0.5,"entry_price":$p0,"opened_at":$t0,"sl":$(awk -v p=$p0 'BEGIN{printf "%.1f", p-25}'),"tp":[$(awk -v p=$p0 'BEGIN{printf "%.1f,%.1f", p+10, p+30}')]}
{"id":"btc-short","symbol":"BTCUSDT","side":"SHORT","qty":0.5,"entry_price":$p0,"opened_at":$t0}
JSON
$bin replay --market "$capture" --positions "$out/btc-positions.jsonl" \
  --exchange-info "$data/ws/multi/exchangeinfo.BINANCE_FUTURES.0" \
  --out "$out/btc-decisions.jsonl" --chart "$out/btc.png"

echo
echo "== 3. backtest on real klines: profiles, 1x vs adaptive leverage =="
$bin backtest --klines "$data/klines/binance-public/NEARUSDT-1m-2026-02.csv" \
  "$data/klines/binance-public/AVAXUSDT-1m-2026-02.csv" "$data/klines/binance-public/LINKUSDT-1m-2026-02.csv" \
  --entries every:4h
echo
echo "decisions and charts are in $out/"
