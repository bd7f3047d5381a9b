// What exitbrain does with one valid intent: levels, age, live cross-exchange inputs,
// sizing and the per-order limit (strategies/intent_policy.hpp). Pure, no Redis.
#include <gtest/gtest.h>

#include "strategies/intent_policy.hpp"

namespace exitbrain {
namespace {

constexpr TimeMs kNow = 1'771'000'000'000;

TradeIntent near_buy() {
  TradeIntent t;
  t.symbol = 0;
  t.side = Side::kLong;
  t.confidence = 0.72;
  t.entry_price = 1.465;
  t.stop_loss = 1.4357;
  t.take_profit = 1.4943;
  t.position_size_usd = 200;
  t.leverage = 1;
  t.volatility_factor = 0.5513439007580968;
  t.timestamp_ms = kNow - 1'000;
  return t;
}

SymbolFilters near_filters() {
  SymbolFilters f;
  f.step_size = Decimal::from_int(1);
  f.min_qty = Decimal::from_int(1);
  f.min_notional = Decimal::from_int(5);
  return f;
}

IntentPolicy execute_policy() {
  IntentPolicy p;
  p.entries = EntryMode::kExecute;
  p.max_order_notional_usd = 10'000;
  return p;
}

const cross_exchange::Adjustments kLocal{};  // local mode: the intent's own inputs

TEST(IntentPolicy, SeedIntentExecutesAt26xWithMarginSizing) {
  const IntentVerdict v =
      evaluate_intent(near_buy(), kNow - 900, kNow, kLocal, near_filters(), execute_policy());
  ASSERT_EQ(v.status, IntentStatus::kExecute) << v.reason;
  EXPECT_EQ(v.levels.target_leverage, 26);
  EXPECT_DOUBLE_EQ(v.notional, 200.0 * 26);
  EXPECT_EQ(to_string(v.qty), "3549");  // 5200 / 1.465 = 3549.49, floored to the step
  EXPECT_EQ(v.age_ms, 1'000);           // the older of the two stamps
  EXPECT_FALSE(v.live_cross_exchange);
  EXPECT_DOUBLE_EQ(v.levels.guarded_stop, 1.4357);
}

TEST(IntentPolicy, NotionalBasisTakesTheSizeAsIs) {
  IntentPolicy p = execute_policy();
  p.size_basis = SizeBasis::kNotional;
  const IntentVerdict v = evaluate_intent(near_buy(), kNow, kNow, kLocal, near_filters(), p);
  ASSERT_EQ(v.status, IntentStatus::kExecute);
  EXPECT_DOUBLE_EQ(v.notional, 200.0);
  EXPECT_EQ(to_string(v.qty), "136");  // 200 / 1.465 = 136.5
}

TEST(IntentPolicy, ObserveModeNeverExecutes) {
  IntentPolicy p = execute_policy();
  p.entries = EntryMode::kObserve;
  const IntentVerdict v = evaluate_intent(near_buy(), kNow, kNow, kLocal, near_filters(), p);
  EXPECT_EQ(v.status, IntentStatus::kObserve);
  EXPECT_EQ(v.levels.target_leverage, 26);
}

TEST(IntentPolicy, AgeCountsFromTheOlderStampSoNeitherClockCanMakeAnIntentFresh) {
  IntentPolicy p = execute_policy();
  p.max_age_ms = 30'000;
  TradeIntent t = near_buy();
  t.timestamp_ms = kNow - 30'001;
  EXPECT_EQ(evaluate_intent(t, kNow, kNow, kLocal, near_filters(), p).status,
            IntentStatus::kExpired);
  t.timestamp_ms = kNow;  // a producer clock that says "now", on an entry stored long ago
  const IntentVerdict v = evaluate_intent(t, kNow - 30'001, kNow, kLocal, near_filters(), p);
  EXPECT_EQ(v.status, IntentStatus::kExpired);
  EXPECT_EQ(v.levels.target_leverage, 26) << "expired intents still get their levels";
  t.timestamp_ms = kNow - 30'000;  // exactly the limit is still fresh
  EXPECT_EQ(evaluate_intent(t, kNow, kNow, kLocal, near_filters(), p).status,
            IntentStatus::kExecute);
}

TEST(IntentPolicy, LimitsAndExchangeMinimumsRefuse) {
  IntentPolicy p = execute_policy();
  p.max_order_notional_usd = 5'199;
  IntentVerdict v = evaluate_intent(near_buy(), kNow, kNow, kLocal, near_filters(), p);
  EXPECT_EQ(v.status, IntentStatus::kRefused);
  EXPECT_STREQ(v.reason, "notional above max_order_notional_usd");
  p.max_order_notional_usd = 5'200;
  EXPECT_EQ(evaluate_intent(near_buy(), kNow, kNow, kLocal, near_filters(), p).status,
            IntentStatus::kExecute);

  TradeIntent tiny = near_buy();
  tiny.position_size_usd = 0.01;  // 0.26 USDT of notional: less than one NEAR
  v = evaluate_intent(tiny, kNow, kNow, kLocal, near_filters(), execute_policy());
  EXPECT_EQ(v.status, IntentStatus::kRefused);
  EXPECT_STREQ(v.reason, "quantity below the symbol's minimum");
  tiny.position_size_usd = 0.1;  // 2.6 USDT: one NEAR, below the 5 USDT minimum notional
  v = evaluate_intent(tiny, kNow, kNow, kLocal, near_filters(), execute_policy());
  EXPECT_EQ(v.status, IntentStatus::kRefused);
  EXPECT_STREQ(v.reason, "notional below the symbol's minimum");
}

TEST(IntentPolicy, LiveCrossExchangeInputsReplaceTheIntentsOwn) {
  cross_exchange::Adjustments live;
  live.local_mode = false;
  live.funding_delta = 0.01;
  live.exchange_divergence = 0.5;
  const IntentVerdict v =
      evaluate_intent(near_buy(), kNow, kNow, live, near_filters(), execute_policy());
  EXPECT_TRUE(v.live_cross_exchange);
  EXPECT_DOUBLE_EQ(v.input.funding_rate, 0.01);
  EXPECT_DOUBLE_EQ(v.input.exchange_divergence, 0.5);
  const IntentVerdict local =
      evaluate_intent(near_buy(), kNow, kNow, kLocal, near_filters(), execute_policy());
  // Positive funding widens the TP: tp_distance x (1 + 0.01 x 0.8).
  EXPECT_NEAR(v.levels.tp_distance, local.levels.tp_distance * 1.008, 1e-12);
}

TEST(IntentPolicy, ShortIsTheMirrorOfLong) {
  TradeIntent s = near_buy();
  s.side = Side::kShort;
  s.stop_loss = 1.465 + (1.465 - 1.4357);
  const IntentVerdict lv =
      evaluate_intent(near_buy(), kNow, kNow, kLocal, near_filters(), execute_policy());
  const IntentVerdict sv = evaluate_intent(s, kNow, kNow, kLocal, near_filters(), execute_policy());
  ASSERT_EQ(sv.status, IntentStatus::kExecute);
  EXPECT_EQ(sv.levels.target_leverage, lv.levels.target_leverage);
  EXPECT_EQ(sv.qty, lv.qty);
  EXPECT_NEAR(sv.levels.dynamic_tp - 1.465, 1.465 - lv.levels.dynamic_tp, 1e-12);
}

// An altcoin's brackets: 0–5k 20x, 5k–25k 10x, 25k–100k 5x.
const LeverageBracket kAlt[] = {
    {0, 5'000, 0.025, 0, 20}, {5'000, 25'000, 0.05, 125, 10}, {25'000, 100'000, 0.1, 1'375, 5}};

TEST(IntentPolicy, BracketsCapTheLeverageOfTheMarginSizedNotional) {
  // 200 of margin at the formula's 26x is 5 200 (a 10x bracket); at 20x it is 4 000, in
  // the 20x bracket: the entry goes at 20x, sized 4 000.
  const IntentVerdict v =
      evaluate_intent(near_buy(), kNow, kNow, kLocal, near_filters(), execute_policy(), kAlt);
  ASSERT_EQ(v.status, IntentStatus::kExecute) << v.reason;
  EXPECT_EQ(v.levels.formula_leverage, 26);
  EXPECT_EQ(v.levels.target_leverage, 20);
  EXPECT_TRUE(v.levels.clamps.has(LevelClamp::kBracketLeverageCap));
  EXPECT_DOUBLE_EQ(v.notional, 4'000);
  EXPECT_DOUBLE_EQ(v.levels.notional, 4'000);
  EXPECT_EQ(to_string(v.qty), "2730");  // 4000 / 1.465 = 2730.4
  EXPECT_EQ(v.levels.bracket, 0);
  EXPECT_DOUBLE_EQ(v.levels.maint_margin_rate, 0.025);
  EXPECT_NEAR(v.levels.liquidation_price, 1.465 * (1 - 1.0 / 20) / (1 - 0.025), 1e-12);

  // Without brackets: the configured maint_margin_rate, the formula's 26x, as before.
  const IntentVerdict f =
      evaluate_intent(near_buy(), kNow, kNow, kLocal, near_filters(), execute_policy());
  EXPECT_EQ(f.levels.target_leverage, 26);
  EXPECT_EQ(f.levels.bracket, -1);
  EXPECT_DOUBLE_EQ(f.levels.maint_margin_rate, 0.004);
}

TEST(IntentPolicy, BracketsOfANotionalSizedIntent) {
  IntentPolicy p = execute_policy();
  p.size_basis = SizeBasis::kNotional;
  p.max_order_notional_usd = 100'000;
  TradeIntent t = near_buy();
  t.position_size_usd = 30'000;  // the 5x bracket, whatever the leverage
  const IntentVerdict v = evaluate_intent(t, kNow, kNow, kLocal, near_filters(), p, kAlt);
  ASSERT_EQ(v.status, IntentStatus::kExecute) << v.reason;
  EXPECT_EQ(v.levels.target_leverage, 5);
  EXPECT_DOUBLE_EQ(v.notional, 30'000);
  EXPECT_EQ(v.levels.bracket, 2);

  t.position_size_usd = 200'000;  // above the last bracket: no leverage opens it
  const IntentVerdict over = evaluate_intent(t, kNow, kNow, kLocal, near_filters(), p, kAlt);
  EXPECT_EQ(over.status, IntentStatus::kInvalid);
  EXPECT_STREQ(over.error_field, "notional");
}

TEST(IntentPolicy, LevelsThatCannotBeComputedAreInvalidWithTheField) {
  TradeIntent t = near_buy();
  t.side = Side::kShort;
  t.stop_loss = 3.0;  // a short at 1x is liquidated near 2 x entry: no leverage is safe
  const IntentVerdict v = evaluate_intent(t, kNow, kNow, kLocal, near_filters(), execute_policy());
  EXPECT_EQ(v.status, IntentStatus::kInvalid);
  ASSERT_NE(v.error_field, nullptr);
  EXPECT_STREQ(v.error_field, "stop_loss");
}

}  // namespace
}  // namespace exitbrain
