#include "strategies/adaptive_levels.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace exitbrain {
namespace {

constexpr double kTpPerLeverage = 0.05 / 20.0;  // seed 004: 0.05 × lev / 20
constexpr double kSlPerVolatility = 0.02;       // seed 004: 0.02 × vf
constexpr double kFundingWeight = 0.8;          // seed 003 tp multiplier
constexpr double kDivergenceWeight = 0.4;       // seed 003 sl multiplier
constexpr double kDivergenceCap = 1.0;          // seed 003

struct FieldError {
  const char* field = nullptr;
  const char* reason = nullptr;
};

bool in_unit_interval(double x) noexcept {
  return x >= 0.0 && x <= 1.0;
}  // false for NaN
bool in_half_open_unit(double x) noexcept {
  return x >= 0.0 && x < 1.0;
}
bool non_negative_finite(double x) noexcept {
  return std::isfinite(x) && x >= 0.0;
}

FieldError check_stop(const AdaptiveLevelsInput& in) noexcept {
  if (!non_negative_finite(in.stop_loss)) return {"stop_loss", "must be a finite price >= 0"};
  if (in.stop_loss == 0.0) return {};
  // A stop on the profit side of entry is not a stop; the guard would pass it blindly.
  if (in.side == Side::kLong && in.stop_loss >= in.entry_price)
    return {"stop_loss", "must be below entry for a BUY"};
  if (in.side == Side::kShort && in.stop_loss <= in.entry_price)
    return {"stop_loss", "must be above entry for a SELL"};
  return {};
}

FieldError validate(const AdaptiveLevelsInput& in) noexcept {
  if (in.side != Side::kLong && in.side != Side::kShort) return {"side", "must be BUY or SELL"};
  if (!(std::isfinite(in.entry_price) && in.entry_price > 0.0))
    return {"entry_price", "must be a finite price > 0"};
  if (!in_unit_interval(in.confidence)) return {"confidence", "must be in [0,1]"};
  if (!in_unit_interval(in.volatility_factor)) return {"volatility_factor", "must be in [0,1]"};
  if (!(in.funding_rate >= -1.0 && in.funding_rate <= 1.0))
    return {"funding_rate", "must be in [-1,1]"};
  if (!std::isfinite(in.exchange_divergence))
    return {"exchange_divergence", "must be a finite number"};
  if (!in_half_open_unit(in.maint_margin_rate)) return {"maint_margin_rate", "must be in [0,1)"};
  if (!non_negative_finite(in.maint_amount))
    return {"maint_amount", "must be a finite number >= 0"};
  if (!non_negative_finite(in.notional)) return {"notional", "must be a finite number >= 0"};
  if (!non_negative_finite(in.margin)) return {"margin", "must be a finite number >= 0"};
  if (in.margin > 0.0 && in.notional > 0.0) return {"margin", "must be 0 when notional is given"};
  if (const BracketError e = validate_brackets(in.brackets); !e.ok()) return {"brackets", e.reason};
  if (!in_half_open_unit(in.liquidation_buffer)) return {"liquidation_buffer", "must be in [0,1)"};
  return check_stop(in);
}

// Formula leverage: truncated and clamped; records which clamp applied.
int formula_leverage(double raw, LevelClamps& clamps) noexcept {
  const int lev = static_cast<int>(std::floor(raw + kIlfTruncationEpsilon));
  if (lev < kIlfMinLeverage) {
    clamps.set(LevelClamp::kLeverageFloor);
    return kIlfMinLeverage;
  }
  if (lev > kIlfMaxLeverage) {
    clamps.set(LevelClamp::kLeverageCap);
    return kIlfMaxLeverage;
  }
  return lev;
}

double tp_distance(int leverage, double funding_rate, LevelClamps& clamps) noexcept {
  const double d = kTpPerLeverage * leverage * (1.0 + funding_rate * kFundingWeight);
  if (d < kIlfTpMinDistance) {
    clamps.set(LevelClamp::kTpMinDistance);
    return kIlfTpMinDistance;
  }
  return d;
}

double sl_distance(double volatility_factor, double divergence, LevelClamps& clamps) noexcept {
  double div = std::fabs(divergence);
  if (div > kDivergenceCap) {
    clamps.set(LevelClamp::kDivergenceCap);
    div = kDivergenceCap;
  }
  const double d = kSlPerVolatility * volatility_factor * (1.0 + div * kDivergenceWeight);
  if (d < kIlfSlMinDistance) {
    clamps.set(LevelClamp::kSlMinDistance);
    return kIlfSlMinDistance;
  }
  return d;
}

double notional_at(const AdaptiveLevelsInput& in, int leverage) noexcept {
  return in.margin > 0.0 ? in.margin * leverage : in.notional;
}

struct Liquidation {
  double price = 0;
  int bracket = -1;  // −1: the fallback maint_margin_rate
  double maint_margin_rate = 0;
};

Liquidation liquidation_at(const AdaptiveLevelsInput& in, int leverage) noexcept {
  const double notional = notional_at(in, leverage);
  if (!in.brackets.empty() && notional > 0.0) {
    const BracketLiquidation b =
        bracket_liquidation_price(in.side, in.entry_price, leverage, notional, in.brackets);
    return {b.price, b.bracket,
            in.brackets[static_cast<std::size_t>(b.bracket)].maint_margin_ratio};
  }
  // No brackets known for the symbol (or no notional to find one with): the configured
  // fallback, as before brackets were fetched.
  return {isolated_liquidation_price(in.side, in.entry_price, leverage, in.maint_margin_rate,
                                     in.maint_amount, notional),
          -1, in.maint_margin_rate};
}

bool stop_is_safe(const AdaptiveLevelsInput& in, double stop, int leverage) noexcept {
  const double lp = liquidation_at(in, leverage).price;
  if (in.side == Side::kLong) return stop >= lp * (1.0 + in.liquidation_buffer);
  return stop <= lp * (1.0 - in.liquidation_buffer);
}

// The most leverage the bracket of the notional at `leverage` allows; 0 when the notional
// is above the last bracket (no leverage opens it); `leverage` itself without brackets.
int bracket_max_leverage(const AdaptiveLevelsInput& in, int leverage) noexcept {
  if (in.brackets.empty()) return leverage;
  const int b = find_bracket(in.brackets, notional_at(in, leverage));
  return b < 0 ? 0 : in.brackets[static_cast<std::size_t>(b)].max_leverage;
}

double price_at(const AdaptiveLevelsInput& in, double signed_distance) noexcept {
  return in.entry_price * (1.0 + side_sign(in.side) * signed_distance);
}

}  // namespace

