// exitbrain-intent-bench: the seeds' 10,014-intent backlog, drained by the intent consumer
// while the decision stage keeps deciding, side by side with the decision stage alone.
//
//   exitbrain-intent-bench --redis redis://127.0.0.1:PORT [--intents 10014] [--period-us 20]
//                          [--ticks 200000] [--hot-cpu 1] [--consumer-cpu 0]
//
// (tools/bench_intents.sh starts a throw-away redis-server and runs this.)
//
// The hot thread runs ExitEngine::on_price for 64 positions on 8 symbols, one tick every
// --period-us on a fixed schedule. Latency is measured from the tick's scheduled time to the
// end of its decision, so a tick delayed by anything (the consumer, Redis, the OS) counts
// the delay: no coordinated omission. Run 1: the hot thread alone. Run 2: the same, while
// the consumer thread drains the backlog; only the ticks scheduled during the drain count. Printed:
// drain time, intents/s, the group's lag and pending after, and both latency distributions.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/symbol_table.hpp"
#include "core/thread_affinity.hpp"
#include "net/redis_client.hpp"
#include "strategies/exit_engine.hpp"
#include "tools/common/event_log.hpp"
#include "tools/intents/intent_consumer.hpp"

namespace exitbrain {
namespace {

constexpr int kSymbols = 8;
constexpr int kPositions = 64;
const char* const kIntentSymbols[] = {"NEARUSDT", "RENDERUSDT", "APTUSDT"};

struct Options {
  std::string redis = "redis://127.0.0.1:6379";
  int intents = 10'014;
  int period_us = 20;
  int ticks = 200'000;
  int hot_cpu = 1;
  int consumer_cpu = 0;
};

struct HotResult {
  std::vector<MonoNs> due_ns;  // when each tick was scheduled
  std::vector<std::int64_t> latency_ns;
  std::uint64_t decisions = 0;
};

// The decision stage with kPositions open positions whose levels are never reached.
struct Book {
  SymbolTable symbols;
  std::unique_ptr<ExitEngine> engine;

