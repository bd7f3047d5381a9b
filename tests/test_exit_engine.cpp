// The exit policy, one rule at a time (strategies/exit_engine.hpp has the semantics).
#include <gtest/gtest.h>

#include "strategies/exit_engine.hpp"
#include "tests/support/engine_harness.hpp"

namespace exitbrain {
namespace {

using testing::bare_profile;
using testing::dec;
using testing::EngineHarness;

std::string s(Decimal d) {
  return to_string(d);
}

TEST(ExitEngineLevels, LongLevelsFromAtrSitBelowAndAboveEntry) {
  EngineHarness h(Profile{});
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  EXPECT_TRUE(h.take().empty()) << "no levels before a price and an ATR";
  h.price("100", 1000, 1.0);
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].kind, DecisionKind::kLevels);
  EXPECT_FALSE(d[0].provisional);
  EXPECT_EQ(s(d[0].sl), "98.9");  // entry - 1.1 ATR
  ASSERT_EQ(d[0].tp_count, 3);
  EXPECT_EQ(s(d[0].tp[0]), "101.1");   // 1.0 R, R = 1.1
  EXPECT_EQ(s(d[0].tp[1]), "101.65");  // 1.5 R
  EXPECT_EQ(s(d[0].tp[2]), "102.75");  // 2.5 R
  EXPECT_DOUBLE_EQ(h.pos().r, 1.1);
}

TEST(ExitEngineCrossExchange, ActiveAdjustmentsScaleStopAndTargetsSeparately) {
  EngineHarness h(Profile{});
  LevelAdjustments a;
  a.active = true;
  a.atr_multiplier = 2.0;  // ATR unit 1.1 x 2 = 2.2
  a.sl_multiplier = 1.5;   // stop 3.3 away
  a.tp_multiplier = 0.5;   // TPs in R-multiples of 2.2 x 0.5 = 1.1
  h.engine().set_level_adjustments(a);
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  ASSERT_FALSE(h.add(Side::kShort, "10", "100", 0, nullptr, {}, true));
  h.price("100", 1000, 1.0);
  h.price("100", 1000, 1.0, TriggerSource::kMark, true);
  auto d = h.take();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(s(d[0].sl), "96.7");
  EXPECT_EQ(s(d[0].tp[0]), "101.1");
  EXPECT_EQ(s(d[0].tp[2]), "102.75");
  EXPECT_EQ(s(d[1].sl), "103.3") << "the SHORT mirrors the LONG";
  EXPECT_EQ(s(d[1].tp[0]), "98.9");
  EXPECT_EQ(s(d[1].tp[2]), "97.25");
}

TEST(ExitEngineCrossExchange, FloorsKeepLevelsAwayFromEntry) {
  EngineHarness h(Profile{});
  LevelAdjustments a;
  a.active = true;
  h.engine().set_level_adjustments(a);
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 1000, 0.01);  // 1.1 x 0.01 = 0.011: far inside both floors
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(s(d[0].sl), "99.85");     // 0.15 % of entry
  EXPECT_EQ(s(d[0].tp[0]), "100.3");  // 0.3 % of entry for the first leg
}

TEST(ExitEngineCrossExchange, InactiveAdjustmentsChangeNothing) {
  EngineHarness plain(Profile{});
  EngineHarness local(Profile{});
  LevelAdjustments a;  // local mode: multipliers are ignored even if set
  a.atr_multiplier = 3.0;
  a.use_trailing = false;
  local.engine().set_level_adjustments(a);
  for (EngineHarness* h : {&plain, &local}) {
    ASSERT_FALSE(h->add(Side::kLong, "10", "100"));
    h->price("100", 1000, 1.0);
    h->price("100.6", 2000, 1.0);
  }
  const auto x = plain.take();
  const auto y = local.take();
  ASSERT_EQ(x.size(), y.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(x[i].kind, y[i].kind);
    EXPECT_EQ(x[i].sl, y[i].sl);
  }
}

