#pragma once
// The state stage: turns market events into PriceState (latest mark / last / mid, ATR per
// spec, regime). A plain object: the live thread, replay, tests and benchmarks all feed
// the very same code. No allocation after construction, no I/O, no exceptions.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/atr.hpp"
#include "core/candle_aggregator.hpp"
#include "core/events.hpp"
#include "core/regime.hpp"

namespace exitbrain {

// One ATR the engine maintains for every symbol: candles of interval_ms, period, method.
struct AtrSpec {
  std::int64_t interval_ms = 5 * 60'000;
  int period = 14;
  AtrMethod method = AtrMethod::kSma;
  bool operator==(const AtrSpec&) const = default;
};

// Where a symbol's candles come from. A better source, once seen, replaces a worse one
// (closed exchange klines > trades > mark prices) so candles are never counted twice.
enum class CandleSource : std::uint8_t { kNone, kMark, kTrade, kKline };

struct PriceStateCounters {
  std::uint64_t events = 0;
  std::uint64_t candles = 0;
  std::uint64_t rejected_candles = 0;  // ATR refused the candle (bad values)
  std::uint64_t unusable_klines = 0;   // interval does not divide the ATR interval
};

class PriceStateEngine {
 public:
  // specs[0] also drives the regime classifier. At most kMaxAtrSpecs specs.
  PriceStateEngine(std::size_t max_symbols, std::span<const AtrSpec> specs, RegimeParams regime);

  // Applies one event. Returns false when the event changed nothing the decision stage
  // reads (an unknown symbol, a not-yet-closed kline); `out` is then untouched.
  [[nodiscard]] bool on_event(const MarketEvent& ev, PriceState& out) noexcept;

  std::span<const AtrSpec> specs() const noexcept { return {specs_.data(), spec_count_}; }
  const PriceStateCounters& counters() const noexcept { return counters_; }
  // The latest state of a symbol (all zero before its first event).
  const PriceState& state(SymbolId s) const noexcept { return symbols_[s].state; }

 private:
  struct PerSpec {
    CandleAggregator aggregator;
    Atr atr;
  };
  struct PerSymbol {
    PriceState state;
    CandleSource source = CandleSource::kNone;
    std::array<PerSpec, kMaxAtrSpecs> spec;
    RegimeClassifier regime;
  };

  void feed_candles(PerSymbol& sym, CandleSource source, const MarketEvent& ev,
                    bool& closed) noexcept;
  void on_closed_candle(PerSymbol& sym, std::size_t spec, const Candle& c, bool& closed) noexcept;

  std::array<AtrSpec, kMaxAtrSpecs> specs_{};
  std::size_t spec_count_ = 0;
  std::vector<PerSymbol> symbols_;
  PriceStateCounters counters_;
};

}  // namespace exitbrain