  Book() {
    for (int s = 0; s < kSymbols; ++s) {
      const SymbolId id = *symbols.intern("S" + std::to_string(s) + "USDT");
      symbols.filters(id).tick_size = Decimal::from_units(1'000'000);  // 0.01
      symbols.filters(id).step_size = Decimal::from_units(100'000);    // 0.001
    }
    Profile p;
    p.time_stop_sec = 0;
    engine = std::make_unique<ExitEngine>(std::vector<Profile>{p}, std::vector<std::uint8_t>{0},
                                          symbols, kPositions);
    for (int i = 0; i < kPositions; ++i) {
      NewPosition np;
      np.symbol = static_cast<SymbolId>(i % kSymbols);
      np.side = i % 2 ? Side::kShort : Side::kLong;
      np.qty = Decimal::from_int(1);
      np.entry = Decimal::from_int(100);
      np.sl = Decimal::from_int(i % 2 ? 150 : 50);
      np.tp[0] = Decimal::from_int(i % 2 ? 50 : 150);
      np.tp_count = 1;
      (void)engine->add_position(np, [](const Decision&) {});
    }
  }
};

// Ticks on a fixed schedule until `min_ticks` are done and `keep_going` is false.
HotResult run_hot(const Options& o, int min_ticks, const std::atomic<bool>& keep_going) {
  if (o.hot_cpu >= 0) (void)pin_current_thread(o.hot_cpu);
  Book book;
  HotResult r;
  r.latency_ns.reserve(static_cast<std::size_t>(o.ticks) * 4);
  r.due_ns.reserve(static_cast<std::size_t>(o.ticks) * 4);
  PriceState st;
  st.updated = trigger_bit(TriggerSource::kMark);
  st.atr[0] = 0.5;
  st.atr_ready = 1;
  const MonoNs period = static_cast<MonoNs>(o.period_us) * 1000;
  const MonoNs start = mono_now_ns();
  for (std::int64_t i = 0; i < min_ticks || keep_going.load(std::memory_order_relaxed); ++i) {
    const MonoNs due = start + i * period;
    while (mono_now_ns() < due) {
    }
    st.symbol = static_cast<SymbolId>(i % kSymbols);
    st.mark = Decimal::from_units(10'000'000'000 + (i % 21 - 10) * 1'000'000);
    st.event_time = 1'771'000'000'000 + i;
    book.engine->on_price(st, [&](const Decision&) { ++r.decisions; });
    r.latency_ns.push_back(mono_now_ns() - due);
    r.due_ns.push_back(due);
  }
  return r;
}

// Seed 004's events, stamped on the seeds' day: the backlog is stale, as the seeds' was.
void write_backlog(RedisConnection& c, const RedisSettings& s, int n) {
  (void)c.command({"DEL", s.intent_stream, s.levels_stream, s.dead_letter_stream});
  const RedisReply keys = c.command({"KEYS", s.applied_prefix + "*"});
  for (std::size_t i = 0; i < keys.value().size(); ++i) c.append({"DEL", keys.value()[i].text()});
  for (std::size_t i = 0; i < keys.value().size(); ++i) (void)c.read_reply();
  for (int i = 0; i < n; ++i) {
    const std::string vf = std::to_string(0.5 + 0.05 * (i % 10) / 10.0);
    c.append({"XADD",
              s.intent_stream,
              "*",
              "symbol",
              kIntentSymbols[i % 3],
              "side",
              "BUY",
              "confidence",
              "0.72",
              "entry_price",
              "1.465",
              "stop_loss",
              "1.4357",
              "take_profit",
              "1.4943",
              "position_size_usd",
              "200.0",
              "leverage",
              "1",
              "atr_value",
              "0.02",
              "volatility_factor",
              vf,
              "exchange_divergence",
              "0.0",
              "funding_rate",
              "0.0",
              "regime",
              "unknown",
              "timestamp",
              "2025-12-24T04:32:14.062679",
              "model",
              "ensemble",
              "reason",
              "AI signal"});
  }
  for (int i = 0; i < n; ++i) (void)c.read_reply();
}

void print_latency(const char* name, HotResult& r) {
  std::vector<std::int64_t>& v = r.latency_ns;
  std::sort(v.begin(), v.end());
  auto q = [&](double f) {
    return static_cast<double>(v[static_cast<std::size_t>(f * static_cast<double>(v.size() - 1))]) /
           1000.0;
  };
  std::printf(
      "%-22s %9zu ticks  p50 %7.2f us  p90 %7.2f us  p99 %8.2f us  p99.9 %8.2f us  max %9.2f us\n",
      name, v.size(), q(0.5), q(0.9), q(0.99), q(0.999), q(1.0));
}

int run(const Options& o) {
  RedisSettings s;
  s.url = o.redis;
  s.group = "bench";
  s.consumer = "bench-1";
  s.block_ms = 10;
  SymbolTable symbols;
  for (const char* name : kIntentSymbols) (void)symbols.intern(name);
  RedisOptions ro;
  ro.url = parse_redis_url(o.redis).url;
  RedisConnection admin(ro);
  if (std::string err = admin.connect(); !err.empty()) {
    std::fprintf(stderr, "error: redis %s: %s\n", ro.url.redacted().c_str(), err.c_str());
    return 1;
  }

  // Run 1: the decision stage alone.
  std::atomic<bool> keep_going{false};
  HotResult idle = run_hot(o, o.ticks, keep_going);

  // Run 2: the same while the consumer drains the backlog.
  write_backlog(admin, s, o.intents);
  (void)admin.command({"XGROUP", "DESTROY", s.intent_stream, s.group});
  IntentConsumer consumer(s, symbols, "");
  if (std::string err = consumer.connect(); !err.empty()) {
    std::fprintf(stderr, "error: %s\n", err.c_str());
    return 1;
  }
  keep_going = true;
  HotResult busy;
  std::thread hot([&] { busy = run_hot(o, 0, keep_going); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the hot thread is ticking
  if (o.consumer_cpu >= 0) (void)pin_current_thread(o.consumer_cpu);
  const MonoNs t0 = mono_now_ns();
  int empty = 0;
  bool failed = false;
  while (empty < 2) {
    const int n = consumer.step(wall_clock_ms(), false);
    if (n < 0) {
      failed = true;
      break;
    }
    empty = n == 0 && consumer.caught_up() ? empty + 1 : 0;
  }
  const MonoNs t1 = mono_now_ns();
  const double drain_ms = static_cast<double>(t1 - t0) / 1e6;
  keep_going = false;
  hot.join();
  // Only the ticks scheduled while the backlog drained.
  HotResult during;
  for (std::size_t i = 0; i < busy.due_ns.size(); ++i)
    if (busy.due_ns[i] >= t0 && busy.due_ns[i] <= t1)
      during.latency_ns.push_back(busy.latency_ns[i]);
  if (failed) {
    std::fprintf(stderr, "error: redis connection lost while draining\n");
    return 1;
  }
  const IntentGroupStatus g = consumer.group_status();
  const IntentStats& st = consumer.stats();
  std::printf(
      "backlog: %d intents drained in %.1f ms (%.0f intents/s): %llu expired, %llu "
      "executed, %llu dead-lettered; lag after %lld, pending after %lld\n",
      o.intents, drain_ms, o.intents * 1000.0 / drain_ms,
      static_cast<unsigned long long>(st.expired), static_cast<unsigned long long>(st.executed),
      static_cast<unsigned long long>(st.dead_lettered), g.lag, g.pending);
  std::printf("tick-to-decision (scheduled tick -> decision made), one tick every %d us:\n",
              o.period_us);
  print_latency("  decide alone", idle);
  if (!during.latency_ns.empty()) print_latency("  decide while draining", during);
  return 0;
}

}  // namespace
}  // namespace exitbrain

int main(int argc, char** argv) {
  exitbrain::Options o;
  CLI::App app{"The seeds' intent backlog drained beside the decision stage"};
  app.add_option("--redis", o.redis, "redis://host:port of a throw-away Redis (it is written to)")
      ->required();
  app.add_option("--intents", o.intents, "Backlog size (the seeds': 10014)")
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--period-us", o.period_us, "Tick period")->check(CLI::Range(1, 1'000'000));
  app.add_option("--ticks", o.ticks, "Ticks in the run alone (at least)")
      ->check(CLI::Range(1000, 100'000'000));
  app.add_option("--hot-cpu", o.hot_cpu, "CPU of the decision thread (-1: not pinned)");
  app.add_option("--consumer-cpu", o.consumer_cpu, "CPU of the consumer thread (-1: not pinned)");
  CLI11_PARSE(app, argc, argv);
  return exitbrain::run(o);
}
