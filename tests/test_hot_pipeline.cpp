// The hot pipeline that `exitbrain run` and exitbrain-bench run, driven here with its
// threads and rings between an in-memory frame source and a recording order sink: every
// exit the engine decides reaches the sink once, in the order decided, in split and in fused
// mode alike, and the same exits as the stage objects give when driven on one thread; the
// side rings reach the decide stage; a stop drains it; a thread that cannot be pinned says
// why.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "core/spsc_queue.hpp"
#include "tests/support/decimal_text.hpp"
#include "tests/support/test_files.hpp"
#include "tools/common/event_log.hpp"
#include "tools/live/hot_pipeline.hpp"

namespace exitbrain {
namespace {

using testing::dec;

constexpr TimeMs kT0 = 1'771'000'000'000LL;

// markPrice@1s frames of BTCUSDT: up from 100 to 110, down to 90, up to 100, 0.1 a step.
std::vector<std::string> mark_frames() {
  std::vector<double> prices;
  for (int i = 0; i <= 100; ++i) prices.push_back(100.0 + 0.1 * i);
  for (int i = 1; i <= 200; ++i) prices.push_back(110.0 - 0.1 * i);
  for (int i = 1; i <= 100; ++i) prices.push_back(90.0 + 0.1 * i);
  std::vector<std::string> frames;
  for (std::size_t i = 0; i < prices.size(); ++i) {
    const long long t = kT0 + static_cast<long long>(i) * 1000;
    char buf[320];
    std::snprintf(
        buf, sizeof buf,
        R"({"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":%lld,"s":"BTCUSDT","p":"%.1f","i":"%.1f","P":"%.1f","r":"0.00010000","T":%lld}})",
        t, prices[i], prices[i], prices[i], t + 3'600'000);
    frames.emplace_back(buf);
    frames.back().reserve(frames.back().size() + kJsonPadding);
  }
  return frames;
}

// Hands the frames over as fast as the md thread takes them, then ends (or at `stop`).
class Frames final : public MarketSource {
 public:
  explicit Frames(const std::vector<std::string>& frames, bool forever = false)
      : frames_(frames), forever_(forever) {}
  void run(WsHandler& ingest, WaitStrategy, const std::atomic<bool>& stop) override {
    for (const std::string& f : frames_) {
      if (stop.load()) return;
      ingest.on_frame(f.data(), f.size(), f.capacity(), mono_now_ns());
    }
    while (forever_ && !stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

 private:
  const std::vector<std::string>& frames_;
  const bool forever_;
};

// Keeps what reaches the orders thread; stamps exits' bytes out as a sink would.
class Recorder final : public OrderSink {
 public:
  explicit Recorder(ExitLatency& latency) : latency_(latency) {}
  void on_work(const OrderWork& w) override {
    work.push_back(w);
    if (w.kind == OrderWorkKind::kDecision && w.decision.kind == DecisionKind::kExit) {
      LatencyStamps s = w.decision.stamps;
      s.order_out = mono_now_ns();
      latency_.record(s);
    }
  }
  void on_user_event(const UserEvent& e) override { user_events.push_back(e); }
  void on_timer() override { ++timers; }
  bool idle() const override { return true; }

  std::vector<Decision> exits() const {
    std::vector<Decision> out;
    for (const OrderWork& w : work)
      if (w.kind == OrderWorkKind::kDecision && w.decision.kind == DecisionKind::kExit)
        out.push_back(w.decision);
    return out;
  }

  std::vector<OrderWork> work;
  std::vector<UserEvent> user_events;
  int timers = 0;

 private:
  ExitLatency& latency_;
};

struct Market {
  Market() {
    const SymbolId s = *symbols.intern("BTCUSDT");
    symbols.filters(s).tick_size = dec("0.1");
    symbols.filters(s).step_size = dec("0.001");
    Profile p = builtin_profiles()[0];
    p.time_stop_sec = 0;
    config.profiles = {p};
    config.default_profile = p.name;
  }

  // LONGs and SHORTs with their stop 1 or 2 away from 100 and the target 5 away: each ends
  // on one of them as the mark walks 100 -> 110 -> 90.
  std::vector<NewPosition> positions() const {
    std::vector<NewPosition> out;
    for (int i = 0; i < 8; ++i) {
      NewPosition np;
      np.symbol = 0;
      np.side = i % 2 ? Side::kShort : Side::kLong;
      np.qty = dec("1");
      np.entry = dec("100");
      np.opened_at = kT0 - 1000;
      const double d = 1.0 + i / 2 % 2;
      const double sign = np.side == Side::kLong ? 1.0 : -1.0;
      np.sl = *Decimal::from_double(100.0 - sign * d);
      np.tp[0] = *Decimal::from_double(100.0 + sign * 5.0);
      np.tp_count = 1;
      out.push_back(np);
    }
    return out;
  }

  SymbolTable symbols;
  Config config;
};

// An event log whose lines go nowhere, written by its thread while the test runs.
struct QuietLog {
  explicit QuietLog(const SymbolTable& symbols, bool started = true)
      : devnull(std::fopen("/dev/null", "w")), log(symbols, devnull) {
    if (started) log.start();
  }
  ~QuietLog() {
    log.stop();
    std::fclose(devnull);
  }
  std::FILE* devnull;
  EventLog log;
};

struct PipelineRun {
  std::vector<Decision> exits;
  std::uint64_t exits_decided = 0, frames = 0, parse_hops = 0, tick_to_order = 0;
};

PipelineRun run_pipeline(bool fused, WaitStrategy wait) {
  Market s;
  QuietLog quiet(s.symbols);
  EventLog& log = quiet.log;
  ThreadSettings threads;
  for (WaitStrategy& w : threads.wait) w = wait;
  threads.fused = fused;
  PipelineRun r;
  {
    HotPipeline hot(s.config, s.symbols, log, threads, 1000, 64);
    for (const NewPosition& np : s.positions()) EXPECT_TRUE(hot.decide().open(np));
    const std::vector<std::string> frames = mark_frames();
    Frames source(frames);
    Recorder sink(hot.exit_latency());
    const std::atomic<bool> stop{false};
    hot.start(source, sink, stop);
    hot.join();
    r.exits = sink.exits();
    r.exits_decided = hot.decide().exits_decided.load();
    r.frames = hot.ingest().frames.load();
    r.parse_hops = hot.ingest().parse_hop().count();
    r.tick_to_order = hot.exit_latency().tick_to_order.count();
  }
  return r;
}

// The same stages on this thread, no rings between them: the reference.
std::vector<Decision> exits_on_one_thread() {
  Market s;
  QuietLog quiet(s.symbols, /*started=*/false);
  EventLog& log = quiet.log;
  SpscQueue<OrderWork> orders(16 * 1024);
  const AtrPlan plan = plan_atr_specs(s.config, {0});
  PriceStateEngine state(SymbolTable::kMaxSymbols, plan.specs, s.config.regime);
  SpscQueue<MarketEvent> events(16 * 1024);
  PushInto<MarketEvent> to_events{&events};
  MarketIngest ingest(s.symbols, SinkRef<MarketEvent>(to_events), log);
  std::vector<Decision> exits;
  {
    PushInto<OrderWork> to_orders{&orders};
    DecideStage decide(s.config, plan, s.symbols, log, SinkRef<OrderWork>(to_orders), 64);
    for (const NewPosition& np : s.positions()) EXPECT_TRUE(decide.open(np));
    MarketEvent ev;
    PriceState st;
    OrderWork w;
    for (const std::string& f : mark_frames()) {
      ingest.on_frame(f.data(), f.size(), f.capacity(), mono_now_ns());
      while (events.try_pop(ev))
        if (state.on_event(ev, st)) decide.on_price(st);
    }
    while (orders.try_pop(w))
      if (w.kind == OrderWorkKind::kDecision && w.decision.kind == DecisionKind::kExit)
        exits.push_back(w.decision);
  }
  return exits;
}

void expect_same_exits(const std::vector<Decision>& a, const std::vector<Decision>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].position, b[i].position) << i;
    EXPECT_EQ(a[i].exit_reason, b[i].exit_reason) << i;
    EXPECT_EQ(a[i].qty, b[i].qty) << i;
    EXPECT_EQ(a[i].price, b[i].price) << i;
    EXPECT_EQ(a[i].exit_seq, b[i].exit_seq) << i;
  }
}

TEST(HotPipeline, EveryExitReachesTheSinkOnceInSplitAndFusedModeAsOnOneThread) {
  const std::vector<Decision> reference = exits_on_one_thread();
  // Each of the 8 positions closes in full, once: no exit lost between the threads, none
  // doubled.
  std::vector<int> closed(8, 0);
  for (const Decision& d : reference)
    if (!d.remaining.is_positive()) ++closed[d.position];
  for (int i = 0; i < 8; ++i) EXPECT_EQ(closed[static_cast<std::size_t>(i)], 1) << "position " << i;

  for (const bool fused : {false, true}) {
    for (const WaitStrategy wait : {WaitStrategy::kBlock, WaitStrategy::kSpinYield}) {
      SCOPED_TRACE(std::string(fused ? "fused " : "split ") + to_string(wait));
      const PipelineRun r = run_pipeline(fused, wait);
      expect_same_exits(r.exits, reference);
      EXPECT_EQ(r.exits_decided, r.exits.size());
      EXPECT_EQ(r.frames, mark_frames().size());
      EXPECT_EQ(r.parse_hops, r.frames) << "one markPrice event per frame, each hop recorded";
      EXPECT_EQ(r.tick_to_order, r.exits.size()) << "each exit's tick-to-order recorded once";
    }
  }
}

TEST(HotPipeline, SideRingsReachTheDecideStageAndTheSink) {
  Market s;
  const std::string dir = testing::make_test_dir("hot_pipeline_side_rings");
  std::FILE* out = std::fopen((dir + "/events.jsonl").c_str(), "w");
  ASSERT_NE(out, nullptr);
  EventLog log(s.symbols, out);
  log.start();
  {
    HotPipeline hot(s.config, s.symbols, log, ThreadSettings{}, 1000, 64);
    // The account shows a position exitbrain did not open, then shows it closed elsewhere.
    AccountChange opened;
    opened.symbol = 0;
    opened.side = Side::kLong;
    opened.amount = dec("0.5");
    opened.entry = dec("100");
    opened.time = kT0;
    AccountChange gone = opened;
    gone.amount = Qty{};
    ASSERT_TRUE(hot.account_in().try_push(opened));
    ASSERT_TRUE(hot.account_in().try_push(gone));
    UserEvent update;
    update.kind = UserEventKind::kOrder;
    ASSERT_TRUE(hot.order_updates_in().try_push(update));
    const std::vector<std::string> none;
    Frames source(none);
    Recorder sink(hot.exit_latency());
    const std::atomic<bool> stop{false};
    hot.start(source, sink, stop);
    hot.join();
    EXPECT_EQ(hot.decide().adopted.load(), 1u);
    EXPECT_EQ(hot.decide().engine().position_count(), 1u);
    EXPECT_TRUE(hot.decide().engine().position(0).closed);
    ASSERT_FALSE(sink.work.empty());
    EXPECT_EQ(sink.work.back().kind, OrderWorkKind::kClosedOutside);
    EXPECT_EQ(sink.work.back().decision.position, 0u);
    EXPECT_EQ(sink.user_events.size(), 1u);
    EXPECT_GE(sink.timers, 1);
  }
  log.stop();
  std::fclose(out);
  const std::string lines = testing::read_file(dir + "/events.jsonl");
  EXPECT_NE(lines.find(R"("event":"position_adopted")"), std::string::npos) << lines;
  EXPECT_NE(lines.find(R"("event":"position_changed_outside")"), std::string::npos) << lines;
}

TEST(HotPipeline, AStopEndsASourceThatWouldRunForeverAndDrainsTheRest) {
  Market s;
  QuietLog quiet(s.symbols);
  EventLog& log = quiet.log;
  {
    HotPipeline hot(s.config, s.symbols, log, ThreadSettings{}, 1000, 64);
    for (const NewPosition& np : s.positions()) EXPECT_TRUE(hot.decide().open(np));
    const std::vector<std::string> frames = mark_frames();
    Frames source(frames, /*forever=*/true);
    Recorder sink(hot.exit_latency());
    std::atomic<bool> stop{false};
    hot.start(source, sink, stop);
    // Every frame is in once the ingest has counted them all; then the source idles.
    for (int i = 0; i < 2000 && hot.ingest().frames.load() < frames.size(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    stop = true;
    hot.join();
    EXPECT_EQ(hot.ingest().frames.load(), frames.size());
    EXPECT_EQ(sink.exits().size(), hot.decide().exits_decided.load())
        << "what was decided before the stop still reached the sink";
  }
}

TEST(HotPipeline, AThreadThatCannotBePinnedSaysWhyAndTheRestRuns) {
  Market s;
  QuietLog quiet(s.symbols);
  EventLog& log = quiet.log;
  ThreadSettings threads;
  threads.cpu[static_cast<int>(Stage::kState)] = 4095;  // no such CPU here
  {
    HotPipeline hot(s.config, s.symbols, log, threads, 1000, 64);
    const std::vector<std::string> frames = mark_frames();
    Frames source(frames);
    Recorder sink(hot.exit_latency());
    const std::atomic<bool> stop{false};
    hot.start(source, sink, stop);
    hot.join();
    EXPECT_FALSE(hot.pin_error(Stage::kState).empty());
    EXPECT_TRUE(hot.pin_error(Stage::kMd).empty());
    EXPECT_EQ(hot.ingest().frames.load(), frames.size());
  }
}

}  // namespace
}  // namespace exitbrain