TEST(ExitEngineCrossExchange, ExtremeVolatilityTurnsTrailingOff) {
  Profile p = bare_profile();
  p.trailing = true;
  EngineHarness h(p);
  LevelAdjustments a;
  a.active = true;
  a.use_trailing = false;
  h.engine().set_level_adjustments(a);
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 0);
  h.take();
  h.price("100.5", 2);
  EXPECT_TRUE(h.take().empty()) << "no trailing while volatility_factor >= 3";
  // Adjustments are taken when the levels are set: a later change does not apply.
  a.use_trailing = true;
  h.engine().set_level_adjustments(a);
  h.price("100.6", 3);
  EXPECT_TRUE(h.take().empty());
}

TEST(ExitEngineLevels, ShortLevelsAreTheMirror) {
  EngineHarness h(Profile{});
  ASSERT_FALSE(h.add(Side::kShort, "10", "100"));
  h.price("100", 1000, 1.0);
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(s(d[0].sl), "101.1");
  EXPECT_EQ(s(d[0].tp[0]), "98.9");
  EXPECT_EQ(s(d[0].tp[1]), "98.35");
  EXPECT_EQ(s(d[0].tp[2]), "97.25");
}

TEST(ExitEngineLevels, LevelsRoundAwayFromEntryOnTheTickGrid) {
  EngineHarness h(Profile{}, "0.1");
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 1000, 0.77);  // 1.1 ATR = 0.847
  auto d = h.take();
  EXPECT_EQ(s(d[0].sl), "99.1");      // 99.153 floored: the stop never sits closer than asked
  EXPECT_EQ(s(d[0].tp[0]), "100.9");  // 100 + R, R = 0.9 after the rounding
}

TEST(ExitEngineLevels, ProvisionalStopUntilTheAtrIsWarm) {
  EngineHarness h(bare_profile());
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 1000, std::nullopt);
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0].provisional);
  EXPECT_EQ(s(d[0].sl), "99");  // warmup_sl_pct 1 %
  EXPECT_EQ(d[0].tp_count, 0);
  h.price("100.2", 2000, std::nullopt);
  EXPECT_TRUE(h.take().empty()) << "the provisional stop is set once";
  h.price("100.2", 3000, 1.0);
  d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FALSE(d[0].provisional);
  EXPECT_EQ(s(d[0].sl), "98.9");
}

TEST(ExitEngineLevels, ProvisionalStopMovedByTrailingIsKeptWhenTighter) {
  EngineHarness h(Profile{});
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 1000, std::nullopt);
  h.price("100.2", 2000, std::nullopt);  // trails the provisional 99 up to 99.89
  h.take();
  h.price("100.2", 3000, 1.0);
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(s(d[0].sl), "99.89") << "the ATR stop (98.9) must not loosen a moved stop";
  EXPECT_EQ(s(d[0].tp[0]), "101.1");
}

TEST(ExitEngineLevels, NoProvisionalStopWhenDisabled) {
  Profile p;
  p.warmup_sl_pct = 0;
  EngineHarness h(p);
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 1000, std::nullopt);
  EXPECT_TRUE(h.take().empty());
  EXPECT_EQ(h.pos().levels, LevelState::kNone);
}

TEST(ExitEngineLevels, ExplicitLevelsAreSetAtOnce) {
  EngineHarness h(bare_profile());
  ASSERT_FALSE(h.add(Side::kLong, "10", "100", 5000, "99", {"101", "102"}));
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].time, 5000);
  EXPECT_EQ(s(d[0].sl), "99");
  ASSERT_EQ(d[0].tp_count, 2);
  EXPECT_EQ(s(d[0].tp[1]), "102");
  // Two explicit legs against a three-leg profile: equal shares, the last takes the rest.
  h.price("101", 6000);
  d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(s(d[0].qty), "5");
}

TEST(ExitEngineLevels, ExplicitStopAloneGetsTheProfileLadder) {
  EngineHarness h(bare_profile());
  ASSERT_FALSE(h.add(Side::kShort, "10", "100", 0, "102"));
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(s(d[0].tp[0]), "98");  // R = 2
  EXPECT_EQ(s(d[0].tp[2]), "95");
}

