#!/usr/bin/env bash
# Builds and runs every benchmark, keeps the raw results in bench/results/ (JSON, and the
# percentile plots as PNG), and rewrites the results section of BENCHMARKS.md.
# tools/test.sh never runs this: benchmarks need a quiet machine, tests must not.
#
# Usage: tools/bench.sh [--quick] [--cpus A,B]
#   --quick   shorter runs (a smoke test of the whole chain; figures are noisier)
#   --cpus    the two CPUs the two-thread benchmarks and the pinned pipeline use (default 0,1)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
cpus="0,1"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --cpus) cpus="$2"; shift ;;
    *) echo "usage: tools/bench.sh [--quick] [--cpus A,B]" >&2; exit 2 ;;
  esac
  shift
done
a="${cpus%,*}"; b="${cpus#*,}"

tools/install-deps.sh
echo "== building (release, and the valgrind-decodable callgrind preset)"
tools/build.sh release >/dev/null
cmake --preset callgrind >/dev/null
cmake --build --preset callgrind -j "$(nproc)" --target exitbrain-bench >/dev/null

out=bench/results
mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.png "$out"/*.md
min_time=0.5; seconds=10; samples=1000; rest_seconds=30
[ "$quick" = 1 ] && { min_time=0.05; seconds=2; samples=30; rest_seconds=5; }

echo "== micro-benchmarks"
build/bin/exitbrain-micro-bench --cpus="$cpus" --benchmark_min_time="$min_time" \
  --benchmark_out="$out/micro.json" --benchmark_out_format=json

echo "== exitbrain-bench pipeline"
pipeline() {
  local name="$1"; shift
  build/bin/exitbrain-bench pipeline --seconds "$seconds" --json "$out/pipeline-$name.json" \
    --png "$out/pipeline-$name.png" "$@"
}
# 2 CPUs: every thread blocks (what a small box runs), then state+decide fused so the two
# busiest threads spin on their own pinned CPUs while the order thread blocks.
pipeline 1-split-block --wait block
pipeline 2-fused-block --fused --wait block
pipeline 3-fused-spin --fused --wait spin,spin,spin,block --cpus "$a,$b,-1,-1"
# The state journal behind the decide stage (its own thread, as in `exitbrain run`), beside
# the same configuration without it (2-fused-block).
journal_dir="$(mktemp -d)"
pipeline 4-fused-block-journal --fused --wait block --journal "$journal_dir/state"
rm -rf "$journal_dir"

echo "== exitbrain-bench loopback (exitbrain run against exitbrain-sim, real sockets)"
build/bin/exitbrain-bench loopback --samples "$samples" --json "$out/loopback.json"

echo "== exitbrain-bench at-rest (CPU of exitbrain run, 9 positions, markPrice@1s)"
build/bin/exitbrain-bench at-rest --seconds "$rest_seconds" --json "$out/at-rest.json"

echo "== exitbrain-bench instructions (valgrind)"
build-callgrind/bin/exitbrain-bench instructions --json "$out/instructions.json"

echo "== BENCHMARKS.md"
build/bin/exitbrain-bench report --dir "$out" --out BENCHMARKS.md \
  --commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
