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
// - Leverage brackets: the symbol's (GET /fapi/v1/leverageBracket, fetched by `exitbrain
//   run`), for the liquidation guard and the leverage cap with the position's notional (see
//   adaptive_levels.hpp). A symbol without brackets keeps the configured maint_margin_rate.
#include <cstdint>
#include <span>

#include "core/decimal.hpp"
#include "core/symbol_table.hpp"
#include "core/trade_intent.hpp"
#include "strategies/adaptive_levels.hpp"
#include "strategies/cross_exchange.hpp"
#include "strategies/leverage_brackets.hpp"

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
  double maint_margin_rate = 0.004;  // for a symbol whose leverage brackets are not known
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

// `stream_time_ms`: the millisecond part of the entry's stream id. `brackets`: the symbol's
// leverage brackets (valid, as LeverageBracketTable holds them), empty when none are known;
// they must outlive the verdict (its input refers to them).
IntentVerdict evaluate_intent(const TradeIntent& intent, TimeMs stream_time_ms, TimeMs now_ms,
                              const cross_exchange::Adjustments& live, const SymbolFilters& filters,
                              const IntentPolicy& policy,
                              std::span<const LeverageBracket> brackets = {}) noexcept;

}  // namespace exitbrain
