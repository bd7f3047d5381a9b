#include "bench/e2e/tick_workload.hpp"

#include <stdexcept>

namespace exitbrain::bench {

TickWorkload::TickWorkload(const FrameSet& frames, int positions) : frames_(frames) {
  const SymbolId sym = *symbols_.intern("BTCUSDT");
  Decimal tick, step;
  (void)parse_decimal("0.1", tick);
  (void)parse_decimal("0.001", step);
  symbols_.filters(sym).tick_size = tick;
  symbols_.filters(sym).step_size = step;
  Profile p = builtin_profiles()[0];
  p.time_stop_sec = 0;
  const AtrSpec spec{p.atr_interval_ms, p.atr_period, p.atr_method};
  state_ = std::make_unique<PriceStateEngine>(symbols_.size(), std::span<const AtrSpec>(&spec, 1),
                                              RegimeParams{});
  engine_ = std::make_unique<ExitEngine>(std::vector<Profile>{p}, std::vector<std::uint8_t>{0},
                                         symbols_, static_cast<std::size_t>(positions));
  parser_ = std::make_unique<BinanceMessageParser>(symbols_);

  // The first mark price: the positions' entry.
  Price first{};
  TimeMs at = 0;
  for (const std::string& f : frames_.frames) {
    (void)parser_->parse(f.data(), f.size(), f.capacity(), [&](const MarketEvent& ev) {
      if (ev.kind == MarketEventKind::kMarkPrice && !first.is_positive()) {
        first = ev.price;
        at = ev.event_time;
      }
    });
    if (first.is_positive()) break;
  }
  if (!first.is_positive()) throw std::runtime_error("frames: no BTCUSDT markPrice message");
  for (int i = 0; i < positions; ++i) {
    NewPosition np;
    np.symbol = sym;
    np.side = i % 2 ? Side::kShort : Side::kLong;
    np.qty = Decimal::from_int(1);
    np.entry = first;
    np.opened_at = at;
    const Price lo = Decimal::from_double(first.to_double() * 0.95)->floor_to(tick);
    const Price hi = Decimal::from_double(first.to_double() * 1.05)->floor_to(tick);
    np.sl = np.side == Side::kLong ? lo : hi;
    np.tp[0] = np.side == Side::kLong ? hi : lo;
    np.tp_count = 1;
    if (engine_->add_position(np, [this](const Decision&) { ++decisions_; }))
      throw std::runtime_error("positions: could not be opened");
  }
}

std::uint64_t TickWorkload::run(std::size_t from, std::size_t to, TickDepth depth) {
  std::uint64_t ticks = 0;
  PriceState st;
  for (std::size_t i = from; i < to; ++i) {
    const std::string& f = frames_.frames[i];
    (void)parser_->parse(f.data(), f.size(), f.capacity(), [&](const MarketEvent& ev) {
      if (depth == TickDepth::kParse) {
        ticks += ev.kind == MarketEventKind::kMarkPrice;
        return;
      }
      if (!state_->on_event(ev, st)) return;
      ++ticks;
      if (depth == TickDepth::kDecision)
        engine_->on_price(st, [this](const Decision&) { ++decisions_; });
    });
  }
  return ticks;
}

}  // namespace exitbrain::bench
