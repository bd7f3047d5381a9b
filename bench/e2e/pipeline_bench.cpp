#include "bench/e2e/pipeline_bench.hpp"

#include <sys/prctl.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <ctime>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/price_state_engine.hpp"
#include "core/spsc_queue.hpp"
#include "core/symbol_table.hpp"
#include "core/thread_affinity.hpp"
#include "net/binance_message_parser.hpp"
#include "net/hmac_signer.hpp"
#include "net/order_format.hpp"
#include "strategies/exit_engine.hpp"
#include "tools/live/messages.hpp"

namespace exitbrain::bench {

const char* to_string(BenchStage s) noexcept {
  switch (s) {
    case BenchStage::kMd:
      return "md";
    case BenchStage::kState:
      return "state";
    case BenchStage::kDecide:
      return "decide";
    case BenchStage::kOrders:
      return "orders";
  }
  return "?";
}

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

constexpr std::size_t kRing = 16 * 1024;  // as the live pipeline's hot rings
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

struct Bench {
  Bench(const FrameSet& f, const PipelineOptions& opt) : frames(f), o(opt) {
    for (const std::string& name : symbols_in(frames)) {
      const SymbolId id = *symbols.intern(name);
      Decimal tick, step;
      (void)parse_decimal("0.01", tick);
      (void)parse_decimal("0.001", step);
      symbols.filters(id).tick_size = tick;
      symbols.filters(id).step_size = step;
    }
    if (symbols.size() == 0) throw std::runtime_error("frames: no symbol found in any stream name");
    Profile p = builtin_profiles()[0];
    p.time_stop_sec = 0;  // a position ends on its levels only
    p.trigger_source = o.trigger;
    const AtrSpec spec{p.atr_interval_ms, p.atr_period, p.atr_method};
    state = std::make_unique<PriceStateEngine>(SymbolTable::kMaxSymbols,
                                               std::span<const AtrSpec>(&spec, 1), RegimeParams{});
    const std::size_t initial = symbols.size() * static_cast<std::size_t>(o.positions_per_symbol);
    engine = std::make_unique<ExitEngine>(std::vector<Profile>{p}, std::vector<std::uint8_t>{0},
                                          symbols, initial + kReplacementRoom);
    parser = std::make_unique<BinanceMessageParser>(symbols);
  }

  // A position on `s` at `price`, its stop and target level_bps away, on the tick grid.
  bool open(SymbolId s, Side side, Price price, TimeMs at) {
    if (engine->position_count() >= engine->position_capacity()) return false;
    const Decimal tick = symbols.filters(s).tick_size;
    const double d = price.to_double() * o.level_bps / 10'000.0;
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
    return !engine->add_position(np, [this](const Decision& dd) { emit(dd); });
  }

  void emit(const Decision& decided) {
    OrderWork w;
    w.decision = decided;
    w.decision.stamps.decided = mono_now_ns();
    q_orders.push(w);
    if (decided.kind != DecisionKind::kExit || decided.remaining.is_positive()) return;
    if (replace_count < replace.size())
      replace[replace_count++] = {decided.symbol, decided.side};
    else
      ++r->replacements_refused;  // more closed on one tick than the list holds: counted
  }

  void decide(const PriceState& st) {
    engine->on_price(st, [this](const Decision& d) { emit(d); });
    const MonoNs now = mono_now_ns();
    if (st.stamps.frame_in) {
      r->hops[static_cast<int>(Hop::kToDecision)].record(now - st.stamps.state);
      r->hops[static_cast<int>(Hop::kTickToDecision)].record(now - st.stamps.frame_in);
    }
    if (st.stamps.frame_in) ++r->states;
    // Closed positions come back at today's price on the other side: a LONG's mirror runs
    // as often as the LONG itself.
    for (std::size_t i = 0; i < replace_count; ++i) {
      const Side other = replace[i].second == Side::kLong ? Side::kShort : Side::kLong;
      if (open(replace[i].first, other, st.price(o.trigger), st.event_time))
        ++r->positions_replaced;
      else
        ++r->replacements_refused;
    }
    replace_count = 0;
  }

