#!/usr/bin/env bash
# Builds the fuzz preset (clang-14, libFuzzer, ASan + UBSan) and runs every fuzz target
# on its seed corpus for a bounded time, then prints one line per target: executions,
# coverage, corpus size, crashes. Exit status 1 if any target crashed or broke its
# invariant (the input is kept under build-fuzz/artifacts/<target>/).
#
# Usage: tools/fuzz.sh [--seconds N] [--runs N] [--target NAME] [--no-build] [--keep-corpus]
#   --seconds N     time per target (default 20)
#   --runs N        stop a target after N executions instead (with --seconds as a cap)
#   --target NAME   one target only (market_message, user_data, rest_answers, trade_intent,
#                   cross_exchange, config, positions_file, market_file, ws_frames,
#                   journal)
#   --keep-corpus   grow build-fuzz/corpus/<target> from run to run (default: start again
#                   from the seeds each run, so a CI run is the same work every time)
# Seeds: fuzz/seeds/<target>/ (the tests' own cases), plus samples of ../shared/data when
# it is there (EXITBRAIN_SHARED_DATA to point elsewhere). Dictionaries: fuzz/dict/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=20
runs=0
only=""
build=1
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --target) only="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --keep-corpus) keep=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "tools/fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$seconds$runs" in *[!0-9]*) echo "tools/fuzz.sh: --seconds and --runs take whole numbers" >&2; exit 2 ;; esac

if [ "$build" = 1 ]; then
  tools/install-deps.sh
  tools/build.sh fuzz
fi
bin=build-fuzz/bin
targets=(market_message user_data rest_answers trade_intent cross_exchange config positions_file
         market_file ws_frames journal)
if [ -n "$only" ]; then
  [ -x "$bin/fuzz_$only" ] || { echo "tools/fuzz.sh: no target $only in $bin" >&2; exit 2; }
  targets=("$only")
fi

data="${EXITBRAIN_SHARED_DATA:-../shared/data}"
if [ -d "$data" ]; then
  echo "seeds: fuzz/seeds and samples of $data"
else
  echo "seeds: fuzz/seeds only ($data is absent: no recorded samples)"
fi

# Samples of the recorded data for a target's corpus (never copied into the repository).
shared_seeds() (
  # head closes the pipe early on purpose: no pipefail here.
  set +o pipefail
  target="$1" out="$2" n=0
  [ -d "$data" ] || return 0
  case "$target" in
    market_message)
      # Every stream kind of every capture: the first messages of each kind, prefix cut.
      for f in "$data"/ws/usdm/*.gz; do
        [ -f "$f" ] || continue
        zcat "$f" 2>/dev/null | head -n 4000 | cut -d' ' -f2- | awk -v d="$out" -v b="$(basename "$f")" '
          { k = $0; sub(/.*"stream":"/, "", k); sub(/".*/, "", k); sub(/^[a-z0-9]*@/, "", k)
            if (seen[k]++ < 8) { f = d "/" b "-" NR; print > f; close(f) } }'
      done
      for f in "$data"/ws/multi/BINANCE_FUTURES*; do
        [ -f "$f" ] || continue
        tail -n +2 "$f" | head -n 3000 | sed 's/^[0-9.]*: //' | awk -v d="$out" -v b="$(basename "$f")" '
          { k = $0; sub(/.*"stream":"/, "", k); sub(/".*/, "", k); sub(/^[a-z0-9]*@/, "", k)
            if (seen[k]++ < 8) { f = d "/" b "-" NR; print > f; close(f) } }'
      done ;;
    rest_answers)
      f="$data/ws/multi/exchangeinfo.BINANCE_FUTURES.0"
      if [ -f "$f" ]; then
        { printf '\x0d'; sed -n 's/^[^{]*-> [0-9.]*: //p' "$f" | head -n 1; } > "$out/exchangeinfo"
      fi ;;
    market_file)
      for f in "$data"/klines/*/*.csv; do
        [ -f "$f" ] || continue
        n=$((n + 1)); [ "$n" -le 12 ] || break
        { printf '\x00'; head -n 40 "$f"; } > "$out/$(basename "$f")"
      done
      for f in "$data"/ws/usdm/*.gz; do
        [ -f "$f" ] || continue
        { printf '\x01'; zcat "$f" 2>/dev/null | head -n 60; } > "$out/$(basename "$f")"
      done ;;
  esac
  true
)

mkdir -p build-fuzz/artifacts build-fuzz/logs
failed=0
printf '%-16s %12s %9s %7s %8s  %s\n' target executions exec/s cov corpus result
for t in "${targets[@]}"; do
  corpus="build-fuzz/corpus/$t"
  if [ "$keep" = 0 ]; then rm -rf "$corpus"; fi
  mkdir -p "$corpus" "build-fuzz/artifacts/$t"
  cp fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
  shared_seeds "$t" "$corpus"
  log="build-fuzz/logs/$t.log"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="build-fuzz/artifacts/$t/" -dict="fuzz/dict/$t.dict")
  [ "$runs" -gt 0 ] && args+=(-runs="$runs")
  set +e
  "$bin/fuzz_$t" "${args[@]}" "$corpus" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  size=$(find "$corpus" -type f | wc -l)
  if [ "$rc" -eq 0 ]; then
    result=ok
  else
    result="CRASH (exit $rc): $(ls -t "build-fuzz/artifacts/$t" | head -n 1) — see $log"
    failed=1
  fi
  printf '%-16s %12s %9s %7s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$size" "$result"
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: a target crashed or broke its invariant; reproduce with build-fuzz/bin/fuzz_<target> <artifact>" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds}s$([ "$runs" -gt 0 ] && echo " or $runs runs") without a crash"
