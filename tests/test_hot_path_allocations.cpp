// Frame in -> parse -> state -> decision -> order bytes allocates nothing once warm: the
// stage objects are the ones the hot pipeline's threads run (MarketIngest, PriceStateEngine,
// DecideStage with its event log records, the rings between them), fed here synchronously
// with 100,000 frames, synthetic ones and (when ../shared/data is there) recorded ones; every
// decision is turned into the signed query the order sender would write (an exit order, or
// the hard stop behind a new stop).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/price_state_engine.hpp"
#include "core/spsc_queue.hpp"
#include "net/binance_message_parser.hpp"
#include "net/hmac_signer.hpp"
#include "net/order_format.hpp"
#include "strategies/exit_engine.hpp"
#include "tests/support/counting_new.inc"
#include "tests/support/engine_harness.hpp"
#include "tests/support/paths.hpp"
#include "tools/common/event_log.hpp"
#include "tools/live/decide_stage.hpp"
#include "tools/live/market_ingest.hpp"
#include "tools/market_data/market_reader.hpp"

namespace exitbrain {
namespace {

using testing::dec;

// Every decision turned into the signed query the order sender would write: an exit order,
// or the hard stop behind a new stop.
struct OrderBytes {
  explicit OrderBytes(const SymbolTable& s) : symbols(s) {}
  void on(const Decision& d) {
    ring[decisions++ % ring.size()] = d;
    query.clear();
    const RequestTiming timing{clock++, 5000};
    if (d.kind == DecisionKind::kExit) {
      write_exit_order(query, symbols.name(d.symbol), d.side, d.qty,
                       ClientId::for_exit(d.position, d.exit_seq), PositionMode::kOneWay, timing);
      ++exit_orders;
    } else {
      write_hard_stop(query, symbols.name(d.symbol), d.side, d.sl,
                      ClientId::for_hard_stop(d.position, 1), PositionMode::kOneWay, timing);
      ++stop_orders;
    }
    query.sign(signer);
  }

  const SymbolTable& symbols;
  const HmacSha256Signer signer{"hot-path-test-secret-0123456789abcdef0123456789abcdef012345"};
  QueryWriter query;
  std::array<Decision, 256> ring{};
  std::int64_t clock = 1'771'000'000'000;
  std::size_t decisions = 0, exit_orders = 0, stop_orders = 0;
};

// The hot pipeline's md, state and decide stages with their rings, run on this thread: a
// frame goes in through MarketIngest, its events are popped into the state stage, the
// states into DecideStage, and the decisions popped from the order ring into OrderBytes.
// The event log is never started: its records stay queued (a full queue counts, never
// allocates), and no second thread allocates beside the counted one.
struct LiveStages {
  LiveStages(SymbolTable& s, std::vector<Profile> profiles, OrderBytes& o)
      : symbols(s), orders(o), devnull(std::fopen("/dev/null", "w")), event_log(s, devnull) {
    config.profiles = std::move(profiles);
    config.default_profile = config.profiles[0].name;
    const AtrPlan plan = plan_atr_specs(config, {0});
    state = std::make_unique<PriceStateEngine>(symbols.size(), plan.specs, RegimeParams{});
    ingest = std::make_unique<MarketIngest>(symbols, SinkRef<MarketEvent>(to_state), event_log);
    decide = std::make_unique<DecideStage>(config, plan, symbols, event_log,
                                           SinkRef<OrderWork>(to_orders), 64);
  }
  ~LiveStages() {
    decide.reset();
    ingest.reset();
    std::fclose(devnull);
  }

  bool add(const NewPosition& np) {
    const bool ok = decide->open(np);
    drain_orders();
    return ok;
  }
  void drain_orders() {
    OrderWork w;
    while (q_orders.try_pop(w))
      if (w.kind == OrderWorkKind::kDecision) orders.on(w.decision);
  }
  // Frames [from, to), counting events and price states. Every frame must parse.
  void feed(const std::vector<std::string>& frames, std::size_t from, std::size_t to) {
    MarketEvent ev;
    PriceState ps;
    for (std::size_t i = from; i < to; ++i) {
      const std::string& f = frames[i];
      const std::uint64_t malformed = ingest->malformed.load();
      ingest->on_frame(f.data(), f.size(), f.capacity(), mono_now_ns());
      ASSERT_EQ(ingest->malformed.load(), malformed) << f.substr(0, 300);
      while (q_md.try_pop(ev)) {
        ++events;
        if (!state->on_event(ev, ps)) continue;
        ps.stamps.state = mono_now_ns();
        ++states;
        decide->on_price(ps);
      }
      drain_orders();
    }
  }

