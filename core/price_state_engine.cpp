#include "core/price_state_engine.hpp"

#include <algorithm>

namespace exitbrain {

PriceStateEngine::PriceStateEngine(std::size_t max_symbols, std::span<const AtrSpec> specs,
                                   RegimeParams regime) {
  spec_count_ = std::min(specs.size(), kMaxAtrSpecs);
  std::copy_n(specs.begin(), spec_count_, specs_.begin());
  if (spec_count_ == 0) spec_count_ = 1;  // default spec: 14 x 5m SMA
  PerSymbol proto{
      PriceState{},
      CandleSource::kNone,
      {PerSpec{CandleAggregator(specs_[0].interval_ms), Atr(specs_[0].period, specs_[0].method)},
       PerSpec{CandleAggregator(specs_[1].interval_ms), Atr(specs_[1].period, specs_[1].method)},
       PerSpec{CandleAggregator(specs_[2].interval_ms), Atr(specs_[2].period, specs_[2].method)},
       PerSpec{CandleAggregator(specs_[3].interval_ms), Atr(specs_[3].period, specs_[3].method)}},
      RegimeClassifier(regime)};
  symbols_.assign(max_symbols, proto);
  for (std::size_t i = 0; i < max_symbols; ++i) symbols_[i].state.symbol = static_cast<SymbolId>(i);
}

bool PriceStateEngine::on_event(const MarketEvent& ev, PriceState& out) noexcept {
  if (ev.symbol >= symbols_.size()) return false;
  ++counters_.events;
  PerSymbol& sym = symbols_[ev.symbol];
  PriceState& st = sym.state;
  st.updated = 0;
  st.candle_closed = false;
  bool closed = false;
  switch (ev.kind) {
    case MarketEventKind::kMarkPrice:
      st.mark = ev.price;
      st.updated = trigger_bit(TriggerSource::kMark);
      feed_candles(sym, CandleSource::kMark, ev, closed);
      break;
    case MarketEventKind::kTrade:
      st.last = ev.price;
      st.updated = trigger_bit(TriggerSource::kLast);
      feed_candles(sym, CandleSource::kTrade, ev, closed);
      break;
    case MarketEventKind::kBookTicker:
      if (!ev.bid.is_positive() || !ev.ask.is_positive()) return false;
      // Exact midpoint, rounded down to the 1e-8 grid when the sum is odd.
      st.mid = Decimal::from_units((ev.bid.units() + ev.ask.units()) / 2);
      st.updated = trigger_bit(TriggerSource::kMid);
      break;
    case MarketEventKind::kSynthetic:
      // A walked candle path stands for every trigger price; its candles arrive as
      // closed klines right after, so the path itself never feeds the aggregators.
      st.mark = st.last = st.mid = ev.price;
      st.updated = trigger_bit(TriggerSource::kMark) | trigger_bit(TriggerSource::kLast) |
                   trigger_bit(TriggerSource::kMid);
      break;
    case MarketEventKind::kKline:
      if (!ev.kline_closed) return false;
      feed_candles(sym, CandleSource::kKline, ev, closed);
      if (!closed) return false;
      break;
  }
  if (ev.event_time > st.event_time) st.event_time = ev.event_time;
  st.candle_closed = closed;
  st.stamps = ev.stamps;
  out = st;
  return true;
}

void PriceStateEngine::feed_candles(PerSymbol& sym, CandleSource source, const MarketEvent& ev,
                                    bool& closed) noexcept {
  if (source < sym.source) return;
  if (source > sym.source) {
    // Switching to a better source: drop the partial candle of the worse one. The ATR
    // keeps its history; closed candles from either source are equally valid.
    for (std::size_t i = 0; i < spec_count_; ++i) sym.spec[i].aggregator.reset();
    sym.source = source;
  }
  for (std::size_t i = 0; i < spec_count_; ++i) {
    PerSpec& ps = sym.spec[i];
    auto emit = [&](const Candle& c) { on_closed_candle(sym, i, c, closed); };
    if (source == CandleSource::kKline) {
      const Candle& k = ev.kline;
      if (k.interval_ms <= 0 || k.interval_ms > specs_[i].interval_ms ||
          specs_[i].interval_ms % k.interval_ms != 0) {
        ++counters_.unusable_klines;
        continue;
      }
      ps.aggregator.on_candle(k, emit);
    } else {
      ps.aggregator.on_price(ev.event_time, ev.price, emit);
    }
  }
}

void PriceStateEngine::on_closed_candle(PerSymbol& sym, std::size_t spec, const Candle& c,
                                        bool& closed) noexcept {
  PerSpec& ps = sym.spec[spec];
  const double high = c.high.to_double();
  const double low = c.low.to_double();
  const double close = c.close.to_double();
  if (ps.atr.update(high, low, close) != IndicatorError::kOk) {
    ++counters_.rejected_candles;
    return;
  }
  ++counters_.candles;
  closed = true;
  PriceState& st = sym.state;
  const auto bit = static_cast<std::uint8_t>(1u << spec);
  if (ps.atr.ready()) {
    st.atr[spec] = ps.atr.value();
    st.atr_ready |= bit;
  }
  if (spec == 0) {
    st.atr_close = close;
    (void)sym.regime.update(close, ps.atr.value(), ps.atr.ready());
    st.regime = sym.regime.regime();
  }
}

}  // namespace exitbrain