TEST(ExitEngineLevels, ExplicitTargetAloneWaitsForTheAtrStop) {
  EngineHarness h(bare_profile());
  ASSERT_FALSE(h.add(Side::kLong, "10", "100", 0, nullptr, {"103"}));
  EXPECT_TRUE(h.take().empty());
  h.price("100", 1000, 1.0);
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(s(d[0].sl), "98.9");
  ASSERT_EQ(d[0].tp_count, 1);
  EXPECT_EQ(s(d[0].tp[0]), "103");
}

TEST(ExitEngineLevels, RejectsBadPositionsNamingTheField) {
  EngineHarness h(Profile{});
  auto field = [](const std::optional<AddError>& e) {
    return e ? std::string(e->field) : "(none)";
  };
  EXPECT_EQ(field(h.add(Side::kLong, "0", "100")), "qty");
  EXPECT_EQ(field(h.add(Side::kLong, "1.5", "100")), "qty");  // step 1
  EXPECT_EQ(field(h.add(Side::kLong, "10", "0")), "entry_price");
  EXPECT_EQ(field(h.add(Side::kLong, "10", "100", 0, "101")), "sl");
  EXPECT_EQ(field(h.add(Side::kShort, "10", "100", 0, "99")), "sl");
  EXPECT_EQ(field(h.add(Side::kLong, "10", "100", 0, "99", {"99.5"})), "tp");
  EXPECT_EQ(field(h.add(Side::kShort, "10", "100", 0, "101", {"99", "99.5"})), "tp");
  EXPECT_EQ(h.engine().position_count(), 0u) << "nothing half-added";
}

TEST(ExitEngineStop, BreachExitsEverythingAndNothingElseRuns) {
  Profile p = bare_profile();
  p.time_stop_sec = 60;
  EngineHarness h(p);
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 0);
  h.take();
  h.price("98.9", 120'000);  // stop and time stop both due: the stop alone acts
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].kind, DecisionKind::kExit);
  EXPECT_EQ(d[0].exit_reason, ExitReason::kStopLoss);
  EXPECT_EQ(s(d[0].qty), "10");
  EXPECT_EQ(s(d[0].remaining), "0");
  EXPECT_EQ(d[0].exit_seq, 1u);
  EXPECT_TRUE(h.pos().closed);
  h.price("90", 130'000);
  EXPECT_TRUE(h.take().empty()) << "a closed position is never exited again";
  EXPECT_EQ(h.engine().open_positions(0), 0u);
}

TEST(ExitEngineStop, ShortStopFiresAtOrAbove) {
  EngineHarness h(bare_profile());
  ASSERT_FALSE(h.add(Side::kShort, "10", "100"));
  h.price("100", 0);
  h.price("101.09", 1);
  h.take();
  EXPECT_FALSE(h.pos().closed);
  h.price("101.1", 2);
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].exit_reason, ExitReason::kStopLoss);
}

TEST(ExitEngineTakeProfit, LegsTakeTheirShareAndTheLastTakesTheRest) {
  EngineHarness h(bare_profile());
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 0);
  h.take();
  h.price("101.1", 1);
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].exit_reason, ExitReason::kTakeProfit);
  EXPECT_EQ(d[0].leg, 0);
  EXPECT_EQ(s(d[0].qty), "4");
  EXPECT_EQ(s(d[0].remaining), "6");
  h.price("101.1", 2);
  EXPECT_TRUE(h.take().empty()) << "a leg is taken once";
  h.price("103", 3);  // legs 1 and 2 in one update, in order
  d = h.take();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].leg, 1);
  EXPECT_EQ(s(d[0].qty), "3");  // 35 % of 10 = 3.5, floored to the step
  EXPECT_EQ(d[1].leg, 2);
  EXPECT_EQ(s(d[1].qty), "3");  // what remains
  EXPECT_EQ(s(d[1].remaining), "0");
  EXPECT_EQ(d[1].exit_seq, 3u);
  EXPECT_TRUE(h.pos().closed);
}

TEST(ExitEngineTakeProfit, ShortLegsTriggerBelowEntry) {
  EngineHarness h(bare_profile());
  ASSERT_FALSE(h.add(Side::kShort, "10", "100"));
  h.price("100", 0);
  h.take();
  h.price("98.91", 1);
  EXPECT_TRUE(h.take().empty());
  h.price("98.9", 2);
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].leg, 0);
}