  SymbolTable& symbols;
  OrderBytes& orders;
  Config config;
  std::FILE* devnull;
  EventLog event_log;
  SpscQueue<MarketEvent> q_md{16 * 1024};
  SpscQueue<OrderWork> q_orders{16 * 1024};
  PushInto<MarketEvent> to_state{&q_md};
  PushInto<OrderWork> to_orders{&q_orders};
  std::unique_ptr<PriceStateEngine> state;
  std::unique_ptr<MarketIngest> ingest;
  std::unique_ptr<DecideStage> decide;
  std::size_t events = 0, states = 0;
};

// Frames as they arrive: combined-stream markPrice@1s and aggTrade for two symbols, with
// closed 1m klines, built (and padded) before anything is counted.
std::vector<std::string> make_frames(std::size_t n) {
  std::vector<std::string> frames;
  frames.reserve(n);
  const long long t0 = 1'771'000'000'000LL;
  double btc = 65000, eth = 3400;
  for (std::size_t i = 0; frames.size() < n; ++i) {
    const long long t = t0 + static_cast<long long>(i) * 1000;
    btc *= 1.0 + 0.0004 * std::sin(static_cast<double>(i) / 37.0) +
           0.0001 * std::cos(static_cast<double>(i) / 5.0);
    eth *= 1.0 + 0.0005 * std::sin(static_cast<double>(i) / 53.0);
    char buf[512];
    std::snprintf(
        buf, sizeof buf,
        R"({"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":%lld,"s":"BTCUSDT","p":"%.2f","i":"%.2f","P":"%.2f","r":"0.00010000","T":%lld}})",
        t, btc, btc, btc, t + 3'600'000);
    frames.emplace_back(buf);
    std::snprintf(
        buf, sizeof buf,
        R"({"stream":"ethusdt@aggTrade","data":{"e":"aggTrade","E":%lld,"s":"ETHUSDT","a":%zu,"p":"%.2f","q":"1.5","f":1,"l":2,"T":%lld,"m":true}})",
        t, i, eth, t);
    frames.emplace_back(buf);
    if (i % 60 == 59) {
      std::snprintf(
          buf, sizeof buf,
          R"({"stream":"btcusdt@kline_1m","data":{"e":"kline","E":%lld,"s":"BTCUSDT","k":{"t":%lld,"T":%lld,"s":"BTCUSDT","i":"1m","f":1,"L":2,"o":"%.2f","c":"%.2f","h":"%.2f","l":"%.2f","v":"10","n":5,"x":true,"q":"1","V":"1","Q":"1","B":"0"}}})",
          t, t - 59'000, t + 999, btc, btc, btc * 1.001, btc * 0.999);
      frames.emplace_back(buf);
    }
  }
  for (std::string& f : frames) f.reserve(f.size() + kJsonPadding);  // simdjson reads past the end
  return frames;
}

TEST(HotPath, ParseStateDecideAndOrderBytesAllocateNothingOnceWarm) {
  SymbolTable symbols;
  const SymbolId btc = *symbols.intern("BTCUSDT");
  const SymbolId eth = *symbols.intern("ETHUSDT");
  for (SymbolId s : {btc, eth}) {
    symbols.filters(s).tick_size = dec("0.01");
    symbols.filters(s).step_size = dec("0.001");
  }
  std::vector<Profile> profiles = builtin_profiles();
  profiles[2].trigger_source = TriggerSource::kLast;  // TRENDING positions follow trades
  OrderBytes orders(symbols);
  LiveStages live(symbols, profiles, orders);
  // 10 positions on BTC and 10 on ETH, both sides, all profiles; and as many again that
  // open after the warm-up, so levels, stop moves and exits are decided (and their orders
  // written) while allocations are counted.
  for (int i = 0; i < 40; ++i) {
    NewPosition np;
    np.symbol = i % 20 < 10 ? btc : eth;
    np.side = i % 2 ? Side::kShort : Side::kLong;
    np.qty = dec("10");
    np.entry = i % 20 < 10 ? dec("65000") : dec("3400");
    np.opened_at = 1'771'000'000'000LL + (i < 20 ? 0 : 6'000'000);
    np.profile = static_cast<std::uint16_t>(i % profiles.size());
    ASSERT_TRUE(live.add(np));
  }

  const std::vector<std::string> frames = make_frames(110'000);
  const std::size_t& events = live.events;
  const std::size_t& states = live.states;
  auto run = [&](std::size_t from, std::size_t to) { live.feed(frames, from, to); };
  run(0, 10'000);  // warm-up: parser buffers sized, ATR warm, levels set
  const std::size_t exits_before = orders.exit_orders, stops_before = orders.stop_orders;
  const long before = g_allocations.load();
  ASSERT_GT(before, 0) << "the counter must see the set-up's allocations, or a zero proves nothing";
  run(10'000, frames.size());
  const long allocations = g_allocations.load() - before;
  EXPECT_EQ(allocations, 0) << "the hot path allocated";
  EXPECT_GE(events, 100'000u);
  EXPECT_GT(states, 100'000u);
  EXPECT_GT(orders.decisions, 20u) << "the engine must have been deciding, not idle";
  EXPECT_GT(orders.exit_orders, exits_before)
      << "exit orders must have been written while counting";
  EXPECT_GT(orders.stop_orders, stops_before)
      << "stop orders must have been written while counting";
  EXPECT_TRUE(orders.query.ok());
}

// The same through 100,000 real frames: the recorded BTCUSDT and ETHUSDT trades and book
// tickers of 2024-08-08 (../shared/data/ws/usdm), interleaved as one combined stream would
// deliver them. Positions follow the mid and the last trade, with levels a few basis points
// away and a tight trailing stop, so the real price path moves stops and triggers exits
// while allocations are counted.
std::vector<std::string> recorded_frames(const std::filesystem::path& dir, std::size_t n) {
  GzLineReader btc((dir / "btcusdt_20240808.gz").string());
  GzLineReader eth((dir / "ethusdt_20240808.gz").string());
  std::vector<std::string> frames;
  frames.reserve(n);
  bool more = true;
  while (more && frames.size() < n) {
    more = false;
    for (GzLineReader* r : {&btc, &eth}) {
      std::string_view line;
      if (!r->next(line)) continue;
      more = true;
      const CaptureLine c = classify_capture_line(line);
      // Combined-stream messages only, without depth (exitbrain never subscribes to it);
      // the captures also hold REST depth snapshots taken at connect time.
      if (c.kind != CaptureLineKind::kJson || !c.json.starts_with(R"({"stream":)") ||
          c.json.find("@depth") != std::string_view::npos)
        continue;
      std::string f;
      f.reserve(padded_capacity(c.json.size()));
      f.assign(c.json);
      frames.push_back(std::move(f));
    }
  }
  return frames;
}

TEST(HotPath, RecordedFramesThroughOrderBytesAllocateNothingOnceWarm) {
  const std::filesystem::path data = testing::shared_data_dir();
  const std::filesystem::path dir = data / "ws" / "usdm";
  if (data.empty() || !std::filesystem::exists(dir / "btcusdt_20240808.gz") ||
      !std::filesystem::exists(dir / "ethusdt_20240808.gz"))
    GTEST_SKIP() << "recorded captures absent (../shared/data/ws/usdm or EXITBRAIN_DATA_DIR)";
  const std::vector<std::string> frames = recorded_frames(dir, 110'000);
  ASSERT_EQ(frames.size(), 110'000u);

  SymbolTable symbols;
  const SymbolId btc = *symbols.intern("BTCUSDT");
  const SymbolId eth = *symbols.intern("ETHUSDT");
  symbols.filters(btc).tick_size = dec("0.1");
  symbols.filters(eth).tick_size = dec("0.01");
  for (SymbolId s : {btc, eth}) symbols.filters(s).step_size = dec("0.001");
  std::vector<Profile> profiles = builtin_profiles();
  for (std::size_t i = 0; i < profiles.size(); ++i) {
    profiles[i].trigger_source = i % 2 ? TriggerSource::kLast : TriggerSource::kMid;
    // A trailing stop 2 bps behind the best price: a few minutes of real prices move stops.
    profiles[i].trailing = true;
    profiles[i].trail_offset = 0.0002;
    profiles[i].trail_activation = 0;
  }
  OrderBytes orders(symbols);
  LiveStages live(symbols, profiles, orders);
  const AtrSpec spec{};

  // Each symbol's mid at the start and at the end of the warm-up, and the event time there,
  // read from the frames by a parser and state engine of their own.
  constexpr std::size_t kWarm = 10'000;
  std::array<Price, 2> mid_start{}, mid_warm{};
  std::array<TimeMs, 2> t_start{}, t_warm{};
  {
    BinanceMessageParser probe(symbols);
    PriceStateEngine probe_state(symbols.size(), {&spec, 1}, RegimeParams{});
    PriceState ps;
    for (std::size_t i = 0; i < kWarm; ++i)
      (void)probe.parse(frames[i].data(), frames[i].size(), frames[i].capacity(),
                        [&](const MarketEvent& ev) {
                          if (!probe_state.on_event(ev, ps) || !ps.has(TriggerSource::kMid)) return;
                          if (!mid_start[ps.symbol].is_positive()) {
                            mid_start[ps.symbol] = ps.mid;
                            t_start[ps.symbol] = ps.event_time;
                          }
                          mid_warm[ps.symbol] = ps.mid;
                          t_warm[ps.symbol] = ps.event_time;
                        });
  }
  ASSERT_TRUE(mid_start[btc].is_positive() && mid_start[eth].is_positive());
  // 10 positions per symbol at the start and 10 that open after the warm-up, both sides, all
  // profiles, the stop 10 bps away and the target 30.
  for (int i = 0; i < 40; ++i) {
    const SymbolId s = i % 20 < 10 ? btc : eth;
    const bool late = i >= 20;
    NewPosition np;
    np.symbol = s;
    np.side = i % 2 ? Side::kShort : Side::kLong;
    np.qty = dec("1");
    np.entry = late ? mid_warm[s] : mid_start[s];
    np.opened_at = late ? t_warm[s] + 1 : t_start[s];
    np.profile = static_cast<std::uint16_t>(i % profiles.size());
    const Price tick = symbols.filters(s).tick_size;
    const double e = np.entry.to_double(), bp = e * 0.0001 * (np.side == Side::kLong ? 1 : -1);
    np.sl = Decimal::from_double(e - 10 * bp)->floor_to(tick);
    np.tp[0] = Decimal::from_double(e + 30 * bp)->floor_to(tick);
    np.tp_count = 1;
    ASSERT_TRUE(live.add(np)) << i;
  }

  const std::size_t& events = live.events;
  const std::size_t& states = live.states;
  auto run = [&](std::size_t from, std::size_t to) { live.feed(frames, from, to); };
  run(0, kWarm);
  const std::size_t exits_before = orders.exit_orders, stops_before = orders.stop_orders;
  const long before = g_allocations.load();
  ASSERT_GT(before, 0) << "the counter must see the set-up's allocations, or a zero proves nothing";
  run(kWarm, frames.size());
  const long allocations = g_allocations.load() - before;
  EXPECT_EQ(allocations, 0) << "the hot path allocated";
  EXPECT_EQ(events, frames.size()) << "every recorded trade and book ticker is one event";
  EXPECT_EQ(states, events);
  EXPECT_GT(orders.exit_orders, exits_before) << "exit orders must be written while counting";
  EXPECT_GT(orders.stop_orders, stops_before) << "stop orders must be written while counting";
  EXPECT_TRUE(orders.query.ok());
}

}  // namespace
}  // namespace exitbrain
