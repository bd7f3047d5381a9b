#pragma once
// What exitbrain does with one valid trade intent: the adaptive levels it gets, whether it
// is too old to act on, and, when entries are executed, the size of the entry and whether
// the per-order limit allows it. Pure: the intent thread calls it, tests call it directly.
//
// - Age: now − min(intent timestamp, time Redis stored it). Older than max_age_ms →
//   kExpired: levels are computed and published, nothing is executed. Taking the older of
//   the two stamps means neither a producer with a fast clock nor a replayed backlog can
//   make an old intent look fresh.
// - Cross-exchange: while the live adapter has fresh data (not local mode), its
//   funding_delta and exchange_divergence replace the intent's funding_rate and
//   exchange_divergence as inputs of compute_adaptive_levels: they are newer than what the
//   producer saw. In local mode the intent's own values are used. `live_cross_exchange`
//   says which.
// - Stop checked by the liquidation guard and later used by the exit engine: the intent's
//   stop_loss when it has one, else dynamic_sl (AdaptiveLevels::guarded_stop).
// - Size: position_size_usd is margin by default (notional = size × target leverage, as
//   the seeds' RL agent sizes it and as `exitbrain backtest --margin` reads it), or the
//   notional itself with size_basis = notional. Quantity = notional / entry_price, floored
//   to the symbol's step.
#include <cstdint>

#include "core/decimal.hpp"
#include "core/symbol_table.hpp"
#include "core/trade_intent.hpp"
#include "strategies/adaptive_levels.hpp"
#include "strategies/cross_exchange.hpp"

namespace exitbrain {

enum class EntryMode : std::uint8_t { kObserve, kExecute };
enum class SizeBasis : std::uint8_t { kMargin, kNotional };
const char* to_string(EntryMode m) noexcept;  // "observe", "execute"
const char* to_string(SizeBasis b) noexcept;  // "margin", "notional"

struct IntentPolicy {
  EntryMode entries = EntryMode::kObserve;
  SizeBasis size_basis = SizeBasis::kMargin;
  TimeMs max_age_ms = 30'000;
  double max_order_notional_usd = 1'000;
  double maint_margin_rate = 0.004;
  double liquidation_buffer = 0.005;
};

enum class IntentStatus : std::uint8_t {
  kExecute,  // fresh, within limits, entries = execute: hand to the engine
  kObserve,  // fresh, entries = observe: levels published only
  kExpired,  // too old to act on: levels published, marked expired
  kRefused,  // fresh but not executable (size limits): levels published with the reason
  kInvalid,  // the levels cannot be computed: dead-letter it (error_field, reason)
};
const char* to_string(IntentStatus s) noexcept;  // "execute", "observe", ...

struct IntentVerdict {
  IntentStatus status = IntentStatus::kInvalid;
  // kInvalid: the input field at fault. kExpired / kRefused / kInvalid: why (static text).
  const char* error_field = nullptr;
  const char* reason = "";
  AdaptiveLevelsInput input;
  AdaptiveLevels levels;
  bool live_cross_exchange = false;
  TimeMs age_ms = 0;
  double notional = 0;  // of the entry, USDT
  Qty qty{};            // of the entry, on the step grid
};

// `stream_time_ms`: the millisecond part of the entry's stream id.
IntentVerdict evaluate_intent(const TradeIntent& intent, TimeMs stream_time_ms, TimeMs now_ms,
                              const cross_exchange::Adjustments& live, const SymbolFilters& filters,
                              const IntentPolicy& policy) noexcept;

}  // namespace exitbrain
