#pragma once
// Fixed-size, trivially copyable events that flow between the pipeline stages.
// Nothing here owns memory, so events can sit in pre-allocated SPSC rings.
#include <array>
#include <cstdint>
#include <type_traits>

#include "core/candle.hpp"
#include "core/clock.hpp"
#include "core/decimal.hpp"
#include "core/types.hpp"

namespace exitbrain {

enum class MarketEventKind : std::uint8_t {
  kMarkPrice,   // markPriceUpdate: price = mark, funding_rate set
  kTrade,       // trade / aggTrade: price = last trade
  kBookTicker,  // bookTicker: bid / ask
  kKline,       // kline: candle (closed when kline_closed)
  kSynthetic,   // replay of a candle path: price stands for mark, last and mid at once
};

struct MarketEvent {
  TimeMs event_time = 0;  // exchange event time (E), or the walked time of a candle path
  SymbolId symbol = kNoSymbol;
  MarketEventKind kind = MarketEventKind::kMarkPrice;
  bool kline_closed = false;
  Price price{};
  Price bid{}, ask{};
  Candle kline{};
  double funding_rate = 0.0;
  LatencyStamps stamps{};
};
static_assert(std::is_trivially_copyable_v<MarketEvent>);

// Which trigger prices an update refreshed (bit set of TriggerSource).
enum class TriggerSource : std::uint8_t { kMark = 0, kLast = 1, kMid = 2 };
constexpr std::uint8_t trigger_bit(TriggerSource s) noexcept {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(s));
}

inline constexpr std::size_t kMaxAtrSpecs = 4;

// The state engine's view of one symbol after an event: latest prices and indicators.
struct PriceState {
  TimeMs event_time = 0;
  SymbolId symbol = kNoSymbol;
  std::uint8_t updated = 0;    // trigger_bit()s refreshed by this event
  bool candle_closed = false;  // an ATR candle closed on this event
  Price mark{}, last{}, mid{};
  std::array<double, kMaxAtrSpecs> atr{};  // per ATR spec; valid when atr_ready bit set
  std::uint8_t atr_ready = 0;              // bit per ATR spec
  double atr_close = 0.0;                  // close of the latest ATR candle (spec 0)
  Regime regime = Regime::kUnknown;
  LatencyStamps stamps{};

  Price price(TriggerSource s) const noexcept {
    return s == TriggerSource::kMark ? mark : s == TriggerSource::kLast ? last : mid;
  }
  bool has(TriggerSource s) const noexcept { return (updated & trigger_bit(s)) != 0; }
};
static_assert(std::is_trivially_copyable_v<PriceState>);

enum class ExitReason : std::uint8_t {
  kStopLoss,
  kTrailingStop,
  kBreakEven,
  kTakeProfit,
  kHarvest,
  kTimeStop,
  kFlatten,  // the operator's `exitbrain ctl flatten`, or an automatic limit
};
constexpr const char* to_string(ExitReason r) noexcept {
  switch (r) {
    case ExitReason::kStopLoss:
      return "stop_loss";
    case ExitReason::kTrailingStop:
      return "trailing_stop";
    case ExitReason::kBreakEven:
      return "break_even";
    case ExitReason::kTakeProfit:
      return "take_profit";
    case ExitReason::kHarvest:
      return "harvest";
    case ExitReason::kTimeStop:
      return "time_stop";
    case ExitReason::kFlatten:
      return "flatten";
  }
  return "unknown";
}
inline constexpr std::size_t kExitReasonCount = 7;

enum class StopMoveReason : std::uint8_t { kBreakEven, kTrailing, kHighVolatility };
constexpr const char* to_string(StopMoveReason r) noexcept {
  switch (r) {
    case StopMoveReason::kBreakEven:
      return "break_even";
    case StopMoveReason::kTrailing:
      return "trailing";
    case StopMoveReason::kHighVolatility:
      return "high_volatility";
  }
  return "unknown";
}

inline constexpr std::size_t kMaxTpLegs = 4;

// What the exit engine decided for one position on one update.
enum class DecisionKind : std::uint8_t { kLevels, kStopMoved, kExit };

struct Decision {
  DecisionKind kind = DecisionKind::kLevels;
  std::uint32_t position = 0;  // index in the engine's position table
  SymbolId symbol = kNoSymbol;
  Side side = Side::kLong;
  TimeMs time = 0;
  Price entry{};  // the position's entry price (realised PnL of an exit is measured from it)
  // kLevels
  Price sl{};
  std::array<Price, kMaxTpLegs> tp{};
  std::uint8_t tp_count = 0;
  bool provisional = false;  // a warm-up stop, replaced once the ATR is ready
  bool high_volatility = false;
  // kStopMoved
  StopMoveReason move_reason = StopMoveReason::kTrailing;
  // kLevels / kStopMoved, live: how many state-journal records must be written before a
  // hard stop may follow this level (those of the input that made it included), so a
  // restart never finds a stop tighter than the plan it restores (0: no journal).
  std::uint64_t journal_records = 0;
  // kExit
  ExitReason exit_reason = ExitReason::kStopLoss;
  std::int8_t leg = -1;  // TP leg index for take_profit, else -1
  Qty qty{};
  Price price{};               // trigger price that caused the exit
  Qty remaining{};             // left open after this exit
  std::uint32_t exit_seq = 0;  // per position, 1-based: the deterministic order id suffix
  LatencyStamps stamps{};
};
static_assert(std::is_trivially_copyable_v<Decision>);

// An exit order for the order sender: reduce-only MARKET, deterministic client id parts.
struct OrderRequest {
  std::uint32_t position = 0;
  std::uint32_t exit_seq = 0;
  SymbolId symbol = kNoSymbol;
  Side position_side = Side::kLong;  // the order side is the opposite
  Qty qty{};
  ExitReason reason = ExitReason::kStopLoss;
  LatencyStamps stamps{};
};
static_assert(std::is_trivially_copyable_v<OrderRequest>);

enum class FillStatus : std::uint8_t { kFilled, kPartiallyFilled, kRejected, kCanceled };

// Exchange (or simulator) answer to an exit order.
struct Fill {
  std::uint32_t position = 0;
  std::uint32_t exit_seq = 0;
  FillStatus status = FillStatus::kFilled;
  Qty filled_qty{};
  Price price{};
  double fee = 0.0;
  TimeMs time = 0;
};
static_assert(std::is_trivially_copyable_v<Fill>);

}  // namespace exitbrain
