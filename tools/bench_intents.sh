#!/usr/bin/env bash
# The seeds' 10,014-intent backlog drained by the intent consumer, beside the decision
# stage, against a throw-away redis-server on a free loopback port (nothing else is
# touched). Usage: tools/bench_intents.sh [exitbrain-intent-bench options]
# Redis runs on CPU $REDIS_CPU (default 0, where the consumer thread runs by default), as a
# colocated deployment keeps it off the cores of the hot path; the decision thread is on
# CPU 1 (--hot-cpu).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh >/dev/null
dir=$(mktemp -d)
redis_pid=""
trap '[ -n "$redis_pid" ] && kill $redis_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
for _ in 1 2 3 4 5; do  # a random high port; another one if it is taken
  port=$((20000 + RANDOM % 40000))
  taskset -c "${REDIS_CPU:-0}" redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
    --daemonize no >"$dir/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break 2
    kill -0 $redis_pid 2>/dev/null || break
    sleep 0.05
  done
  kill $redis_pid 2>/dev/null || true
  redis_pid=""
done
[ -n "$redis_pid" ] || { echo "error: could not start redis-server ($dir/redis.log)" >&2; exit 1; }
build/bin/exitbrain-intent-bench --redis "redis://127.0.0.1:$port" "$@"