std::string_view to_string(LevelClamp c) noexcept {
  switch (c) {
    case LevelClamp::kLeverageFloor:
      return "leverage_floor";
    case LevelClamp::kLeverageCap:
      return "leverage_cap";
    case LevelClamp::kLiquidationGuard:
      return "liquidation_guard";
    case LevelClamp::kTpMinDistance:
      return "tp_min_distance";
    case LevelClamp::kSlMinDistance:
      return "sl_min_distance";
    case LevelClamp::kDivergenceCap:
      return "divergence_cap";
    case LevelClamp::kBracketLeverageCap:
      return "bracket_leverage_cap";
  }
  return "unknown";
}

int ilf_base_leverage(double confidence) noexcept {
  if (confidence >= 0.8) return 80;
  if (confidence >= 0.7) return 60;
  if (confidence >= 0.6) return 40;
  return 20;
}

double regime_leverage_factor(Regime r) noexcept {
  switch (r) {
    case Regime::kTrending:
      return 1.2;
    case Regime::kRange:
      return 0.8;
    case Regime::kVolatile:
      return 0.6;
    case Regime::kUnknown:
      break;
  }
  return 1.0;
}

double isolated_liquidation_price(Side side, double entry_price, int leverage,
                                  double maint_margin_rate, double maint_amount,
                                  double notional) noexcept {
  const double inv_lev = 1.0 / leverage;
  // cum is an absolute amount; per unit of entry price it is cum / Q = cum·EP/notional.
  const double cum_per_qty = notional > 0.0 ? maint_amount * entry_price / notional : 0.0;
  double lp;
  if (side == Side::kLong) {
    lp = (entry_price * (1.0 - inv_lev) - cum_per_qty) / (1.0 - maint_margin_rate);
  } else {
    lp = (entry_price * (1.0 + inv_lev) + cum_per_qty) / (1.0 + maint_margin_rate);
  }
  return std::max(lp, 0.0);
}

