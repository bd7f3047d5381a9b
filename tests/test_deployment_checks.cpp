// The rules behind `exitbrain validate`: one hard stop of ours per open position, on the
// protective side of the mark (a SHORT the mirror of a LONG), and the levels' leverage band.
#include <gtest/gtest.h>

#include "tests/support/decimal_text.hpp"
#include "tools/live/deployment_checks.hpp"

namespace exitbrain {
namespace {

using testing::dec;

PositionRisk position(const char* symbol, const char* amount, const char* mark,
                      PositionSideField ps = PositionSideField::kBoth) {
  PositionRisk p;
  p.symbol = symbol;
  p.amount = dec(amount);
  p.mark_price = dec(mark);
  p.entry_price = dec(mark);
  p.position_side = ps;
  return p;
}

IdText id_text(std::string_view v) {
  IdText t;
  for (char c : v) t.chars[t.len++] = c;
  return t;
}

AlgoOrderAnswer stop(const char* symbol, const char* id, const char* trigger,
                     AlgoOrderAnswer::OrderSide side = AlgoOrderAnswer::OrderSide::kUnknown,
                     PositionSideField ps = PositionSideField::kBoth) {
  AlgoOrderAnswer a;
  a.symbol = id_text(symbol);
  a.client_algo_id = id_text(id);
  a.trigger_price = dec(trigger);
  a.side = side;
  a.position_side = ps;
  return a;
}

TEST(DeploymentChecks, OneStopOfOursOnTheProtectiveSideAndASHORTIsTheMirror) {
  using OS = AlgoOrderAnswer::OrderSide;
  StartupState st;
  st.positions = {position("BTCUSDT", "0.5", "60000"), position("ETHUSDT", "-2", "3000")};
  st.our_hard_stops = {stop("BTCUSDT", "xbs-1-1", "59000", OS::kSell),
                       stop("ETHUSDT", "xbs-2-1", "3100", OS::kBuy)};
  auto lines = check_hard_stops(st);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].name, "hard_stop BTCUSDT LONG");
  EXPECT_EQ(lines[0].verdict, Verdict::kPass) << lines[0].reason;
  EXPECT_EQ(lines[1].name, "hard_stop ETHUSDT SHORT");
  EXPECT_EQ(lines[1].verdict, Verdict::kPass) << lines[1].reason;
  EXPECT_EQ(lines[1].reason, "one stop of ours, xbs-2-1 at 3100 for a SHORT of 2, mark 3000");

  // The wrong side of the mark, for each: a SELL stop above a LONG's mark, a BUY below.
  st.our_hard_stops = {stop("BTCUSDT", "xbs-1-1", "61000", OS::kSell),
                       stop("ETHUSDT", "xbs-2-1", "2900", OS::kBuy)};
  lines = check_hard_stops(st);
  for (const CheckLine& l : lines) {
    EXPECT_EQ(l.verdict, Verdict::kFail) << l.name;
    EXPECT_EQ(l.reason.rfind("its stop is on the wrong side", 0), 0u) << l.reason;
  }

  // None, or two.
  st.our_hard_stops = {stop("BTCUSDT", "xbs-1-1", "59000"), stop("BTCUSDT", "xbs-1-2", "59100")};
  lines = check_hard_stops(st);
  EXPECT_EQ(lines[0].verdict, Verdict::kFail);
  EXPECT_EQ(lines[0].reason, "2 hard stops of ours: xbs-1-1 at 59000 xbs-1-2 at 59100");
  EXPECT_EQ(lines[1].verdict, Verdict::kFail);
  EXPECT_EQ(lines[1].reason.rfind("no hard stop of ours protects this position of 2", 0), 0u);

  st.positions.clear();
  lines = check_hard_stops(st);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].verdict, Verdict::kPass);
}

TEST(DeploymentChecks, InHedgeModeEachSideOwnsTheStopOfItsPositionSide) {
  StartupState st;
  st.mode = PositionMode::kHedge;
  st.positions = {position("BTCUSDT", "1", "60000", PositionSideField::kLong),
                  position("BTCUSDT", "-1", "60000", PositionSideField::kShort)};
  st.our_hard_stops = {stop("BTCUSDT", "xbs-1-1", "59000", AlgoOrderAnswer::OrderSide::kSell,
                            PositionSideField::kLong),
                       stop("BTCUSDT", "xbs-2-1", "61000", AlgoOrderAnswer::OrderSide::kBuy,
                            PositionSideField::kShort)};
  for (const CheckLine& l : check_hard_stops(st)) EXPECT_EQ(l.verdict, Verdict::kPass) << l.reason;
  st.our_hard_stops.pop_back();
  const auto lines = check_hard_stops(st);
  EXPECT_EQ(lines[0].verdict, Verdict::kPass);
  EXPECT_EQ(lines[1].verdict, Verdict::kFail) << "the LONG's stop does not protect the SHORT";
}

TEST(DeploymentChecks, TheLevelsLeverageStaysInTheBand) {
  EXPECT_EQ(check_levels_leverage({"20", "5", "80"}, 5, 80).verdict, Verdict::kPass);
  const CheckLine high = check_levels_leverage({"20", "81"}, 5, 80);
  EXPECT_EQ(high.verdict, Verdict::kFail);
  EXPECT_EQ(high.reason, "2 latest levels, target leverage 20-81 outside 5-80");
  EXPECT_EQ(check_levels_leverage({"4"}, 5, 80).verdict, Verdict::kFail);
  EXPECT_EQ(check_levels_leverage({}, 5, 80).verdict, Verdict::kFail);
  EXPECT_EQ(check_levels_leverage({"x"}, 5, 80).reason,
            "a target_leverage that is not a number: \"x\"");
}

}  // namespace
// A symbol no intent was handled for has no metadata to have (the demo's symbols without an
// intent read as broken); one whose levels were published must have its hash.
TEST(DeploymentChecks, IlfMetadataIsRequiredWhereLevelsWerePublished) {
  const std::string prefix = "quantum:ilf:metadata:";
  const CheckLine ok =
      check_ilf_metadata(prefix, {"BTCUSDT", "ETHUSDT"}, {"BTCUSDT"}, {"BTCUSDT", "BTCUSDT"});
  EXPECT_EQ(ok.verdict, Verdict::kPass) << ok.reason;
  EXPECT_NE(ok.reason.find("none yet for ETHUSDT"), std::string::npos) << ok.reason;
  const CheckLine bad =
      check_ilf_metadata(prefix, {"BTCUSDT", "ETHUSDT"}, {"BTCUSDT"}, {"ETHUSDT", "BTCUSDT"});
  EXPECT_EQ(bad.verdict, Verdict::kFail);
  EXPECT_NE(bad.reason.find("hash for ETHUSDT, whose adaptive levels"), std::string::npos)
      << bad.reason;
  EXPECT_EQ(check_ilf_metadata(prefix, {"BTCUSDT"}, {}, {}).verdict, Verdict::kSkip);
  EXPECT_EQ(check_ilf_metadata(prefix, {"BTCUSDT"}, {}, {"BTCUSDT"}).verdict, Verdict::kFail);
}

}  // namespace exitbrain