  void start_stage(BenchStage s) {
    name_current_thread((std::string("bench-") + to_string(s)).c_str());
    const int cpu = o.cpu[static_cast<int>(s)];
    if (cpu >= 0) pin_error[static_cast<int>(s)] = pin_current_thread(cpu);
  }
  WaitStrategy wait(BenchStage s) const { return o.wait[static_cast<int>(s)]; }

  void md_loop(std::size_t timed) {
    start_stage(BenchStage::kMd);
    // The frame source sleeps to each frame's time: ask the kernel for exact wake-ups.
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    auto send = [&](const std::string& f, MonoNs scheduled) {
      const MonoNs in = mono_now_ns();
      if (scheduled) r->hops[static_cast<int>(Hop::kSourceLag)].record(in - scheduled);
      const ParseStatus ps =
          parser->parse(f.data(), f.size(), f.capacity(), [&](const MarketEvent& e) {
            MarketEvent ev = e;
            ev.stamps.frame_in = scheduled;
            ev.stamps.parsed = mono_now_ns();
            if (scheduled) r->hops[static_cast<int>(Hop::kParse)].record(ev.stamps.parsed - in);
            if (scheduled) ++r->events;
            q_md.push(ev);
          });
      if (ps == ParseStatus::kMalformed) ++r->malformed;
    };
    const std::size_t warm = std::min(o.warmup_frames, frames.frames.size());
    for (std::size_t i = 0; i < warm; ++i) send(frames.frames[i], 0);
    // Let the warm-up drain through every stage before the clock starts.
    while (q_md.size_approx() || q_state.size_approx() || q_orders.size_approx())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const MonoNs t0 = mono_now_ns() + 1'000'000;
    const double period_ns = 1e9 / o.rate;
    for (std::size_t k = 0; k < timed; ++k) {
      const MonoNs scheduled = t0 + static_cast<MonoNs>(static_cast<double>(k) * period_ns);
      wait_until(scheduled, wait(BenchStage::kMd));
      send(frames.frames[warm + k], scheduled);
    }
    r->seconds = static_cast<double>(mono_now_ns() - t0) / 1e9;
    r->frames_offered = timed;
    md_done = true;
    state_bell.ring();
  }

  void state_loop() {
    start_stage(BenchStage::kState);
    MarketEvent ev;
    PriceState st;
    for (;;) {
      bool any = false;
      while (q_md.try_pop(ev)) {
        any = true;
        if (!state->on_event(ev, st)) continue;
        st.stamps.state = mono_now_ns();
        if (st.stamps.frame_in)
          r->hops[static_cast<int>(Hop::kToState)].record(st.stamps.state - st.stamps.parsed);
        if (o.fused)
          decide(st);
        else
          q_state.push(st);
      }
      if (!any) {
        if (md_done.load() && q_md.size_approx() == 0) break;
        idle_wait(wait(BenchStage::kState), state_bell);
      }
    }
    state_done = true;
    if (o.fused) decide_done = true;
    decide_bell.ring();
    orders_bell.ring();
  }

  void decide_loop() {
    start_stage(BenchStage::kDecide);
    PriceState st;
    for (;;) {
      bool any = false;
      while (q_state.try_pop(st)) {
        any = true;
        decide(st);
      }
      if (!any) {
        if (state_done.load() && q_state.size_approx() == 0) break;
        idle_wait(wait(BenchStage::kDecide), decide_bell);
      }
    }
    decide_done = true;
    orders_bell.ring();
  }

