#include "bench/e2e/pipeline_bench.hpp"

#include <sys/prctl.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/symbol_table.hpp"
#include "net/binance_message_parser.hpp"
#include "net/hmac_signer.hpp"
#include "net/order_format.hpp"
#include "tools/common/event_log.hpp"
#include "tools/live/hot_pipeline.hpp"
#include "tools/live/state_journal.hpp"

namespace exitbrain::bench {

const char* to_string(Hop h) noexcept {
  switch (h) {
    case Hop::kSourceLag:
      return "source_lag";
    case Hop::kParse:
      return "parse";
    case Hop::kToState:
      return "to_state";
    case Hop::kToDecision:
      return "to_decision";
    case Hop::kToOrderBytes:
      return "to_order_bytes";
    case Hop::kTickToDecision:
      return "tick_to_decision";
    case Hop::kTickToOrder:
      return "tick_to_order";
  }
  return "?";
}

namespace {

constexpr std::size_t kReplacementRoom = 200'000;

// The symbols the frames are about, from their stream names ("btcusdt@trade" -> BTCUSDT).
std::vector<std::string> symbols_in(const FrameSet& fs) {
  std::vector<std::string> out;
  for (const std::string& f : fs.frames) {
    const std::size_t at = f.find(R"("stream":")");
    if (at == std::string::npos) continue;
    const std::size_t from = at + 10;
    const std::size_t end = f.find('@', from);
    if (end == std::string::npos) continue;
    std::string name = f.substr(from, end - from);
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    bool known = false;
    for (const std::string& s : out) known = known || s == name;
    if (!known) out.push_back(name);
  }
  return out;
}

void wait_until(MonoNs t, WaitStrategy w) noexcept {
  if (w == WaitStrategy::kBlock) {
    const MonoNs now = mono_now_ns();
    if (t > now) {
      // steady_clock is CLOCK_MONOTONIC: sleep to the same instant on the same clock.
      timespec ts{static_cast<time_t>(t / 1'000'000'000), static_cast<long>(t % 1'000'000'000)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
      }
    }
    return;
  }
  while (mono_now_ns() < t) {
    if (w == WaitStrategy::kSpinYield)
      std::this_thread::yield();
    else
      backoff_pause();
  }
}

// The market edge: the recorded frames from memory, on a fixed schedule. A frame is handed
// to the ingest as received at its *scheduled* time, so every figure behind it runs from the
// schedule and a stall anywhere (the source's own included) is counted.
class ScheduledFrames final : public MarketSource {
 public:
  ScheduledFrames(const FrameSet& frames, const PipelineOptions& o, std::size_t timed,
                  const HotPipeline& pipeline)
      : frames_(frames), o_(o), timed_(timed), pipeline_(pipeline) {}

  void run(WsHandler& ingest, WaitStrategy wait, const std::atomic<bool>& stop) override {
    // The source sleeps to each frame's time: ask the kernel for exact wake-ups.
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    const std::size_t warm = std::min(o_.warmup_frames, frames_.frames.size());
    for (std::size_t i = 0; i < warm; ++i) {
      const std::string& f = frames_.frames[i];
      ingest.on_frame(f.data(), f.size(), f.capacity(), 0);  // 0: not timed
    }
    // Let the warm-up drain through every stage before the clock starts.
    while (!pipeline_.drained()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const MonoNs t0 = mono_now_ns() + 1'000'000;
    const double period_ns = 1e9 / o_.rate;
    std::size_t k = 0;
    for (; k < timed_ && !stop.load(std::memory_order_relaxed); ++k) {
      const MonoNs scheduled = t0 + static_cast<MonoNs>(static_cast<double>(k) * period_ns);
      wait_until(scheduled, wait);
      lag.record(mono_now_ns() - scheduled);
      const std::string& f = frames_.frames[warm + k];
      ingest.on_frame(f.data(), f.size(), f.capacity(), scheduled);
    }
    seconds = static_cast<double>(mono_now_ns() - t0) / 1e9;
    offered = k;
  }

  LatencyHistogram lag;  // md thread; read after the run
  std::uint64_t offered = 0;
  double seconds = 0;

 private:
  const FrameSet& frames_;
  const PipelineOptions& o_;
  const std::size_t timed_;
  const HotPipeline& pipeline_;
};

// The order edge: every exit and stop move written and signed as the order gateway would,
// then dropped at the socket's door. Exit hops go where the gateway records them.
class SignedBytes final : public OrderSink {
 public:
  SignedBytes(const SymbolTable& symbols, ExitLatency& latency)
      : symbols_(symbols), latency_(latency) {}

