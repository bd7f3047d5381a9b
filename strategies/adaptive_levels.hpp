#pragma once
// Adaptive leverage and dynamic TP/SL for a new position (ILF "v3.5", seeds 000/004,
// DESIGN.md §3). Pure: no I/O, no exceptions, no allocation.
//
// Formula (seed 004), then the choices the seeds leave to us:
//   raw      = base(confidence) × (1 − volatility_factor) × regime_factor
//              base: ≥0.8 → 80, ≥0.7 → 60, ≥0.6 → 40, else 20
//   leverage = trunc(raw + 1e-9), clamped to [5, 80]
//   tp       = entry × (1 + side × tp_distance),  tp_distance = 0.05 × leverage / 20
//   sl       = entry × (1 − side × sl_distance),  sl_distance = 0.02 × volatility_factor
//
// - Regime factor: TRENDING 1.2, RANGE 0.8, VOLATILE 0.6, UNKNOWN 1.0. Seed 004's
//   "expected logic" raises leverage in trends and lowers it in chop and volatility;
//   UNKNOWN is neutral so today's regime-less intents keep the seed's numbers (26, 30).
// - Truncation epsilon 1e-9: base × (1 − vf) lands a few ulps below whole numbers
//   (60 × (1 − 0.55) = 26.999999999999996), and plain truncation would give 26, not
//   the seed's 27. Raw leverage is at most 96, so 1e-9 can never lift a genuinely
//   fractional value (e.g. 26.92) to the next integer.
// - Funding and divergence scale DISTANCES from entry with seed 003's multipliers, so
//   a SHORT stays the exact mirror of a LONG:
//     tp_distance × (1 + funding_rate × 0.8)        (funding_rate must be in [−1, 1])
//     sl_distance × (1 + min(|divergence|, 1) × 0.4) (a cut divergence is reported)
//   then the seed 003 floors: tp_distance ≥ 0.3 %, sl_distance ≥ 0.15 % of entry.
// - Liquidation guard (binance-api.md §7.3, isolated one-way, WB = Q·EP/L):
//     LONG  LP = EP·(1 − 1/L)/(1 − MMR) − cum·EP/(notional·(1 − MMR))
//     SHORT LP = EP·(1 + 1/L)/(1 + MMR) + cum·EP/(notional·(1 + MMR))
//   The position notional at leverage L is `notional`, or margin × L when `margin` is
//   given (an intent sized in margin). MMR and cum:
//   - with the symbol's leverage brackets (leverage_brackets.hpp): those of the bracket
//     of the notional at entry; if Q·LP, the notional at the computed LP, falls in another
//     bracket, LP is redone with that one (§7.2) until the bracket holds. With consistent
//     cum this ends at the exact LP within as many rounds as there are brackets; should
//     it not, the LP nearest entry of those computed is used (the safe side);
//   - without brackets (none known for the symbol, or no notional): the configured
//     fallback maint_margin_rate and maint_amount. The cum term needs the notional;
//     without one cum is ignored, which moves LP toward entry, i.e. errs on the safe side.
//   The stop checked is the explicit stop_loss if given, else dynamic_sl; it must satisfy
//     LONG: stop ≥ LP·(1 + buffer)     SHORT: stop ≤ LP·(1 − buffer).
//   Otherwise leverage drops one step at a time, below the 5x floor down to 1x if it
//   must (a liquidated position loses more than a low-leverage one), and dynamic_tp is
//   recomputed from the final leverage. If 1x still fails, the result is an error
//   on "stop_loss".
// - Bracket cap: leverage never exceeds the maximum (initialLeverage) of the bracket of
//   the notional at that leverage; it is lowered until it fits (kBracketLeverageCap):
//   straight to that maximum for a fixed notional, one step at a time when sized in margin
//   (the notional falls with the leverage, into brackets that may allow more). Checked
//   before the guard and at every step of it, even below the 5x floor. A notional above
//   the symbol's last bracket at every leverage left is an error on "notional".
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/types.hpp"
#include "strategies/leverage_brackets.hpp"