TEST(ExitEngineHarvest, TakesAShareAndMovesTheStopToBreakEven) {
  Profile p = bare_profile();
  p.harvest_max = 1;
  EngineHarness h(p);
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 0);
  h.take();
  h.price("100.39", 1);
  EXPECT_TRUE(h.take().empty());
  h.price("100.4", 2);  // +0.4 %
  auto d = h.take();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].exit_reason, ExitReason::kHarvest);
  EXPECT_EQ(s(d[0].qty), "2");
  EXPECT_EQ(d[1].kind, DecisionKind::kStopMoved);
  EXPECT_EQ(d[1].move_reason, StopMoveReason::kBreakEven);
  EXPECT_EQ(s(d[1].sl), "100");
  h.price("100.5", 3);
  EXPECT_TRUE(h.take().empty()) << "harvest_max 1";
  h.price("100", 4);
  d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].exit_reason, ExitReason::kBreakEven);
  EXPECT_EQ(s(d[0].qty), "8");
}

TEST(ExitEngineHarvest, SecondHarvestAtTwiceTheTrigger) {
  Profile p = bare_profile();
  p.harvest_max = 2;
  EngineHarness h(p, "0.01", "0.1");
  ASSERT_FALSE(h.add(Side::kShort, "10", "100"));
  h.price("100", 0);
  h.take();
  h.price("99.6", 1);
  auto d = h.take();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(s(d[0].qty), "2");
  EXPECT_EQ(s(d[1].sl), "100");
  h.price("99.3", 2);
  EXPECT_TRUE(h.take().empty());
  h.price("99.2", 3);  // +0.8 %
  d = h.take();
  ASSERT_EQ(d.size(), 1u) << "the stop is already at break-even";
  EXPECT_EQ(s(d[0].qty), "1.6");  // 20 % of the remaining 8
}

TEST(ExitEngineTrailing, FollowsThePriceOnlyTighteningAndNamesTheExit) {
  Profile p = bare_profile();
  p.trailing = true;
  EngineHarness h(p);
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 0);
  h.take();
  h.price("100", 1);
  EXPECT_TRUE(h.take().empty()) << "no profit, no trailing";
  h.price("100.5", 2);
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].move_reason, StopMoveReason::kTrailing);
  EXPECT_EQ(s(d[0].sl), "100.19");  // 100.5 x 0.997 = 100.1985, floored
  EXPECT_EQ(s(d[0].price), "100.5");
  h.price("100.3", 3);
  EXPECT_TRUE(h.take().empty()) << "a looser candidate is dropped";
  h.price("100.19", 4);
  d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].exit_reason, ExitReason::kTrailingStop);
}

TEST(ExitEngineTrailing, ShortTrailsAboveThePrice) {
  Profile p = bare_profile();
  p.trailing = true;
  EngineHarness h(p);
  ASSERT_FALSE(h.add(Side::kShort, "10", "100"));
  h.price("100", 0);
  h.take();
  h.price("99.5", 1);
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(s(d[0].sl), "99.8");  // 99.5 x 1.003 = 99.7985, ceiled
}

TEST(ExitEngineTrailing, WaitsForTheActivationProfit) {
  Profile p = bare_profile();
  p.trailing = true;
  p.trail_activation = 0.01;
  EngineHarness h(p);
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 0);
  h.take();
  h.price("100.5", 1);
  EXPECT_TRUE(h.take().empty());
  h.price("101.2", 2);
  auto d = h.take();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].exit_reason, ExitReason::kTakeProfit);
  EXPECT_EQ(d[1].move_reason, StopMoveReason::kTrailing);
  EXPECT_EQ(s(d[1].sl), "100.89");
}

TEST(ExitEngineVolatility, HighVolatilityWidensTheInitialStop) {
  EngineHarness h(bare_profile());
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 0, 3.0);  // ATR 3 % of price > 2 %
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0].high_volatility);
  EXPECT_EQ(s(d[0].sl), "95.5");  // 1.5 ATR
}

