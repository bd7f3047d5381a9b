// exitbrain-intent-bench: the seeds' 10,014-intent backlog, drained by the intent consumer
// while `exitbrain run`'s hot pipeline keeps deciding, side by side with the pipeline alone.
//
//   exitbrain-intent-bench --redis redis://127.0.0.1:PORT [--intents 10014] [--period-us 200]
//                          [--ticks 20000] [--hot-cpu 1] [--consumer-cpu 0]
//
// (tools/bench_intents.sh starts a throw-away redis-server and runs this.)
//
// The hot pipeline is HotPipeline, fused (state and decide on one thread), every thread
// blocking when idle and pinned to --hot-cpu, as a small box runs `exitbrain run`. Its edges:
// an in-memory source handing over a markPrice frame of one of 8 symbols every --period-us on
// a fixed schedule, and a sink that drops the (rare) order work; 64 positions whose levels
// are never reached. The consumer feeds the pipeline's entry and adjustment rings as in
// `exitbrain run`. Latency runs from a frame's scheduled time to its decision step done, so
// a tick delayed by anything (the consumer, Redis, the OS) counts the delay: no coordinated
// omission. Run 1: the pipeline alone. Run 2: the same, its frames scheduled only while the
// consumer thread drains the backlog. Printed: drain time, intents/s, the group's lag and
// pending after, and both latency distributions.
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
#include "tools/common/build_version.hpp"
#include "tools/common/event_log.hpp"
#include "tools/intents/intent_consumer.hpp"
#include "tools/live/hot_pipeline.hpp"

namespace exitbrain {
namespace {

constexpr int kSymbols = 8;
constexpr int kPositions = 64;
const char* const kIntentSymbols[] = {"NEARUSDT", "RENDERUSDT", "APTUSDT"};

struct Options {
  std::string redis = "redis://127.0.0.1:6379";
  int intents = 10'014;
  int period_us = 200;
  int ticks = 20'000;
  int hot_cpu = 1;
  int consumer_cpu = 0;
};

// The markPrice frames, on a fixed schedule: `ticks` of them, or (when `ticks` is 0) as many
// as fit while `window` is open, starting once it opens. Each is handed over as received at
// its scheduled time.
class ScheduledMarks final : public MarketSource {
 public:
  ScheduledMarks(const Options& o, int ticks, const std::atomic<bool>* window)
      : period_ns_(static_cast<MonoNs>(o.period_us) * 1000), ticks_(ticks), window_(window) {}

  void run(WsHandler& ingest, WaitStrategy, const std::atomic<bool>& stop) override {
    if (window_)
      while (!window_->load() && !stop.load()) std::this_thread::yield();
    std::string frame;
    frame.reserve(512);
    const MonoNs start = mono_now_ns();
    for (std::int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      if (ticks_ > 0 ? i >= ticks_ : !window_->load(std::memory_order_relaxed)) break;
      const MonoNs due = start + i * period_ns_;
      // The frame is written before its time comes: only the hand-over is on the clock.
      const long long t = 1'771'000'000'000LL + i;
      char buf[320];
      const int n = std::snprintf(
          buf, sizeof buf,
          R"({"stream":"s%dusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":%lld,"s":"S%dUSDT","p":"%.2f","i":"100.00","P":"100.00","r":"0.00010000","T":%lld}})",
          static_cast<int>(i % kSymbols), t, static_cast<int>(i % kSymbols),
          100.0 + static_cast<double>(i % 21 - 10) * 0.01, t + 3'600'000);
      frame.assign(buf, static_cast<std::size_t>(n));
      while (mono_now_ns() < due) {
      }
      ingest.on_frame(frame.data(), frame.size(), frame.capacity(), due);
    }
  }