namespace exitbrain {

inline constexpr int kIlfMinLeverage = 5;
inline constexpr int kIlfMaxLeverage = 80;
inline constexpr double kIlfTruncationEpsilon = 1e-9;
inline constexpr double kIlfTpMinDistance = 0.003;   // 0.3 % of entry (seed 003)
inline constexpr double kIlfSlMinDistance = 0.0015;  // 0.15 % of entry (seed 003)

// What moved a value away from the plain formula.
enum class LevelClamp : std::uint8_t {
  kLeverageFloor,       // raw leverage below 5, lifted to 5
  kLeverageCap,         // raw leverage above 80, cut to 80
  kLiquidationGuard,    // leverage lowered so the stop sits inside the liquidation price
  kTpMinDistance,       // tp distance lifted to 0.3 %
  kSlMinDistance,       // sl distance lifted to 0.15 %
  kDivergenceCap,       // |exchange_divergence| cut to 1
  kBracketLeverageCap,  // leverage cut to the maximum of the notional's leverage bracket
};
inline constexpr std::array<LevelClamp, 7> kAllLevelClamps = {
    LevelClamp::kLeverageFloor,     LevelClamp::kLeverageCap,   LevelClamp::kLiquidationGuard,
    LevelClamp::kTpMinDistance,     LevelClamp::kSlMinDistance, LevelClamp::kDivergenceCap,
    LevelClamp::kBracketLeverageCap};

// "leverage_floor", "leverage_cap", "liquidation_guard", "tp_min_distance",
// "sl_min_distance", "divergence_cap", "bracket_leverage_cap".
std::string_view to_string(LevelClamp c) noexcept;

// A set of LevelClamp, as a bitmask so results stay trivially copyable.
struct LevelClamps {
  std::uint8_t bits = 0;

  constexpr void set(LevelClamp c) noexcept { bits = static_cast<std::uint8_t>(bits | mask(c)); }
  constexpr bool has(LevelClamp c) const noexcept { return (bits & mask(c)) != 0; }
  constexpr bool empty() const noexcept { return bits == 0; }

 private:
  static constexpr unsigned mask(LevelClamp c) noexcept { return 1u << static_cast<unsigned>(c); }
};

struct AdaptiveLevelsInput {
  Side side = Side::kLong;       // BUY → kLong, SELL → kShort
  double entry_price = 0;        // > 0
  double confidence = 0;         // [0, 1]
  double volatility_factor = 0;  // [0, 1]
  Regime regime = Regime::kUnknown;
  double funding_rate = 0;            // [−1, 1]
  double exchange_divergence = 0;     // any finite value; |x| is capped at 1
  double stop_loss = 0;               // the intent's stop; 0 = none (use dynamic_sl)
  double maint_margin_rate = 0.004;   // [0, 1); fallback when `brackets` is empty
  double maint_amount = 0;            // fallback "cum", ≥ 0; used only with a notional
  double notional = 0;                // position notional at entry, ≥ 0; 0 = unknown
  double margin = 0;                  // ≥ 0; > 0: notional = margin × leverage (notional 0)
  double liquidation_buffer = 0.005;  // [0, 1): stop must sit this far inside LP
  // The symbol's leverage brackets (must outlive the call); empty: none known.
  std::span<const LeverageBracket> brackets;
};

struct AdaptiveLevels {
  int target_leverage = 0;   // final leverage, after the liquidation guard
  int formula_leverage = 0;  // leverage after the [5, 80] clamp, before the guard
  double raw_leverage = 0;   // base × (1 − vf) × regime factor, before truncation
  double tp_distance = 0;    // fraction of entry, after adjustments and floors
  double sl_distance = 0;
  double dynamic_tp = 0;
  double dynamic_sl = 0;
  double guarded_stop = 0;       // the stop the guard checked (explicit or dynamic_sl)
  double liquidation_price = 0;  // at target_leverage; 0 when it cannot be reached
  double notional = 0;           // at target_leverage; 0 = unknown
  // The bracket liquidation_price was computed with (index into the input's brackets), and
  // its MMR; −1 and maint_margin_rate when the fallback was used.
  int bracket = -1;
  double maint_margin_rate = 0;
  LevelClamps clamps;
};

struct AdaptiveLevelsResult {
  // On error: the input field at fault ("confidence") and why ("must be in [0,1]").
  // Both are static strings.
  const char* error_field = nullptr;
  const char* error_reason = nullptr;
  AdaptiveLevels levels;

  bool ok() const noexcept { return error_field == nullptr; }
};

[[nodiscard]] AdaptiveLevelsResult compute_adaptive_levels(const AdaptiveLevelsInput& in) noexcept;

// Building blocks, exposed for tests and for callers that need one piece.
int ilf_base_leverage(double confidence) noexcept;
double regime_leverage_factor(Regime r) noexcept;
// binance-api.md §7.3 with WB = Q·EP/L. `notional` 0 ignores `maint_amount`.
// Never negative: a long at 1x cannot be liquidated.
double isolated_liquidation_price(Side side, double entry_price, int leverage,
                                  double maint_margin_rate, double maint_amount = 0,
                                  double notional = 0) noexcept;

struct BracketLiquidation {
  double price = 0;
  int bracket = -1;  // the bracket the price was computed with
};
// The same with the bracket rules above (entry bracket, redone with the bracket of Q·LP).
// `notional` > 0; `brackets` valid and not empty. A notional above the last cap uses the
// last bracket.
BracketLiquidation bracket_liquidation_price(Side side, double entry_price, int leverage,
                                             double notional,
                                             std::span<const LeverageBracket> brackets) noexcept;

}  // namespace exitbrain
