// The state journal's costs (issue 12):
//  - BM_DecideWithJournal/0|1: one price update through the live DecideStage, without and
//    with the journal's ring (a copy of the price state per update that reaches a rule);
//  - BM_JournalThroughput: the journal thread's work per record (append, write(2), apply to
//    the replica), 1,000 positions on 100 symbols, every update journalled (the worst case:
//    no quiet band filters any);
//  - BM_RestoreFromSnapshotAndAnHour: a restart's own time with 1,000 positions restored
//    from a snapshot and one hour of markPrice@1s on 100 symbols after it (360,000 records).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/spsc_queue.hpp"
#include "tools/common/event_log.hpp"
#include "tools/live/decide_stage.hpp"
#include "tools/live/state_journal.hpp"
#include "tools/settings/atr_plan.hpp"

namespace exitbrain {
namespace {

namespace fs = std::filesystem;
constexpr TimeMs kT0 = 1'771'000'000'000LL;

Decimal dec(const char* s) {
  Decimal d;
  (void)parse_decimal(s, d);
  return d;
}

struct World {
  explicit World(int symbols_n) : devnull(std::fopen("/dev/null", "w")), log(symbols, devnull) {
    for (int s = 0; s < symbols_n; ++s) {
      const SymbolId id = *symbols.intern("S" + std::to_string(s) + "USDT");
      symbols.filters(id).tick_size = dec("0.01");
      symbols.filters(id).step_size = dec("0.001");
      config.live.symbols.push_back("S" + std::to_string(s) + "USDT");
    }
    for (Profile& p : config.profiles) p.time_stop_sec = 0;
    plan = plan_atr_specs(config, {config.find_profile(config.default_profile)});
  }
  ~World() { std::fclose(devnull); }
  StateJournalSettings settings(const std::string& dir) const {
    StateJournalSettings js;
    js.dir = dir;
    js.identity = journal_identity(config, "bench-key");
    js.options.sync = JournalSync::kOff;
    js.ring_capacity = 1 << 16;
    return js;
  }
  SymbolTable symbols;
  Config config;
  AtrPlan plan;
  std::FILE* devnull;
  EventLog log;  // never started: the stage's lines are queued, not written
};

struct NullSink {
  void operator()(const OrderWork&) const noexcept {}
};

// A price state of `s` near 100 with the ATR ready.
PriceState price(SymbolId s, TimeMs t, std::int64_t tick) {
  PriceState st;
  st.symbol = s;
  st.event_time = t;
  st.updated = trigger_bit(TriggerSource::kMark);
  st.mark = Decimal::from_units(10'000'000'000 + (tick % 21 - 10) * 1'000'000);
  st.atr_ready = 0xF;
  for (double& a : st.atr) a = 0.4;
  st.atr_close = 100;
  return st;
}

std::string bench_dir(const char* name) {
  const std::string dir =
      (fs::temp_directory_path() / ("exitbrain-bench-" + std::string(name))).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void BM_DecideWithJournal(benchmark::State& state) {
  World w(1);
  // Ten positions whose levels never get set (no ATR, no warm-up stop): every update
  // reaches their rules, so every one is journalled.
  for (Profile& p : w.config.profiles) p.warmup_sl_pct = 0;
  NullSink sink;
  DecideStage stage(w.config, w.plan, w.symbols, w.log, SinkRef<OrderWork>(sink), 16);
  stage.set_outputs(false, false);
  SpscQueue<StateRecord> ring(1 << 16);
  if (state.range(0)) stage.set_journal(&ring);
  for (int i = 0; i < 10; ++i)
    stage.adopt(0, i % 2 ? Side::kShort : Side::kLong, dec("1"), dec("100"), kT0,
                AdoptSource::kStartup, true);
  std::int64_t tick = 0;
  StateRecord r;
  for (auto _ : state) {
    PriceState st = price(0, kT0 + tick * 1000, tick);
    st.atr_ready = 0;
    ++tick;
    stage.on_price(st);
    if (ring.size_approx() > (1 << 15)) {
      state.PauseTiming();
      while (ring.try_pop(r)) {
      }
      state.ResumeTiming();
    }
  }
  state.counters["journal"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_DecideWithJournal)->Arg(0)->Arg(1);

// 1,000 positions on 100 symbols, levels set.
std::unique_ptr<StateJournal> journal_with_book(World& w, const std::string& dir) {
  auto j =
      std::make_unique<StateJournal>(w.config, w.plan, w.symbols, w.log, w.settings(dir), 2048);
  RestoreReport rr;
  (void)j->restore(rr);
  (void)j->begin_run(1, kT0);
  StateRecord r;
  r.kind = StateRecordKind::kAdopt;
  for (int i = 0; i < 1000; ++i) {
    r.adopt = AdoptInput{static_cast<SymbolId>(i % 100),
                         i / 100 % 2 ? Side::kShort : Side::kLong,
                         dec("1"),
                         dec("100"),
                         kT0,
                         0,
                         true};
    if (i % 200 == 0) (void)j->drain_once();
    j->decide_ring().push(r);
  }
  (void)j->drain_once();
  return j;
}

void BM_JournalThroughput(benchmark::State& state) {
  World w(100);
  const std::string dir = bench_dir("throughput");
  auto j = journal_with_book(w, dir);
  std::int64_t tick = 0;
  std::uint64_t records = 0;
  const std::uint64_t bytes0 = j->bytes();
  StateRecord r;
  r.kind = StateRecordKind::kPrice;
  for (auto _ : state) {
    for (int i = 0; i < 4096; ++i, ++tick) {
      r.price = price(static_cast<SymbolId>(tick % 100), kT0 + tick * 10, tick / 100);
      j->decide_ring().push(r);
    }
    records += j->drain_once();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
  state.counters["bytes_per_record"] =
      static_cast<double>(j->bytes() - bytes0) / static_cast<double>(records);
  j.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_JournalThroughput)->Unit(benchmark::kMillisecond);

void BM_RestoreFromSnapshotAndAnHour(benchmark::State& state) {
  World w(100);
  const std::string dir = bench_dir("restore");
  {
    auto j = journal_with_book(w, dir);
    (void)j->snapshot_now();
    StateRecord r;
    r.kind = StateRecordKind::kPrice;
    for (std::int64_t sec = 0; sec < 3600; ++sec) {
      for (SymbolId s = 0; s < 100; ++s) {
        r.price = price(s, kT0 + 1000 + sec * 1000, sec);
        j->decide_ring().push(r);
      }
      if (sec % 100 == 0)
        while (j->drain_once() > 0) {
        }
    }
    while (j->drain_once() > 0) {
    }
  }
  RestoreReport rr;
  for (auto _ : state) {
    StateJournal j(w.config, w.plan, w.symbols, w.log, w.settings(dir), 2048);
    (void)j.restore(rr);
    benchmark::DoNotOptimize(rr.records);
  }
  state.counters["records_after_snapshot"] = static_cast<double>(rr.records);
  state.counters["positions"] = 1000;
  fs::remove_all(dir);
}
BENCHMARK(BM_RestoreFromSnapshotAndAnHour)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace exitbrain
