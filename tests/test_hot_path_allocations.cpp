// Frame in -> parse -> state -> decision -> order bytes allocates nothing once warm: the
// stage objects are the ones the live threads will run, fed here synchronously with
// 100,000 frames; every decision is turned into the signed query the order sender would
// write (an exit order, or the hard stop behind a new stop).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "core/price_state_engine.hpp"
#include "net/binance_message_parser.hpp"
#include "net/hmac_signer.hpp"
#include "net/order_format.hpp"
#include "strategies/exit_engine.hpp"
#include "tests/support/counting_new.inc"
#include "tests/support/engine_harness.hpp"

namespace exitbrain {
namespace {

using testing::dec;

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
  const AtrSpec spec{};
  PriceStateEngine state(symbols.size(), {&spec, 1}, RegimeParams{});
  ExitEngine engine(profiles, std::vector<std::uint8_t>(profiles.size(), 0), symbols, 64);
  BinanceMessageParser parser(symbols);
  std::array<Decision, 256> ring{};
  std::size_t decisions = 0, exit_orders = 0, stop_orders = 0;
  const HmacSha256Signer signer("hot-path-test-secret-0123456789abcdef0123456789abcdef012345");
  QueryWriter query;
  std::int64_t clock = 1'771'000'000'000;
  auto sink = [&](const Decision& d) {
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
  };
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
    ASSERT_FALSE(engine.add_position(np, sink));
  }

  const std::vector<std::string> frames = make_frames(110'000);
  std::size_t events = 0, states = 0;
  auto run = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      const std::string& f = frames[i];
      const ParseStatus st =
          parser.parse(f.data(), f.size(), f.capacity(), [&](const MarketEvent& ev) {
            ++events;
            PriceState ps;
            if (!state.on_event(ev, ps)) return;
            ++states;
            engine.on_price(ps, sink);
          });
      ASSERT_EQ(st, ParseStatus::kOk) << f;
    }
  };
  run(0, 10'000);  // warm-up: parser buffers sized, ATR warm, levels set
  const std::size_t exits_before = exit_orders, stops_before = stop_orders;
  const long before = g_allocations.load();
  ASSERT_GT(before, 0) << "the counter must see the set-up's allocations, or a zero proves nothing";
  run(10'000, frames.size());
  const long allocations = g_allocations.load() - before;
  EXPECT_EQ(allocations, 0) << "the hot path allocated";
  EXPECT_GE(events, 100'000u);
  EXPECT_GT(states, 100'000u);
  EXPECT_GT(decisions, 20u) << "the engine must have been deciding, not idle";
  EXPECT_GT(exit_orders, exits_before) << "exit orders must have been written while counting";
  EXPECT_GT(stop_orders, stops_before) << "stop orders must have been written while counting";
  EXPECT_TRUE(query.ok());
}

}  // namespace
}  // namespace exitbrain
