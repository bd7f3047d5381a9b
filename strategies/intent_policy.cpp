#include "strategies/intent_policy.hpp"

#include <algorithm>
#include <cmath>

namespace exitbrain {

const char* to_string(EntryMode m) noexcept {
  return m == EntryMode::kExecute ? "execute" : "observe";
}

const char* to_string(SizeBasis b) noexcept {
  return b == SizeBasis::kNotional ? "notional" : "margin";
}

const char* to_string(IntentStatus s) noexcept {
  switch (s) {
    case IntentStatus::kExecute:
      return "execute";
    case IntentStatus::kObserve:
      return "observe";
    case IntentStatus::kExpired:
      return "expired";
    case IntentStatus::kRefused:
      return "refused";
    case IntentStatus::kInvalid:
      break;
  }
  return "invalid";
}

IntentVerdict evaluate_intent(const TradeIntent& intent, TimeMs stream_time_ms, TimeMs now_ms,
                              const cross_exchange::Adjustments& live, const SymbolFilters& filters,
                              const IntentPolicy& policy,
                              std::span<const LeverageBracket> brackets) noexcept {
  IntentVerdict v;
  AdaptiveLevelsInput& in = v.input;
  in.side = intent.side;
  in.entry_price = intent.entry_price;
  in.confidence = intent.confidence;
  in.volatility_factor = intent.volatility_factor;
  in.regime = intent.regime;
  in.funding_rate = intent.funding_rate;
  in.exchange_divergence = intent.exchange_divergence;
  in.stop_loss = intent.stop_loss;
  in.maint_margin_rate = policy.maint_margin_rate;
  in.liquidation_buffer = policy.liquidation_buffer;
  in.brackets = brackets;
  // The notional the guard and the bracket cap look at: margin × leverage, or the size.
  if (intent.position_size_usd > 0) {
    if (policy.size_basis == SizeBasis::kMargin)
      in.margin = intent.position_size_usd;
    else
      in.notional = intent.position_size_usd;
  }
  if (!live.local_mode) {
    v.live_cross_exchange = true;
    in.funding_rate = std::clamp(live.funding_delta, -1.0, 1.0);
    in.exchange_divergence = live.exchange_divergence;
  }
  const AdaptiveLevelsResult r = compute_adaptive_levels(in);
  if (!r.ok()) {
    v.error_field = r.error_field;
    v.reason = r.error_reason;
    return v;
  }
  v.levels = r.levels;

  const double notional = policy.size_basis == SizeBasis::kMargin
                              ? intent.position_size_usd * v.levels.target_leverage
                              : intent.position_size_usd;
  v.notional = notional;
  v.qty = Decimal::from_double(notional / intent.entry_price)
              .value_or(Qty{})
              .floor_to(filters.step_size);

  const TimeMs created = std::min(intent.timestamp_ms, stream_time_ms);
  v.age_ms = now_ms - created;
  if (v.age_ms > policy.max_age_ms) {
    v.status = IntentStatus::kExpired;
    v.reason = "older than intent_max_age_ms";
    return v;
  }
  if (policy.entries == EntryMode::kObserve) {
    v.status = IntentStatus::kObserve;
    return v;
  }
  v.status = IntentStatus::kRefused;
  if (notional > policy.max_order_notional_usd) {
    v.reason = "notional above max_order_notional_usd";
    return v;
  }
  if (!v.qty.is_positive() || v.qty < filters.min_qty) {
    v.reason = "quantity below the symbol's minimum";
    return v;
  }
  if (v.qty.to_double() * intent.entry_price < filters.min_notional.to_double()) {
    v.reason = "notional below the symbol's minimum";
    return v;
  }
  v.status = IntentStatus::kExecute;
  return v;
}

}  // namespace exitbrain