BracketLiquidation bracket_liquidation_price(Side side, double entry_price, int leverage,
                                             double notional,
                                             std::span<const LeverageBracket> brackets) noexcept {
  const int last = static_cast<int>(brackets.size()) - 1;
  const auto bracket_of = [&](double n) {
    const int b = find_bracket(brackets, n);
    return b < 0 ? last : b;
  };
  const double qty = notional / entry_price;
  int b = bracket_of(notional);
  BracketLiquidation nearest{side == Side::kLong ? 0.0 : std::numeric_limits<double>::max(), b};
  for (std::size_t round = 0; round <= brackets.size(); ++round) {
    const LeverageBracket& k = brackets[static_cast<std::size_t>(b)];
    const double lp = isolated_liquidation_price(side, entry_price, leverage, k.maint_margin_ratio,
                                                 k.cum, notional);
    const int at_lp = bracket_of(qty * lp);
    if (at_lp == b) return {lp, b};
    if (side == Side::kLong ? lp > nearest.price : lp < nearest.price) nearest = {lp, b};
    b = at_lp;
  }
  return nearest;
}

AdaptiveLevelsResult compute_adaptive_levels(const AdaptiveLevelsInput& in) noexcept {
  AdaptiveLevelsResult result;
  if (const FieldError e = validate(in); e.field != nullptr) {
    result.error_field = e.field;
    result.error_reason = e.reason;
    return result;
  }
  AdaptiveLevels& out = result.levels;
  out.raw_leverage = ilf_base_leverage(in.confidence) * (1.0 - in.volatility_factor) *
                     regime_leverage_factor(in.regime);
  out.formula_leverage = formula_leverage(out.raw_leverage, out.clamps);
  out.sl_distance = sl_distance(in.volatility_factor, in.exchange_divergence, out.clamps);
  out.dynamic_sl = price_at(in, -out.sl_distance);
  out.guarded_stop = in.stop_loss > 0.0 ? in.stop_loss : out.dynamic_sl;

  int lev = out.formula_leverage;
  for (;;) {
    if (const int cap = bracket_max_leverage(in, lev); lev > cap) {
      // Over the bracket's maximum. With a margin-sized intent a lower leverage is a lower
      // notional, in a bracket that may allow more; a fixed notional stays where it is.
      if (lev == 1 || (cap < 1 && in.margin <= 0.0)) {
        result.error_field = "notional";
        result.error_reason = "is above the symbol's last leverage bracket";
        return result;
      }
      // One step at a time when sized in margin: the highest leverage whose own bracket
      // allows it (at 80x a 1 000 margin may be over a 5x bracket, and 10x fit a 10x one).
      lev = in.margin > 0.0 ? lev - 1 : cap;
      out.clamps.set(LevelClamp::kBracketLeverageCap);
      continue;
    }
    if (stop_is_safe(in, out.guarded_stop, lev)) break;
    if (lev == 1) {
      result.error_field = "stop_loss";
      result.error_reason = "lies beyond the liquidation price even at 1x leverage";
      return result;
    }
    --lev;
    out.clamps.set(LevelClamp::kLiquidationGuard);
  }
  out.target_leverage = lev;
  out.tp_distance = tp_distance(lev, in.funding_rate, out.clamps);
  out.dynamic_tp = price_at(in, out.tp_distance);
  const Liquidation liq = liquidation_at(in, lev);
  out.liquidation_price = liq.price;
  out.bracket = liq.bracket;
  out.maint_margin_rate = liq.maint_margin_rate;
  out.notional = notional_at(in, lev);
  return result;
}

}  // namespace exitbrain