TEST(ExitEngineVolatility, GovernorWidensAnUntouchedStopOnly) {
  EngineHarness h(bare_profile());
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 0, 1.0);
  h.take();
  h.price("100", 1, 2.5);
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].move_reason, StopMoveReason::kHighVolatility);
  EXPECT_EQ(s(d[0].sl), "96.25");
  h.price("100", 2, 2.2);
  EXPECT_TRUE(h.take().empty()) << "never narrowed back by the governor";
}

TEST(ExitEngineVolatility, GovernorLeavesAMovedStopAlone) {
  Profile p = bare_profile();
  p.trailing = true;
  EngineHarness h(p);
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 0, 1.0);
  h.price("100.5", 1, 1.0);
  h.take();
  h.price("100.4", 2, 3.0);
  EXPECT_TRUE(h.take().empty());
  EXPECT_EQ(s(h.pos().sl), "100.19");
}

TEST(ExitEngineVolatility, GovernorLeavesAnExplicitStopAlone) {
  EngineHarness h(bare_profile());
  ASSERT_FALSE(h.add(Side::kLong, "10", "100", 0, "99"));
  h.take();
  h.price("100", 1, 3.0);
  EXPECT_TRUE(h.take().empty());
}

TEST(ExitEngineTimeStop, ClosesWhatRemainsAfterTheEventTimeLimit) {
  Profile p = bare_profile();
  p.time_stop_sec = 3600;
  EngineHarness h(p);
  ASSERT_FALSE(h.add(Side::kShort, "10", "100", 1000));
  h.price("100", 1000);
  h.take();
  h.price("100.1", 3'600'999);
  EXPECT_TRUE(h.take().empty());
  h.price("100.1", 3'601'000);
  auto d = h.take();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].exit_reason, ExitReason::kTimeStop);
  EXPECT_EQ(s(d[0].qty), "10");
}

TEST(ExitEngineTrigger, EvaluatesOnlyOnTheProfilesTriggerSource) {
  Profile p = bare_profile();
  p.trigger_source = TriggerSource::kLast;
  EngineHarness h(p);
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  h.price("100", 0, 1.0, TriggerSource::kMark);
  EXPECT_TRUE(h.take().empty());
  h.price("100", 1, 1.0, TriggerSource::kLast);
  EXPECT_EQ(h.take().size(), 1u);
  h.price("90", 2, 1.0, TriggerSource::kMid);
  EXPECT_TRUE(h.take().empty()) << "a mid price below the stop is not the trigger";
}

TEST(ExitEngineScope, UpdatesTouchOnlyTheirSymbol) {
  EngineHarness h(bare_profile());
  ASSERT_FALSE(h.add(Side::kLong, "10", "100", 0, nullptr, {}, /*other*/ true));
  h.price("100", 0, 1.0);
  EXPECT_TRUE(h.take().empty());
  h.price("100", 0, 1.0, TriggerSource::kMark, /*other*/ true);
  EXPECT_EQ(h.take().size(), 1u);
}