 private:
  const MonoNs period_ns_;
  const int ticks_;
  const std::atomic<bool>* window_;
};

class DropOrders final : public OrderSink {
 public:
  void on_work(const OrderWork&) override {}
  void on_user_event(const UserEvent&) override {}
  void on_timer() override {}
  bool idle() const override { return true; }
};

// The tables the pipeline and the consumer share: 8 symbols with positions, and the
// intents' symbols.
void add_symbols(SymbolTable& symbols) {
  for (int s = 0; s < kSymbols; ++s) {
    const SymbolId id = *symbols.intern("S" + std::to_string(s) + "USDT");
    symbols.filters(id).tick_size = Decimal::from_units(1'000'000);  // 0.01
    symbols.filters(id).step_size = Decimal::from_units(100'000);    // 0.001
  }
  for (const char* name : kIntentSymbols) (void)symbols.intern(name);
}

// One run of the hot pipeline with kPositions positions whose levels are never reached,
// beside `beside` (run on this thread once the pipeline ticks). Returns its tick-to-decision.
template <class Beside>
LatencyHistogram run_hot(const Options& o, SymbolTable& symbols, EventLog& event_log,
                         ScheduledMarks& source, IntentLinks* links, Beside&& beside) {
  Config config;
  Profile p;
  p.time_stop_sec = 0;
  config.profiles = {p};
  config.default_profile = p.name;
  ThreadSettings threads;
  threads.fused = true;
  for (int s = 0; s < kStageCount; ++s) threads.cpu[s] = o.hot_cpu;
  HotPipeline hot(config, symbols, event_log, threads, 1000, kPositions);
  for (int i = 0; i < kPositions; ++i) {
    NewPosition np;
    np.symbol = static_cast<SymbolId>(i % kSymbols);
    np.side = i % 2 ? Side::kShort : Side::kLong;
    np.qty = Decimal::from_int(1);
    np.entry = Decimal::from_int(100);
    np.sl = Decimal::from_int(i % 2 ? 150 : 50);
    np.tp[0] = Decimal::from_int(i % 2 ? 50 : 150);
    np.tp_count = 1;
    (void)hot.decide().open(np);
  }
  if (links) {
    links->entries = &hot.entries_in();
    links->adjustments = &hot.adjustments_in();
  }
  DropOrders sink;
  const std::atomic<bool> stop{false};
  hot.start(source, sink, stop);
  beside();
  hot.join();
  return hot.decide().tick_to_decision();
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

void print_latency(const char* name, const LatencyHistogram& h) {
  auto q = [&](double f) { return static_cast<double>(h.percentile(f)) / 1000.0; };
  std::printf(
      "%-22s %9llu ticks  p50 %7.2f us  p90 %7.2f us  p99 %8.2f us  p99.9 %8.2f us  max %9.2f us\n",
      name, static_cast<unsigned long long>(h.count()), q(0.5), q(0.9), q(0.99), q(0.999), q(1.0));
}

int run(const Options& o) {
  RedisSettings s;
  s.url = o.redis;
  s.group = "bench";
  s.consumer = "bench-1";
  s.block_ms = 10;
  SymbolTable symbols;
  add_symbols(symbols);
  RedisOptions ro;
  ro.url = parse_redis_url(o.redis).url;
  RedisConnection admin(ro);
  if (std::string err = admin.connect(); !err.empty()) {
    std::fprintf(stderr, "error: redis %s: %s\n", ro.url.redacted().c_str(), err.c_str());
    return 1;
  }
  std::FILE* devnull = std::fopen("/dev/null", "w");
  if (!devnull) {
    std::fprintf(stderr, "error: cannot open /dev/null for the event log\n");
    return 1;
  }
  EventLog event_log(symbols, devnull);
  event_log.start();

  // Run 1: the pipeline alone.
  ScheduledMarks alone_marks(o, o.ticks, nullptr);
  const LatencyHistogram idle = run_hot(o, symbols, event_log, alone_marks, nullptr, [] {});

  // Run 2: the same while the consumer drains the backlog into the pipeline's rings.
  write_backlog(admin, s, o.intents);
  (void)admin.command({"XGROUP", "DESTROY", s.intent_stream, s.group});
  IntentLinks links;
  links.event_log = &event_log;
  std::atomic<bool> draining{false};
  ScheduledMarks busy_marks(o, 0, &draining);
  double drain_ms = 0;
  bool failed = false;
  std::string error;
  std::unique_ptr<IntentConsumer> consumer;
  const LatencyHistogram during = run_hot(o, symbols, event_log, busy_marks, &links, [&] {
    consumer = std::make_unique<IntentConsumer>(s, symbols, "", links);
    if (std::string err = consumer->connect(); !err.empty()) {
      error = err;
      return;
    }
    if (o.consumer_cpu >= 0) (void)pin_current_thread(o.consumer_cpu);
    draining = true;
    const MonoNs t0 = mono_now_ns();
    int empty = 0;
    while (empty < 2) {
      const int n = consumer->step(wall_clock_ms(), false);
      if (n < 0) {
        failed = true;
        break;
      }
      empty = n == 0 && consumer->caught_up() ? empty + 1 : 0;
    }
    drain_ms = static_cast<double>(mono_now_ns() - t0) / 1e6;
    draining = false;
  });
  event_log.stop();
  std::fclose(devnull);
  if (!error.empty()) {
    std::fprintf(stderr, "error: %s\n", error.c_str());
    return 1;
  }
  if (failed) {
    std::fprintf(stderr, "error: redis connection lost while draining\n");
    return 1;
  }
  const IntentGroupStatus g = consumer->group_status();
  const IntentStats& st = consumer->stats();
  std::printf(
      "backlog: %d intents drained in %.1f ms (%.0f intents/s): %llu expired, %llu "
      "executed, %llu dead-lettered; lag after %lld, pending after %lld\n",
      o.intents, drain_ms, o.intents * 1000.0 / drain_ms,
      static_cast<unsigned long long>(st.expired), static_cast<unsigned long long>(st.executed),
      static_cast<unsigned long long>(st.dead_lettered), g.lag, g.pending);
  std::printf(
      "tick-to-decision (scheduled frame -> decision step done, exitbrain run's hot pipeline, "
      "fused, block, CPU %d), one frame every %d us:\n",
      o.hot_cpu, o.period_us);
  print_latency("  decide alone", idle);
  if (during.count()) print_latency("  decide while draining", during);
  return 0;
}

}  // namespace
}  // namespace exitbrain

int main(int argc, char** argv) {
  exitbrain::Options o;
  CLI::App app{"The seeds' intent backlog drained beside the decision stage"};
  app.set_version_flag("--version", exitbrain::version_line("exitbrain-intent-bench"));
  app.add_option("--redis", o.redis, "redis://host:port of a throw-away Redis (it is written to)")
      ->required();
  app.add_option("--intents", o.intents, "Backlog size (the seeds': 10014)")
      ->check(CLI::Range(1, 10'000'000));
  // Below the block wake-up (tens of us on a VM) frames queue up and the figure is the queue's.
  app.add_option("--period-us", o.period_us, "Tick period")->check(CLI::Range(1, 1'000'000));
  app.add_option("--ticks", o.ticks, "Ticks in the run alone (at least)")
      ->check(CLI::Range(1000, 100'000'000));
  app.add_option("--hot-cpu", o.hot_cpu, "CPU of the hot pipeline's threads (-1: not pinned)");
  app.add_option("--consumer-cpu", o.consumer_cpu, "CPU of the consumer thread (-1: not pinned)");
  CLI11_PARSE(app, argc, argv);
  return exitbrain::run(o);
}
