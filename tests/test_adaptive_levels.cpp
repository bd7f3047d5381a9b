#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "strategies/adaptive_levels.hpp"

namespace exitbrain {
namespace {

constexpr double kNearVf = 0.5513439007580968;  // seed 004, NEARUSDT intent

AdaptiveLevelsInput near_long() {
  AdaptiveLevelsInput in;
  in.side = Side::kLong;
  in.entry_price = 1.465;
  in.confidence = 0.72;
  in.volatility_factor = kNearVf;
  return in;
}

AdaptiveLevels ok_levels(const AdaptiveLevelsInput& in) {
  const AdaptiveLevelsResult r = compute_adaptive_levels(in);
  EXPECT_TRUE(r.ok()) << (r.error_field ? r.error_field : "") << ": "
                      << (r.error_reason ? r.error_reason : "");
  return r.levels;
}

int leverage_for(double confidence, double vf, Regime regime = Regime::kUnknown) {
  AdaptiveLevelsInput in = near_long();
  in.confidence = confidence;
  in.volatility_factor = vf;
  in.regime = regime;
  return ok_levels(in).formula_leverage;
}

std::string error_field(const AdaptiveLevelsInput& in) {
  const AdaptiveLevelsResult r = compute_adaptive_levels(in);
  return r.ok() ? std::string("<ok>") : std::string(r.error_field);
}

// --- leverage formula -----------------------------------------------------------

TEST(AdaptiveLevels, NearUsdtSeedExampleGives26) {
  const AdaptiveLevels l = ok_levels(near_long());
  EXPECT_EQ(l.target_leverage, 26);
  EXPECT_EQ(l.formula_leverage, 26);
  EXPECT_NEAR(l.raw_leverage, 26.919365954514, 1e-9);
  EXPECT_TRUE(l.clamps.empty());
  EXPECT_NEAR(l.dynamic_tp, 1.560225, 1e-12);           // 1.465 × (1 + 0.05 × 26 / 20)
  EXPECT_NEAR(l.dynamic_sl, 1.448845623707788, 1e-12);  // 1.465 × (1 − 0.02 × vf)
  EXPECT_NEAR(l.liquidation_price, 1.465 * (25.0 / 26.0) / 0.996, 1e-12);
  EXPECT_DOUBLE_EQ(l.guarded_stop, l.dynamic_sl);
}

TEST(AdaptiveLevels, VolatilityHalfGives30) {
  EXPECT_EQ(leverage_for(0.72, 0.5), 30);
}

TEST(AdaptiveLevels, TruncationSurvivesFloatingPointJustBelowIntegers) {
  // 60 × (1 − 0.55) is 26.999999999999996 in doubles: the epsilon keeps it at 27.
  ASSERT_LT(60.0 * (1.0 - 0.55), 27.0);
  EXPECT_EQ(leverage_for(0.72, 0.55), 27);
  ASSERT_LT(60.0 * (1.0 - 0.9), 6.0);
  EXPECT_EQ(leverage_for(0.65, 0.9), 5);   // 40 × 0.1 = 4 → floor
  EXPECT_EQ(leverage_for(0.75, 0.9), 6);   // 5.999999999999998 → 6
  EXPECT_EQ(leverage_for(0.85, 0.8), 16);  // 15.999999999999996 → 16
  // ...but a genuinely fractional value still truncates.
  EXPECT_EQ(leverage_for(0.72, 0.5513), 26);   // 26.922
  EXPECT_EQ(leverage_for(0.72, 0.49999), 30);  // 30.0006
  EXPECT_EQ(leverage_for(0.72, 0.50001), 29);  // 29.9994
}

TEST(AdaptiveLevels, BaseLeverageByConfidenceThresholds) {
  EXPECT_EQ(ilf_base_leverage(1.0), 80);
  EXPECT_EQ(ilf_base_leverage(0.8), 80);
  EXPECT_EQ(ilf_base_leverage(0.79), 60);
  EXPECT_EQ(ilf_base_leverage(0.7), 60);
  EXPECT_EQ(ilf_base_leverage(0.69), 40);
  EXPECT_EQ(ilf_base_leverage(0.6), 40);
  EXPECT_EQ(ilf_base_leverage(0.59), 20);
  EXPECT_EQ(ilf_base_leverage(0.0), 20);
  EXPECT_EQ(leverage_for(0.8, 0.0), 80);
  EXPECT_EQ(leverage_for(0.7, 0.0), 60);
  EXPECT_EQ(leverage_for(0.6, 0.0), 40);
  EXPECT_EQ(leverage_for(0.5, 0.0), 20);
}

TEST(AdaptiveLevels, RegimeFactors) {
  EXPECT_DOUBLE_EQ(regime_leverage_factor(Regime::kUnknown), 1.0);
  EXPECT_DOUBLE_EQ(regime_leverage_factor(Regime::kTrending), 1.2);
  EXPECT_DOUBLE_EQ(regime_leverage_factor(Regime::kRange), 0.8);
  EXPECT_DOUBLE_EQ(regime_leverage_factor(Regime::kVolatile), 0.6);
  EXPECT_EQ(leverage_for(0.72, 0.5, Regime::kUnknown), 30);
  EXPECT_EQ(leverage_for(0.72, 0.5, Regime::kTrending), 36);
  EXPECT_EQ(leverage_for(0.72, 0.5, Regime::kRange), 24);
  EXPECT_EQ(leverage_for(0.72, 0.5, Regime::kVolatile), 18);
  EXPECT_EQ(leverage_for(0.72, kNearVf, Regime::kRange), 21);  // 21.5355 truncated
}

TEST(AdaptiveLevels, ClampsAtFiveAndReportsTheFloor) {
  AdaptiveLevelsInput in = near_long();
  in.confidence = 0.5;
  in.volatility_factor = 0.9;  // 20 × 0.1 = 2
  const AdaptiveLevels l = ok_levels(in);
  EXPECT_NEAR(l.raw_leverage, 2.0, 1e-9);
  EXPECT_EQ(l.formula_leverage, 5);
  EXPECT_EQ(l.target_leverage, 5);
  EXPECT_TRUE(l.clamps.has(LevelClamp::kLeverageFloor));
  EXPECT_FALSE(l.clamps.has(LevelClamp::kLeverageCap));
  EXPECT_FALSE(l.clamps.has(LevelClamp::kLiquidationGuard));

  in.volatility_factor = 1.0;  // zero leverage from the formula
  EXPECT_EQ(ok_levels(in).target_leverage, 5);
}

TEST(AdaptiveLevels, ClampsAtEightyAndReportsTheCap) {
  AdaptiveLevelsInput in = near_long();
  in.confidence = 0.9;
  in.volatility_factor = 0.01;
  in.regime = Regime::kTrending;  // 80 × 0.99 × 1.2 = 95.04
  const AdaptiveLevels l = ok_levels(in);
  EXPECT_EQ(l.target_leverage, 80);
  EXPECT_TRUE(l.clamps.has(LevelClamp::kLeverageCap));
  EXPECT_FALSE(l.clamps.has(LevelClamp::kLeverageFloor));

  in.regime = Regime::kUnknown;
  in.volatility_factor = 0.0;  // exactly 80: at the cap, not over it
  const AdaptiveLevels at_cap = ok_levels(in);
  EXPECT_EQ(at_cap.target_leverage, 80);
  EXPECT_FALSE(at_cap.clamps.has(LevelClamp::kLeverageCap));
}

// --- TP / SL ------------------------------------------------------------------------

TEST(AdaptiveLevels, ShortIsTheMirrorOfLong) {
  AdaptiveLevelsInput in = near_long();
  in.funding_rate = 0.01;
  in.exchange_divergence = 0.05;
  const AdaptiveLevels lg = ok_levels(in);
  in.side = Side::kShort;
  const AdaptiveLevels sh = ok_levels(in);
  EXPECT_EQ(sh.target_leverage, lg.target_leverage);
  EXPECT_DOUBLE_EQ(sh.tp_distance, lg.tp_distance);
  EXPECT_DOUBLE_EQ(sh.sl_distance, lg.sl_distance);
  EXPECT_LT(sh.dynamic_tp, in.entry_price);
  EXPECT_GT(sh.dynamic_sl, in.entry_price);
  EXPECT_NEAR(in.entry_price - sh.dynamic_tp, lg.dynamic_tp - in.entry_price, 1e-12);
  EXPECT_NEAR(sh.dynamic_sl - in.entry_price, in.entry_price - lg.dynamic_sl, 1e-12);
  EXPECT_NEAR(sh.dynamic_tp, 1.465 * (1 - 0.065 * 1.008), 1e-12);
  EXPECT_NEAR(sh.dynamic_sl, 1.465 * (1 + 0.02 * kNearVf * 1.02), 1e-12);
  EXPECT_NEAR(sh.liquidation_price, 1.465 * (27.0 / 26.0) / 1.004, 1e-12);
}

TEST(AdaptiveLevels, FundingScalesTpDistance) {
  AdaptiveLevelsInput in = near_long();
  in.funding_rate = 0.015;
  AdaptiveLevels l = ok_levels(in);
  EXPECT_NEAR(l.tp_distance, 0.065 * 1.012, 1e-15);
  EXPECT_NEAR(l.dynamic_tp, 1.465 * (1 + 0.065 * 1.012), 1e-12);
  EXPECT_NEAR(l.sl_distance, 0.02 * kNearVf, 1e-15);  // sl untouched by funding

  in.funding_rate = -0.5;  // tp distance × 0.6
  l = ok_levels(in);
  EXPECT_NEAR(l.tp_distance, 0.065 * 0.6, 1e-15);
}

TEST(AdaptiveLevels, DivergenceScalesSlDistanceAsAMagnitude) {
  AdaptiveLevelsInput in = near_long();
  in.exchange_divergence = 0.05;
  const double widened = ok_levels(in).sl_distance;
  EXPECT_NEAR(widened, 0.02 * kNearVf * 1.02, 1e-15);
  in.exchange_divergence = -0.05;
  EXPECT_DOUBLE_EQ(ok_levels(in).sl_distance, widened);
  EXPECT_NEAR(ok_levels(in).tp_distance, 0.065, 1e-15);  // tp untouched by divergence
  EXPECT_FALSE(ok_levels(in).clamps.has(LevelClamp::kDivergenceCap));
}

TEST(AdaptiveLevels, DivergenceIsCappedAtOne) {
  AdaptiveLevelsInput in = near_long();
  in.exchange_divergence = 1.0;
  const AdaptiveLevels at_one = ok_levels(in);
  EXPECT_FALSE(at_one.clamps.has(LevelClamp::kDivergenceCap));
  in.exchange_divergence = -7.5;
  const AdaptiveLevels capped = ok_levels(in);
  EXPECT_TRUE(capped.clamps.has(LevelClamp::kDivergenceCap));
  EXPECT_DOUBLE_EQ(capped.sl_distance, at_one.sl_distance);
  EXPECT_NEAR(capped.sl_distance, 0.02 * kNearVf * 1.4, 1e-15);
}

TEST(AdaptiveLevels, SlMinimumDistanceIsPointFifteenPercent) {
  AdaptiveLevelsInput in = near_long();
  in.volatility_factor = 0.05;  // 0.02 × 0.05 = 0.1 %
  AdaptiveLevels l = ok_levels(in);
  EXPECT_TRUE(l.clamps.has(LevelClamp::kSlMinDistance));
  EXPECT_DOUBLE_EQ(l.sl_distance, 0.0015);
  EXPECT_NEAR(l.dynamic_sl, 1.465 * (1 - 0.0015), 1e-12);

  in.side = Side::kShort;
  l = ok_levels(in);
  EXPECT_NEAR(l.dynamic_sl, 1.465 * (1 + 0.0015), 1e-12);

  in.volatility_factor = 0.075;  // exactly 0.15 %: no clamp
  EXPECT_FALSE(ok_levels(in).clamps.has(LevelClamp::kSlMinDistance));
}

TEST(AdaptiveLevels, TpMinimumDistanceIsPointThreePercent) {
  AdaptiveLevelsInput in = near_long();
  in.confidence = 0.5;
  in.volatility_factor = 0.8;  // 20 × 0.2 = 4 → floor 5: tp 1.25 %
  in.funding_rate = -1.0;      // × 0.2 → 0.25 %
  AdaptiveLevels l = ok_levels(in);
  EXPECT_TRUE(l.clamps.has(LevelClamp::kTpMinDistance));
  EXPECT_DOUBLE_EQ(l.tp_distance, 0.003);
  EXPECT_NEAR(l.dynamic_tp, 1.465 * 1.003, 1e-12);
  in.funding_rate = 0.0;
  EXPECT_FALSE(ok_levels(in).clamps.has(LevelClamp::kTpMinDistance));
}

// --- liquidation guard ----------------------------------------------------------

TEST(AdaptiveLevels, LiquidationPriceMatchesBinanceWorkedCheck) {
  // binance-api.md §7.3: 0.1 BTC at 60 000, 10x isolated, MMR 0.004.
  EXPECT_NEAR(isolated_liquidation_price(Side::kLong, 60000, 10, 0.004), 54216.87, 0.005);
  EXPECT_NEAR(isolated_liquidation_price(Side::kShort, 60000, 10, 0.004), 65737.05, 0.005);
  // With cum 50 on a 6 000 notional: LP = (Q·EP ∓ WB ∓ cum) / (Q·(1 ∓ MMR)), Q = 0.1.
  EXPECT_NEAR(isolated_liquidation_price(Side::kLong, 60000, 10, 0.004, 50, 6000),
              (6000.0 - 600 - 50) / (0.1 * 0.996), 1e-6);
  EXPECT_NEAR(isolated_liquidation_price(Side::kShort, 60000, 10, 0.004, 50, 6000),
              (6000.0 + 600 + 50) / (0.1 * 1.004), 1e-6);
  // Without a notional cum is ignored (the safe side: LP closer to entry).
  EXPECT_DOUBLE_EQ(isolated_liquidation_price(Side::kLong, 60000, 10, 0.004, 50, 0),
                   isolated_liquidation_price(Side::kLong, 60000, 10, 0.004));
  EXPECT_DOUBLE_EQ(isolated_liquidation_price(Side::kLong, 60000, 1, 0.004), 0.0);
}

TEST(AdaptiveLevels, GuardLowersLeverageUntilTheStopIsInside) {
  AdaptiveLevelsInput in = near_long();
  in.stop_loss = 1.40;  // 4.4 % below entry: too far for 26x
  const AdaptiveLevels l = ok_levels(in);
  EXPECT_EQ(l.formula_leverage, 26);
  EXPECT_EQ(l.target_leverage, 18);
  EXPECT_TRUE(l.clamps.has(LevelClamp::kLiquidationGuard));
  EXPECT_DOUBLE_EQ(l.guarded_stop, 1.40);
  const double lp18 = 1.465 * (17.0 / 18.0) / 0.996;
  const double lp19 = 1.465 * (18.0 / 19.0) / 0.996;
  EXPECT_NEAR(l.liquidation_price, lp18, 1e-12);
  EXPECT_GE(1.40, lp18 * 1.005);
  EXPECT_LT(1.40, lp19 * 1.005);  // one step higher would not be safe
  // TP follows the final leverage, SL is unaffected.
  EXPECT_NEAR(l.dynamic_tp, 1.465 * (1 + 0.05 * 18 / 20), 1e-12);
  EXPECT_NEAR(l.dynamic_sl, 1.465 * (1 - 0.02 * kNearVf), 1e-12);
}

TEST(AdaptiveLevels, GuardStopsAtTheFloorWhenThatIsEnough) {
  AdaptiveLevelsInput in = near_long();
  in.stop_loss = 1.2;
  const AdaptiveLevels l = ok_levels(in);
  EXPECT_EQ(l.target_leverage, 5);
  EXPECT_TRUE(l.clamps.has(LevelClamp::kLiquidationGuard));
  EXPECT_FALSE(l.clamps.has(LevelClamp::kLeverageFloor));
}

TEST(AdaptiveLevels, GuardWinsOverTheFiveXFloor) {
  AdaptiveLevelsInput in = near_long();
  in.stop_loss = 1.1;
  const AdaptiveLevels l = ok_levels(in);
  EXPECT_EQ(l.target_leverage, 3);
  EXPECT_TRUE(l.clamps.has(LevelClamp::kLiquidationGuard));
  EXPECT_NEAR(l.dynamic_tp, 1.465 * (1 + 0.05 * 3 / 20), 1e-12);
  EXPECT_NEAR(l.liquidation_price, 1.465 * (2.0 / 3.0) / 0.996, 1e-12);

  // A formula floor followed by the guard reports both.
  in.confidence = 0.5;
  in.volatility_factor = 0.9;
  const AdaptiveLevels both = ok_levels(in);
  EXPECT_EQ(both.formula_leverage, 5);
  EXPECT_EQ(both.target_leverage, 3);
  EXPECT_TRUE(both.clamps.has(LevelClamp::kLeverageFloor));
  EXPECT_TRUE(both.clamps.has(LevelClamp::kLiquidationGuard));
}

TEST(AdaptiveLevels, GuardForShortMirrorsLong) {
  AdaptiveLevelsInput in;
  in.entry_price = 100;
  in.confidence = 0.9;
  in.volatility_factor = 0.0;
  in.side = Side::kShort;
  in.stop_loss = 101.5;
  AdaptiveLevels l = ok_levels(in);
  EXPECT_EQ(l.formula_leverage, 80);
  EXPECT_EQ(l.target_leverage, 41);
  EXPECT_TRUE(l.clamps.has(LevelClamp::kLiquidationGuard));
  EXPECT_NEAR(l.liquidation_price, 100 * (42.0 / 41.0) / 1.004, 1e-9);
  EXPECT_LE(101.5, l.liquidation_price * 0.995);
  EXPECT_NEAR(l.dynamic_tp, 100 * (1 - 0.05 * 41 / 20), 1e-9);

  in.side = Side::kLong;
  in.stop_loss = 98.5;
  l = ok_levels(in);
  EXPECT_EQ(l.target_leverage, 41);
  EXPECT_NEAR(l.liquidation_price, 100 * (40.0 / 41.0) / 0.996, 1e-9);
}

TEST(AdaptiveLevels, GuardChecksDynamicSlWhenNoStopIsGiven) {
  // Tight dynamic stops pass at full leverage; nothing is clamped.
  AdaptiveLevelsInput in;
  in.entry_price = 100;
  in.confidence = 0.9;
  in.volatility_factor = 0.0;
  const AdaptiveLevels l = ok_levels(in);
  EXPECT_EQ(l.target_leverage, 80);
  EXPECT_FALSE(l.clamps.has(LevelClamp::kLiquidationGuard));
  EXPECT_DOUBLE_EQ(l.guarded_stop, l.dynamic_sl);

  // A bigger buffer makes the same dynamic stop unsafe at 80x.
  in.liquidation_buffer = 0.01;
  const AdaptiveLevels wide = ok_levels(in);
  EXPECT_LT(wide.target_leverage, 80);
  EXPECT_TRUE(wide.clamps.has(LevelClamp::kLiquidationGuard));
  EXPECT_GE(wide.dynamic_sl, wide.liquidation_price * 1.01);
}

TEST(AdaptiveLevels, CumOnlyCountsWithANotional) {
  AdaptiveLevelsInput in = near_long();
  in.stop_loss = 1.40;
  in.maint_amount = 5.0;
  EXPECT_EQ(ok_levels(in).target_leverage, 18);  // no notional: cum ignored
  in.notional = 200.0;  // cum moves LP away from entry, so more leverage is safe
  EXPECT_GT(ok_levels(in).target_leverage, 18);
}

TEST(AdaptiveLevels, StopBeyondLiquidationAtOneXIsAnError) {
  AdaptiveLevelsInput in;
  in.side = Side::kShort;
  in.entry_price = 100;
  in.confidence = 0.9;
  in.volatility_factor = 0.2;
  in.stop_loss = 199;  // LP at 1x = 199.2; with the 0.5 % buffer the stop must be ≤ 198.2
  const AdaptiveLevelsResult r = compute_adaptive_levels(in);
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.error_field, "stop_loss");
  in.stop_loss = 198;
  EXPECT_EQ(ok_levels(in).target_leverage, 1);
}

// --- leverage brackets ------------------------------------------------------------

// BTCUSDT's first brackets (0–50k 125x, 50k–600k 100x, 600k–3M 75x), cum per §7.2.
const LeverageBracket kBtc[] = {{0, 50'000, 0.004, 0, 125},
                                {50'000, 600'000, 0.005, 50, 100},
                                {600'000, 3'000'000, 0.0065, 950, 75}};
// An altcoin: lower leverage, higher MMR; cum_n = floor_n × (MMR_n − MMR_n−1) + cum_n−1.
const LeverageBracket kAlt[] = {{0, 5'000, 0.025, 0, 20},
                                {5'000, 25'000, 0.05, 125, 10},
                                {25'000, 100'000, 0.1, 1'375, 5},
                                {100'000, 250'000, 0.125, 3'875, 2},
                                {250'000, 1'000'000, 0.25, 35'125, 1}};

// Isolated margin balance minus maintenance margin at price p (zero at the LP), §7.2.
double margin_left(Side side, double entry, int leverage, double notional, double p,
                   const LeverageBracket& b) {
  const double q = notional / entry;
  return notional / leverage + side_sign(side) * q * (p - entry) -
         (q * p * b.maint_margin_ratio - b.cum);
}

TEST(AdaptiveLevels, BracketLiquidationMatchesTheWorkedCheck) {
  // binance-api.md §7.3: 0.1 BTC at 60 000 (notional 6 000, bracket 1), 10x, WB 600.
  const BracketLiquidation l = bracket_liquidation_price(Side::kLong, 60'000, 10, 6'000, kBtc);
  EXPECT_NEAR(l.price, 54'216.87, 0.005);
  EXPECT_EQ(l.bracket, 0);
  const BracketLiquidation s = bracket_liquidation_price(Side::kShort, 60'000, 10, 6'000, kBtc);
  EXPECT_NEAR(s.price, 65'737.05, 0.005);
  EXPECT_EQ(s.bracket, 0);
  // At that price the margin balance is the maintenance margin: 21.687.
  EXPECT_NEAR(0.1 * l.price * 0.004, 21.687, 0.0005);
  EXPECT_NEAR(margin_left(Side::kLong, 60'000, 10, 6'000, l.price, kBtc[0]), 0, 1e-9);
}

TEST(AdaptiveLevels, BracketLiquidationUsesTheCumOfAHigherBracket) {
  // 1 000 000 notional at 20x, entry 60 000: bracket 3 (MMR 0.65 %, cum 950) at entry and
  // at the LP (Q·LP ≈ 955 000).
  const double q = 1'000'000.0 / 60'000;
  for (Side side : {Side::kLong, Side::kShort}) {
    const BracketLiquidation l = bracket_liquidation_price(side, 60'000, 20, 1'000'000, kBtc);
    EXPECT_EQ(l.bracket, 2);
    const double sign = side_sign(side);
    EXPECT_NEAR(l.price, (1'000'000.0 - sign * (50'000 + 950)) / (q * (1 - sign * 0.0065)), 1e-6);
    EXPECT_NEAR(margin_left(side, 60'000, 20, 1'000'000, l.price, kBtc[2]), 0, 1e-6);
    // Without cum the LP would sit nearer entry: cum is maintenance margin given back.
    const double no_cum = isolated_liquidation_price(side, 60'000, 20, 0.0065);
    EXPECT_GT(sign * (no_cum - l.price), 3.0);
  }
  // The long LP with cum: (1e6 − 50 000 − 950) / (16.667 × 0.9935) = 57 315.55.
  EXPECT_NEAR(bracket_liquidation_price(Side::kLong, 60'000, 20, 1'000'000, kBtc).price, 57'315.55,
              0.005);
}

TEST(AdaptiveLevels, BracketLiquidationIsRedoneWithTheBracketAtTheLiquidationPrice) {
  // Long 1 BTC at 52 000 (bracket 2 at entry), 10x: with bracket 2 LP = 46 984.92, a
  // notional of 46 985: bracket 1. Redone with bracket 1: 46 987.95, which stays there.
  const BracketLiquidation l = bracket_liquidation_price(Side::kLong, 52'000, 10, 52'000, kBtc);
  EXPECT_EQ(l.bracket, 0);
  EXPECT_NEAR(l.price, (52'000.0 - 5'200) / 0.996, 1e-6);
  EXPECT_NEAR(margin_left(Side::kLong, 52'000, 10, 52'000, l.price, kBtc[0]), 0, 1e-6);
  // Short 1 BTC at 48 000 (bracket 1 at entry), 10x: bracket 1 gives 52 589.64, a notional
  // in bracket 2; redone with MMR 0.5 % and cum 50: 52 587.06.
  const BracketLiquidation s = bracket_liquidation_price(Side::kShort, 48'000, 10, 48'000, kBtc);
  EXPECT_EQ(s.bracket, 1);
  EXPECT_NEAR(s.price, (48'000.0 + 4'800 + 50) / 1.005, 1e-6);
  EXPECT_NEAR(margin_left(Side::kShort, 48'000, 10, 48'000, s.price, kBtc[1]), 0, 1e-6);
}

TEST(AdaptiveLevels, GuardUsesTheBracketOfTheNotional) {
  AdaptiveLevelsInput in;
  in.entry_price = 60'000;
  in.confidence = 0.9;
  in.volatility_factor = 0.2;  // 80 × 0.8 = 64x
  in.stop_loss = 59'500;
  in.notional = 1'000'000;  // bracket 3: at most 75x, MMR 0.65 %, cum 950
  in.brackets = kBtc;
  const AdaptiveLevels l = ok_levels(in);
  EXPECT_EQ(l.target_leverage, 53);
  EXPECT_TRUE(l.clamps.has(LevelClamp::kLiquidationGuard));
  EXPECT_EQ(l.bracket, 2);
  EXPECT_DOUBLE_EQ(l.maint_margin_rate, 0.0065);
  EXPECT_DOUBLE_EQ(l.notional, 1'000'000);
  EXPECT_DOUBLE_EQ(
      l.liquidation_price,
      bracket_liquidation_price(Side::kLong, 60'000, l.target_leverage, 1e6, kBtc).price);
  EXPECT_GE(l.guarded_stop, l.liquidation_price * 1.005);
  EXPECT_FALSE(l.clamps.has(LevelClamp::kBracketLeverageCap));

  // The fallback MMR (0.4 %) would have allowed more leverage than bracket 3's 0.65 %.
  AdaptiveLevelsInput fallback = in;
  fallback.brackets = {};
  const AdaptiveLevels f = ok_levels(fallback);
  EXPECT_EQ(f.bracket, -1);
  EXPECT_DOUBLE_EQ(f.maint_margin_rate, 0.004);
  EXPECT_EQ(f.target_leverage, 58);
}

TEST(AdaptiveLevels, CumDecidesTheLeverageTheGuardAllows) {
  // One bracket, MMR 2 %, with or without a maintenance amount: cum gives margin back,
  // the LP moves away from entry and a higher leverage keeps the same stop inside it.
  const LeverageBracket no_cum[] = {{0, 1'000'000, 0.02, 0, 125}};
  const LeverageBracket cum[] = {{0, 1'000'000, 0.02, 4'000, 125}};
  AdaptiveLevelsInput in;
  in.entry_price = 100;
  in.confidence = 0.9;
  in.volatility_factor = 0.0;
  in.stop_loss = 97;
  in.notional = 200'000;
  in.brackets = no_cum;
  const AdaptiveLevels a = ok_levels(in);
  in.brackets = cum;
  const AdaptiveLevels b = ok_levels(in);
  EXPECT_TRUE(a.clamps.has(LevelClamp::kLiquidationGuard));
  EXPECT_EQ(a.target_leverage, 18);
  EXPECT_EQ(b.target_leverage, 29);
  EXPECT_GE(97, b.liquidation_price * 1.005);
  EXPECT_GE(97, a.liquidation_price * 1.005);
}

TEST(AdaptiveLevels, LeverageNeverExceedsTheBracketMaximum) {
  // A fixed notional of 30 000 on the altcoin: bracket 3, at most 5x.
  AdaptiveLevelsInput in;
  in.entry_price = 100;
  in.confidence = 0.9;
  in.volatility_factor = 0.0;  // formula 80x
  in.notional = 30'000;
  in.brackets = kAlt;
  const AdaptiveLevels l = ok_levels(in);
  EXPECT_EQ(l.formula_leverage, 80);
  EXPECT_EQ(l.target_leverage, 5);
  EXPECT_TRUE(l.clamps.has(LevelClamp::kBracketLeverageCap));
  EXPECT_FALSE(l.clamps.has(LevelClamp::kLiquidationGuard));
  EXPECT_EQ(l.bracket, 2);
  EXPECT_NEAR(l.dynamic_tp, 100 * (1 + 0.05 * 5 / 20), 1e-9);  // from the capped leverage

  // Even below the 5x floor: 300 000 is in the 1x bracket.
  in.notional = 300'000;
  const AdaptiveLevels one = ok_levels(in);
  EXPECT_EQ(one.target_leverage, 1);
  EXPECT_TRUE(one.clamps.has(LevelClamp::kBracketLeverageCap));

  // Above the last bracket no leverage opens it.
  in.notional = 2'000'000;
  const AdaptiveLevelsResult r = compute_adaptive_levels(in);
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.error_field, "notional");

  // Within the formula's leverage nothing is cut.
  in.notional = 1'000;
  in.confidence = 0.5;  // 20x, bracket 1 allows 20x
  const AdaptiveLevels within = ok_levels(in);
  EXPECT_EQ(within.target_leverage, 20);
  EXPECT_FALSE(within.clamps.has(LevelClamp::kBracketLeverageCap));
}

TEST(AdaptiveLevels, MarginSizedLeverageTakesTheHighestBracketThatFits) {
  // 1 000 of margin: at 80x 80 000 (bracket 3, 5x max), ..., at 10x 10 000 (bracket 2,
  // 10x max): the first leverage its own bracket allows.
  AdaptiveLevelsInput in;
  in.entry_price = 100;
  in.confidence = 0.9;
  in.volatility_factor = 0.0;
  in.margin = 1'000;
  in.brackets = kAlt;
  const AdaptiveLevels l = ok_levels(in);
  EXPECT_EQ(l.target_leverage, 10);
  EXPECT_DOUBLE_EQ(l.notional, 10'000);
  EXPECT_EQ(l.bracket, 1);
  EXPECT_TRUE(l.clamps.has(LevelClamp::kBracketLeverageCap));

  // Above the last bracket even at 1x.
  in.margin = 2'000'000;
  EXPECT_EQ(error_field(in), "notional");
}

TEST(AdaptiveLevels, BracketCapAndGuardMirrorLongAndShort) {
  // The same margin-sized intent as a BUY and a SELL: the same bracket, the same capped
  // leverage, mirrored TP/SL, and each side's LP from its own formula (1 ∓ MMR: not a
  // reflection of each other, as on the exchange).
  AdaptiveLevelsInput in;
  in.entry_price = 100;
  in.confidence = 0.9;
  in.volatility_factor = 0.3;
  in.margin = 1'000;
  in.brackets = kAlt;
  in.side = Side::kLong;
  const AdaptiveLevels l = ok_levels(in);
  in.side = Side::kShort;
  const AdaptiveLevels s = ok_levels(in);
  EXPECT_EQ(l.target_leverage, 10);
  EXPECT_EQ(s.target_leverage, l.target_leverage);
  EXPECT_EQ(s.clamps.bits, l.clamps.bits);
  EXPECT_TRUE(l.clamps.has(LevelClamp::kBracketLeverageCap));
  EXPECT_EQ(s.bracket, l.bracket);
  EXPECT_DOUBLE_EQ(s.notional, l.notional);
  EXPECT_NEAR(s.dynamic_tp - 100, 100 - l.dynamic_tp, 1e-9);
  EXPECT_NEAR(s.dynamic_sl - 100, 100 - l.dynamic_sl, 1e-9);
  // Q = 100, WB = 1 000, bracket 2: MMR 5 %, cum 125.
  EXPECT_NEAR(l.liquidation_price, (10'000.0 - 1'000 - 125) / (100 * 0.95), 1e-9);
  EXPECT_NEAR(s.liquidation_price, (10'000.0 + 1'000 + 125) / (100 * 1.05), 1e-9);
  EXPECT_LT(l.liquidation_price, l.dynamic_sl);
  EXPECT_GT(s.liquidation_price, s.dynamic_sl);

  // A stop 6 % away is inside the long's LP at 10x (93.42 × 1.005 = 93.89 < 94), outside
  // the short's (105.95 × 0.995 = 105.42 < 106): only the short is lowered by the guard.
  in.side = Side::kLong;
  in.stop_loss = 94;
  const AdaptiveLevels gl = ok_levels(in);
  in.side = Side::kShort;
  in.stop_loss = 106;
  const AdaptiveLevels gs = ok_levels(in);
  EXPECT_EQ(gl.target_leverage, 10);
  EXPECT_FALSE(gl.clamps.has(LevelClamp::kLiquidationGuard));
  EXPECT_LT(gs.target_leverage, 10);
  EXPECT_TRUE(gs.clamps.has(LevelClamp::kLiquidationGuard));
  EXPECT_LE(106, gs.liquidation_price * 0.995);
}

// --- validation -----------------------------------------------------------------

TEST(AdaptiveLevels, ValidationNamesTheField) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  AdaptiveLevelsInput in = near_long();
  EXPECT_EQ(error_field(in), "<ok>");

  auto with = [&](auto mutate) {
    AdaptiveLevelsInput x = near_long();
    mutate(x);
    return error_field(x);
  };
  EXPECT_EQ(with([](auto& x) { x.entry_price = 0; }), "entry_price");
  EXPECT_EQ(with([](auto& x) { x.entry_price = -1; }), "entry_price");
  EXPECT_EQ(with([&](auto& x) { x.entry_price = kInf; }), "entry_price");
  EXPECT_EQ(with([&](auto& x) { x.entry_price = kNaN; }), "entry_price");
  EXPECT_EQ(with([](auto& x) { x.confidence = 1.5; }), "confidence");
  EXPECT_EQ(with([](auto& x) { x.confidence = -0.01; }), "confidence");
  EXPECT_EQ(with([&](auto& x) { x.confidence = kNaN; }), "confidence");
  EXPECT_EQ(with([](auto& x) { x.volatility_factor = 1.01; }), "volatility_factor");
  EXPECT_EQ(with([&](auto& x) { x.volatility_factor = kNaN; }), "volatility_factor");
  EXPECT_EQ(with([](auto& x) { x.funding_rate = 1.5; }), "funding_rate");
  EXPECT_EQ(with([&](auto& x) { x.funding_rate = kNaN; }), "funding_rate");
  EXPECT_EQ(with([&](auto& x) { x.exchange_divergence = kInf; }), "exchange_divergence");
  EXPECT_EQ(with([](auto& x) { x.maint_margin_rate = 1.0; }), "maint_margin_rate");
  EXPECT_EQ(with([](auto& x) { x.maint_margin_rate = -0.1; }), "maint_margin_rate");
  EXPECT_EQ(with([](auto& x) { x.maint_amount = -1; }), "maint_amount");
  EXPECT_EQ(with([&](auto& x) { x.notional = kNaN; }), "notional");
  EXPECT_EQ(with([](auto& x) { x.margin = -1; }), "margin");
  EXPECT_EQ(with([](auto& x) {
              x.margin = 10;
              x.notional = 100;
            }),
            "margin");
  const LeverageBracket bad[] = {{0, 5'000, 0.025, 0, 0}};  // max leverage 0
  EXPECT_EQ(with([&](auto& x) { x.brackets = bad; }), "brackets");
  EXPECT_EQ(with([](auto& x) { x.liquidation_buffer = 1.0; }), "liquidation_buffer");
  EXPECT_EQ(with([](auto& x) { x.stop_loss = -1; }), "stop_loss");
  EXPECT_EQ(with([](auto& x) { x.stop_loss = 1.5; }), "stop_loss");  // above a long's entry
  EXPECT_EQ(with([](auto& x) {
              x.side = Side::kShort;
              x.stop_loss = 1.4;
            }),
            "stop_loss");

  const AdaptiveLevelsResult r = compute_adaptive_levels([] {
    AdaptiveLevelsInput x = near_long();
    x.confidence = 1.5;
    return x;
  }());
  EXPECT_STREQ(r.error_reason, "must be in [0,1]");
}

TEST(AdaptiveLevels, ClampNames) {
  EXPECT_EQ(to_string(LevelClamp::kLeverageFloor), "leverage_floor");
  EXPECT_EQ(to_string(LevelClamp::kLeverageCap), "leverage_cap");
  EXPECT_EQ(to_string(LevelClamp::kLiquidationGuard), "liquidation_guard");
  EXPECT_EQ(to_string(LevelClamp::kTpMinDistance), "tp_min_distance");
  EXPECT_EQ(to_string(LevelClamp::kSlMinDistance), "sl_min_distance");
  EXPECT_EQ(to_string(LevelClamp::kDivergenceCap), "divergence_cap");
  EXPECT_EQ(to_string(LevelClamp::kBracketLeverageCap), "bracket_leverage_cap");
  LevelClamps set;
  for (LevelClamp c : kAllLevelClamps) set.set(c);
  for (LevelClamp c : kAllLevelClamps) EXPECT_TRUE(set.has(c));
  EXPECT_EQ(set.bits, 0x7F);
}

}  // namespace
}  // namespace exitbrain