  void on_work(const OrderWork& w) override {
    if (w.kind != OrderWorkKind::kDecision) return;
    const Decision& d = w.decision;
    const RequestTiming timing{wall_clock_ms(), 5000};
    query_.clear();
    if (d.kind == DecisionKind::kExit) {
      write_exit_order(query_, symbols_.name(d.symbol), d.side, d.qty,
                       ClientId::for_exit(d.position, d.exit_seq), PositionMode::kOneWay, timing);
    } else if (d.sl.is_positive()) {
      write_hard_stop(query_, symbols_.name(d.symbol), d.side, d.sl,
                      ClientId::for_hard_stop(d.position, d.exit_seq + 1), PositionMode::kOneWay,
                      timing);
    } else {
      return;
    }
    query_.sign(signer_);
    LatencyStamps stamps = d.stamps;
    stamps.order_out = mono_now_ns();
    if (!d.stamps.frame_in) return;  // caused by an untimed (warm-up) tick
    if (d.kind == DecisionKind::kExit) {
      ++exit_orders;
      latency_.record(stamps);
    } else {
      ++stop_orders;
    }
  }
  void on_user_event(const UserEvent&) override {}
  void on_timer() override {}
  bool idle() const override { return true; }

  bool query_ok() const noexcept { return query_.ok(); }
  std::uint64_t exit_orders = 0, stop_orders = 0;  // orders thread; read after the run

 private:
  const SymbolTable& symbols_;
  ExitLatency& latency_;
  const HmacSha256Signer signer_{"exitbrain-bench-secret-not-a-real-key-0123456789abcdef0123"};
  QueryWriter query_;
};

// The stand-in exchange's positions: each one that closes comes back at once, at the
// closing tick's price on the other side (a LONG's mirror runs as often as the LONG), with
// its stop and target level_bps away on the tick grid, so exits keep coming at any rate.
class ReopenEveryClose final : public PositionSupply {
 public:
  ReopenEveryClose(const SymbolTable& symbols, const PipelineOptions& o)
      : symbols_(symbols), o_(o) {}

  // A position on `s` at `price`, its stop and target level_bps away, on the tick grid.
  NewPosition position(SymbolId s, Side side, Price price, TimeMs at) const {
    const Decimal tick = symbols_.filters(s).tick_size;
    const double d = price.to_double() * o_.level_bps / 10'000.0;
    auto level = [&](double v) {
      const auto x = Decimal::from_double(v);
      return x ? x->floor_to(tick) : Decimal{};
    };
    NewPosition np;
    np.symbol = s;
    np.side = side;
    np.qty = Decimal::from_int(1);
    np.entry = price;
    np.opened_at = at;
    const double px = price.to_double();
    np.sl = side == Side::kLong ? level(px - d) : level(px + d).ceil_to(tick);
    np.tp[0] = side == Side::kLong ? level(px + d).ceil_to(tick) : level(px - d);
    np.tp_count = 1;
    return np;
  }

  void on_decision(const Decision& d) override {
    if (d.kind != DecisionKind::kExit || d.remaining.is_positive()) return;
    if (closed_count_ < closed_.size())
      closed_[closed_count_++] = {d.symbol, d.side};
    else
      ++refused;  // more closed on one tick than the list holds: counted
  }