  void orders_loop() {
    start_stage(BenchStage::kOrders);
    const HmacSha256Signer signer("exitbrain-bench-secret-not-a-real-key-0123456789abcdef0123");
    QueryWriter query;
    OrderWork w;
    for (;;) {
      bool any = false;
      while (q_orders.try_pop(w)) {
        any = true;
        const Decision& d = w.decision;
        const RequestTiming timing{std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count(),
                                   5000};
        query.clear();
        if (d.kind == DecisionKind::kExit) {
          write_exit_order(query, symbols.name(d.symbol), d.side, d.qty,
                           ClientId::for_exit(d.position, d.exit_seq), PositionMode::kOneWay,
                           timing);
        } else if (d.sl.is_positive()) {
          write_hard_stop(query, symbols.name(d.symbol), d.side, d.sl,
                          ClientId::for_hard_stop(d.position, d.exit_seq + 1),
                          PositionMode::kOneWay, timing);
        } else {
          continue;
        }
        query.sign(signer);
        const MonoNs out = mono_now_ns();
        if (d.stamps.frame_in) {  // caused by a timed tick
          ++(d.kind == DecisionKind::kExit ? r->exit_orders : r->stop_orders);
          r->hops[static_cast<int>(Hop::kToOrderBytes)].record(out - d.stamps.decided);
          r->hops[static_cast<int>(Hop::kTickToOrder)].record(out - d.stamps.frame_in);
        }
      }
      if (!any) {
        if (decide_done.load() && q_orders.size_approx() == 0) break;
        idle_wait(wait(BenchStage::kOrders), orders_bell);
      }
    }
    query_ok = query.ok();
  }

  const FrameSet& frames;
  const PipelineOptions& o;
  SymbolTable symbols;
  std::unique_ptr<PriceStateEngine> state;
  std::unique_ptr<ExitEngine> engine;
  std::unique_ptr<BinanceMessageParser> parser;
  std::unique_ptr<PipelineResult> r = std::make_unique<PipelineResult>();

  Doorbell state_bell, decide_bell, orders_bell;
  SpscQueue<MarketEvent> q_md{kRing, &state_bell};
  SpscQueue<PriceState> q_state{kRing, &decide_bell};
  SpscQueue<OrderWork> q_orders{kRing, &orders_bell};
  std::array<std::pair<SymbolId, Side>, 4096> replace{};
  std::size_t replace_count = 0;
  std::atomic<bool> md_done{false}, state_done{false}, decide_done{false};
  std::array<std::string, kBenchStages> pin_error{};
  bool query_ok = true;
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
  Bench b(frames, o);
  const std::size_t timed = std::min(frames.frames.size() - o.warmup_frames,
                                     static_cast<std::size_t>(o.rate * o.seconds));

  // Positions open at each symbol's first price, before the frames start.
  {
    std::vector<bool> opened(b.symbols.size(), false);
    PriceState st;
    PriceStateEngine probe(SymbolTable::kMaxSymbols, {}, RegimeParams{});
    BinanceMessageParser first(b.symbols);
    for (std::size_t i = 0; i < o.warmup_frames; ++i) {
      const std::string& f = frames.frames[i];
      (void)first.parse(f.data(), f.size(), f.capacity(), [&](const MarketEvent& ev) {
        if (opened[ev.symbol] || !probe.on_event(ev, st) || !st.has(o.trigger)) return;
        opened[ev.symbol] = true;
        for (int k = 0; k < o.positions_per_symbol; ++k)
          if (!b.open(ev.symbol, k % 2 ? Side::kShort : Side::kLong, st.price(o.trigger),
                      st.event_time))
            throw std::runtime_error("positions: the first ones could not be opened");
      });
    }
    for (SymbolId s = 0; s < b.symbols.size(); ++s)
      if (!opened[s])
        throw std::runtime_error(std::string("frames: no ") + to_string(o.trigger) + " price for " +
                                 std::string(b.symbols.name(s)) +
                                 " in the warm-up frames; try another --trigger");
  }

  std::thread orders([&] { b.orders_loop(); });
  std::thread decide;
  if (!o.fused) decide = std::thread([&] { b.decide_loop(); });
  std::thread state([&] { b.state_loop(); });
  std::thread md([&] { b.md_loop(timed); });
  md.join();
  state.join();
  if (decide.joinable()) decide.join();
  orders.join();

  for (int s = 0; s < kBenchStages; ++s)
    if (!b.pin_error[s].empty())
      throw std::runtime_error(std::string("cpu for ") + to_string(static_cast<BenchStage>(s)) +
                               ": " + b.pin_error[s]);
  if (!b.query_ok) throw std::runtime_error("an order query overflowed its buffer");
  b.r->ring_full = b.q_md.full_count() + b.q_state.full_count() + b.q_orders.full_count();
  b.r->symbols = b.symbols.size();
  return std::move(b.r);
}

}  // namespace exitbrain::bench