TEST(ExitEngineScope, PositionWaitsForItsOpeningTime) {
  EngineHarness h(bare_profile());
  ASSERT_FALSE(h.add(Side::kLong, "10", "100", 10'000));
  h.price("50", 9'999, 1.0);
  EXPECT_TRUE(h.take().empty());
}

}  // namespace
}  // namespace exitbrain

namespace exitbrain {
namespace {

// AUTO hands a position to the profile of the regime when its levels are set.
struct AutoRun {
  std::vector<Decision> decisions;
  std::string profile;
};
AutoRun run_auto(std::optional<Regime> regime) {
  SymbolTable symbols;
  const SymbolId s = *symbols.intern("TESTUSDT");
  symbols.filters(s).tick_size = testing::dec("0.01");
  symbols.filters(s).step_size = testing::dec("1");
  const std::vector<Profile> profiles = builtin_profiles();
  ExitEngine engine(profiles, std::vector<std::uint8_t>(profiles.size(), 0), symbols, 4);
  int auto_index = 0;
  for (std::size_t i = 0; i < profiles.size(); ++i)
    if (profiles[i].name == "AUTO") auto_index = static_cast<int>(i);
  AutoRun out;
  auto sink = [&](const Decision& d) { out.decisions.push_back(d); };
  NewPosition np;
  np.symbol = s;
  np.qty = testing::dec("10");
  np.entry = testing::dec("100");
  np.profile = static_cast<std::uint16_t>(auto_index);
  EXPECT_FALSE(engine.add_position(np, sink));
  PriceState st;
  st.symbol = s;
  st.updated = trigger_bit(TriggerSource::kMark);
  st.mark = testing::dec("100");
  if (regime) {
    st.regime = *regime;
    st.atr[0] = 1.0;
    st.atr_ready = 1;
  }
  engine.on_price(st, sink);
  out.profile = engine.profile(engine.position(0).profile).name;
  return out;
}

TEST(ExitEngineAuto, PicksTheRegimesProfileWhenTheLevelsAreSet) {
  AutoRun r = run_auto(Regime::kTrending);
  EXPECT_EQ(r.profile, "TRENDING");
  ASSERT_EQ(r.decisions.size(), 1u);
  EXPECT_EQ(to_string(r.decisions[0].tp[0]), "101.65");  // 1.5 R, R = 1.1
  EXPECT_EQ(to_string(r.decisions[0].tp[2]), "105.5");   // 5 R

  r = run_auto(Regime::kRange);
  EXPECT_EQ(r.profile, "RANGE");
  EXPECT_EQ(to_string(r.decisions[0].tp[0]), "100.22");  // 0.2 R

  r = run_auto(Regime::kVolatile);
  EXPECT_EQ(r.profile, "VOLATILE");
  EXPECT_EQ(to_string(r.decisions[0].sl), "98.5");  // VOLATILE's 1.5 ATR stop
}

TEST(ExitEngineAuto, KeepsItsOwnValuesWhileTheRegimeIsUnknown) {
  AutoRun r = run_auto(Regime::kUnknown);
  EXPECT_EQ(r.profile, "AUTO");
  EXPECT_EQ(to_string(r.decisions[0].tp[0]), "101.1");  // CHALLENGE_100's ladder
  r = run_auto(std::nullopt);  // no ATR yet: provisional stop, no hand-over
  EXPECT_EQ(r.profile, "AUTO");
  EXPECT_TRUE(r.decisions[0].provisional);
}

TEST(ExitEngineExternal, FindsTheOpenPositionBySymbolAndSide) {
  testing::EngineHarness h(testing::bare_profile());
  ASSERT_FALSE(h.add(Side::kShort, "10", "100"));
  EXPECT_EQ(h.engine().find_open(h.pos().symbol, Side::kShort), std::optional<std::uint32_t>(0));
  EXPECT_FALSE(h.engine().find_open(h.pos().symbol, Side::kLong));
}

TEST(ExitEngineExternal, AReductionElsewhereLowersRemainingAndZeroCloses) {
  testing::EngineHarness h(testing::bare_profile());
  ASSERT_FALSE(h.add(Side::kLong, "10", "100"));
  // The exchange still shows more than remaining (an exit in flight): nothing changes.
  EXPECT_EQ(h.engine().sync_with_exchange(0, dec("12")), ExternalChange::kNone);
  EXPECT_EQ(to_string(h.pos().remaining), "10");
  EXPECT_EQ(h.engine().sync_with_exchange(0, dec("4")), ExternalChange::kReduced);
  EXPECT_EQ(to_string(h.pos().remaining), "4");
  EXPECT_EQ(h.engine().sync_with_exchange(0, dec("0")), ExternalChange::kClosed);
  EXPECT_TRUE(h.pos().closed);
  EXPECT_EQ(h.engine().open_positions(h.pos().symbol), 0u);
  // A closed position decides nothing more, whatever the price does.
  h.price("50", 1000);
  EXPECT_TRUE(h.take().empty());
  EXPECT_EQ(h.engine().sync_with_exchange(0, dec("0")), ExternalChange::kNone);
}

}  // namespace
}  // namespace exitbrain