  void after_price(const PriceState& st, DecideStage& stage) override {
    for (std::size_t i = 0; i < closed_count_; ++i) {
      const Side other = closed_[i].second == Side::kLong ? Side::kShort : Side::kLong;
      if (stage.open(position(closed_[i].first, other, st.price(o_.trigger), st.event_time)))
        ++replaced;
      else
        ++refused;
    }
    closed_count_ = 0;
  }

  std::uint64_t replaced = 0, refused = 0;  // decide thread; read after the run

 private:
  const SymbolTable& symbols_;
  const PipelineOptions& o_;
  std::array<std::pair<SymbolId, Side>, 4096> closed_{};
  std::size_t closed_count_ = 0;
};

}  // namespace

std::unique_ptr<PipelineResult> run_pipeline(const FrameSet& frames, const PipelineOptions& o) {
  if (!(o.rate > 0) || !std::isfinite(o.rate)) throw std::runtime_error("rate: must be > 0");
  if (!(o.seconds > 0) || !std::isfinite(o.seconds))
    throw std::runtime_error("seconds: must be > 0");
  if (o.positions_per_symbol < 1) throw std::runtime_error("positions: must be >= 1");
  if (!(o.level_bps > 0) || !std::isfinite(o.level_bps))
    throw std::runtime_error("level-bps: must be > 0");
  if (frames.frames.size() <= o.warmup_frames)
    throw std::runtime_error("frames: " + std::to_string(frames.frames.size()) +
                             " frames, not more than the warm-up (" +
                             std::to_string(o.warmup_frames) + ")");

  SymbolTable symbols;
  for (const std::string& name : symbols_in(frames)) {
    const SymbolId id = *symbols.intern(name);
    Decimal tick, step;
    (void)parse_decimal("0.01", tick);
    (void)parse_decimal("0.001", step);
    symbols.filters(id).tick_size = tick;
    symbols.filters(id).step_size = step;
  }
  if (symbols.size() == 0) throw std::runtime_error("frames: no symbol found in any stream name");
  // One profile: the first built-in one, ending positions on their levels only.
  Config config;
  Profile p = builtin_profiles()[0];
  p.time_stop_sec = 0;
  p.trigger_source = o.trigger;
  config.profiles = {p};
  config.default_profile = p.name;
  ThreadSettings threads;
  for (int s = 0; s < kBenchStages; ++s) {
    threads.wait[s] = o.wait[static_cast<std::size_t>(s)];
    threads.cpu[s] = o.cpu[static_cast<std::size_t>(s)];
  }
  threads.fused = o.fused;
  // The event log gets every decision, as in `exitbrain run`; its lines go nowhere.
  std::FILE* devnull = std::fopen("/dev/null", "w");
  if (!devnull) throw std::runtime_error("cannot open /dev/null for the event log");
  EventLog event_log(symbols, devnull);
  event_log.start();
  const std::size_t initial = symbols.size() * static_cast<std::size_t>(o.positions_per_symbol);
  auto hot = std::make_unique<HotPipeline>(config, symbols, event_log, threads, 0,
                                           initial + kReplacementRoom);
  ReopenEveryClose supply(symbols, o);
  // --journal: the state journal behind the decide stage, attached before any position
  // opens, as `exitbrain run` attaches it.
  std::unique_ptr<StateJournal> journal;
  if (!o.journal_dir.empty()) {
    std::filesystem::remove_all(o.journal_dir);
    std::filesystem::create_directories(o.journal_dir);
    StateJournalSettings js;
    js.dir = o.journal_dir;
    js.identity = journal_identity(config, "exitbrain-bench");
    journal = std::make_unique<StateJournal>(config, hot->plan(), symbols, event_log, js,
                                             initial + kReplacementRoom);
    RestoreReport rr;
    if (std::string err = journal->restore(rr); !err.empty())
      throw std::runtime_error("journal: " + err);
    if (std::string err = journal->begin_run(1, wall_clock_ms()); !err.empty())
      throw std::runtime_error("journal: " + err);
    hot->decide().set_journal(&journal->decide_ring());
    journal->start();
  }

  // Positions open at each symbol's first price, before the frames start.
  {
    std::vector<bool> opened(symbols.size(), false);
    PriceState st;
    PriceStateEngine probe(SymbolTable::kMaxSymbols, {}, RegimeParams{});
    BinanceMessageParser first(symbols);
    for (std::size_t i = 0; i < o.warmup_frames; ++i) {
      const std::string& f = frames.frames[i];
      (void)first.parse(f.data(), f.size(), f.capacity(), [&](const MarketEvent& ev) {
        if (opened[ev.symbol] || !probe.on_event(ev, st) || !st.has(o.trigger)) return;
        opened[ev.symbol] = true;
        for (int k = 0; k < o.positions_per_symbol; ++k)
          if (!hot->decide().open(supply.position(ev.symbol, k % 2 ? Side::kShort : Side::kLong,
                                                  st.price(o.trigger), st.event_time)))
            throw std::runtime_error("positions: the first ones could not be opened");
      });
    }
    for (SymbolId s = 0; s < symbols.size(); ++s)
      if (!opened[s])
        throw std::runtime_error(std::string("frames: no ") + to_string(o.trigger) + " price for " +
                                 std::string(symbols.name(s)) +
                                 " in the warm-up frames; try another --trigger");
  }
  hot->decide().set_position_supply(&supply);

  const std::size_t timed = std::min(frames.frames.size() - o.warmup_frames,
                                     static_cast<std::size_t>(o.rate * o.seconds));
  ScheduledFrames source(frames, o, timed, *hot);
  SignedBytes sink(symbols, hot->exit_latency());
  const std::atomic<bool> never{false};
  hot->start(source, sink, never);
  hot->join();
  if (journal) journal->stop();
  event_log.stop();
  std::fclose(devnull);

  for (int s = 0; s < kBenchStages; ++s)
    if (!hot->pin_error(static_cast<Stage>(s)).empty())
      throw std::runtime_error(std::string("cpu for ") + to_string(static_cast<Stage>(s)) + ": " +
                               hot->pin_error(static_cast<Stage>(s)));
  if (!sink.query_ok()) throw std::runtime_error("an order query overflowed its buffer");

  auto r = std::make_unique<PipelineResult>();
  const HotPipeline& h = *hot;
  r->hops[static_cast<int>(Hop::kSourceLag)] = source.lag;
  r->hops[static_cast<int>(Hop::kParse)] = h.ingest().parse_hop();
  r->hops[static_cast<int>(Hop::kToState)] = h.to_state_hop();
  r->hops[static_cast<int>(Hop::kToDecision)] = h.decide().to_decision_hop();
  r->hops[static_cast<int>(Hop::kTickToDecision)] = h.decide().tick_to_decision();
  r->hops[static_cast<int>(Hop::kToOrderBytes)] = h.exit_latency().to_order_bytes;
  r->hops[static_cast<int>(Hop::kTickToOrder)] = h.exit_latency().tick_to_order;
  r->frames_offered = source.offered;
  r->seconds = source.seconds;
  r->events = h.ingest().parse_hop().count();
  r->states = h.decide().tick_to_decision().count();
  r->exit_orders = sink.exit_orders;
  r->stop_orders = sink.stop_orders;
  r->positions_replaced = supply.replaced;
  r->replacements_refused = supply.refused;
  r->malformed = h.ingest().malformed.load();
  r->ring_full = h.ring_full();
  r->symbols = symbols.size();
  if (journal) {
    r->journal_records = journal->records();
    r->journal_bytes = journal->bytes();
    r->journal_ring_full = journal->decide_ring().full_count();
  }
  return r;
}

}  // namespace exitbrain::bench
