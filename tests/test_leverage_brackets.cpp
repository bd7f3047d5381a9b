// The bracket table (strategies/leverage_brackets.hpp): validation naming the field, the
// lookup of a notional's bracket, and the table by symbol. Pure.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "strategies/leverage_brackets.hpp"

namespace exitbrain {
namespace {

// BTCUSDT's first brackets as Binance lists them (binance-api.md §7.2 for the cum rule).
std::vector<LeverageBracket> btc() {
  return {{0, 50'000, 0.004, 0, 125},
          {50'000, 600'000, 0.005, 50, 100},
          {600'000, 3'000'000, 0.0065, 950, 75}};
}

std::string fault(std::vector<LeverageBracket> b) {
  const BracketError e = validate_brackets(b);
  return e.ok() ? std::string("<ok>") : std::to_string(e.index) + " " + e.field;
}

TEST(LeverageBrackets, BinanceTablesAreValidAndEmptyIsToo) {
  EXPECT_EQ(fault(btc()), "<ok>");
  EXPECT_EQ(fault({}), "<ok>");
  EXPECT_EQ(validate_brackets(btc()).message(), "");
}

TEST(LeverageBrackets, ValidationNamesTheBracketAndTheField) {
  auto b = btc();
  b[1].maint_margin_ratio = 1.0;
  EXPECT_EQ(fault(b), "1 maint_margin_ratio");
  EXPECT_EQ(validate_brackets(b).message(), "bracket 1: maint_margin_ratio must be in [0,1)");
  b = btc();
  b[2].maint_margin_ratio = -0.01;
  EXPECT_EQ(fault(b), "2 maint_margin_ratio");
  b = btc();
  b[0].maint_margin_ratio = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(fault(b), "0 maint_margin_ratio");
  b = btc();
  b[2].max_leverage = 0;
  EXPECT_EQ(fault(b), "2 max_leverage");
  b = btc();
  b[1].cum = -1;
  EXPECT_EQ(fault(b), "1 cum");
  b = btc();
  b[0].notional_floor = -1;
  EXPECT_EQ(fault(b), "0 notional_floor");
  b = btc();
  b[1].notional_cap = 50'000;  // not above its floor
  EXPECT_EQ(fault(b), "1 notional_cap");
  b = btc();
  b[2].notional_cap = std::numeric_limits<double>::infinity();
  EXPECT_EQ(fault(b), "2 notional_cap");
}

TEST(LeverageBrackets, ValidationRefusesOverlapsAndDisorder) {
  auto b = btc();
  b[1].notional_floor = 40'000;  // overlaps the first
  EXPECT_EQ(fault(b), "1 notional_floor");
  b = btc();
  std::swap(b[0], b[2]);
  EXPECT_EQ(fault(b), "1 notional_floor");
  b = btc();
  b[2].notional_floor = 700'000;  // a gap is allowed
  EXPECT_EQ(fault(b), "<ok>");
}

TEST(LeverageBrackets, LookupTakesFloorExclusiveCapInclusive) {
  const auto b = btc();
  EXPECT_EQ(find_bracket(b, 0), 0);
  EXPECT_EQ(find_bracket(b, 1), 0);
  EXPECT_EQ(find_bracket(b, 50'000), 0);  // 50 000 may still be opened at 125x
  EXPECT_EQ(find_bracket(b, 50'000.01), 1);
  EXPECT_EQ(find_bracket(b, 600'000), 1);
  EXPECT_EQ(find_bracket(b, 1'000'000), 2);
  EXPECT_EQ(find_bracket(b, 3'000'000), 2);
  EXPECT_EQ(find_bracket(b, 3'000'000.01), -1);  // above the table
  EXPECT_EQ(find_bracket({}, 10), -1);
}

TEST(LeverageBrackets, NotionalInAGapBelongsToTheUpperBracket) {
  auto b = btc();
  b[2].notional_floor = 700'000;
  EXPECT_EQ(find_bracket(b, 650'000), 2);
}

TEST(LeverageBrackets, TableFindsBySymbolAndReplaces) {
  LeverageBracketTable t;
  EXPECT_TRUE(t.empty());
  ASSERT_TRUE(t.set("ETHUSDT", {{0, 10'000, 0.0065, 0, 75}}).ok());
  ASSERT_TRUE(t.set("BTCUSDT", btc()).ok());
  ASSERT_TRUE(t.set("ADAUSDT", {{0, 5'000, 0.025, 0, 20}}).ok());
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.find("BTCUSDT").size(), 3u);
  EXPECT_EQ(t.find("ETHUSDT")[0].max_leverage, 75);
  EXPECT_TRUE(t.find("XRPUSDT").empty());
  EXPECT_TRUE(t.find("").empty());
  // Sorted by symbol, whatever the order of set().
  EXPECT_EQ(t.symbols()[0].symbol, "ADAUSDT");
  EXPECT_EQ(t.symbols()[2].symbol, "ETHUSDT");

  ASSERT_TRUE(t.set("ETHUSDT", {{0, 50'000, 0.005, 0, 100}}).ok());
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.find("ETHUSDT")[0].max_leverage, 100);
}

TEST(LeverageBrackets, TableRefusesAnInvalidListAndKeepsTheOldOne) {
  LeverageBracketTable t;
  ASSERT_TRUE(t.set("BTCUSDT", btc()).ok());
  auto bad = btc();
  bad[0].max_leverage = 0;
  const BracketError e = t.set("BTCUSDT", bad);
  EXPECT_FALSE(e.ok());
  EXPECT_STREQ(e.field, "max_leverage");
  EXPECT_EQ(t.find("BTCUSDT")[0].max_leverage, 125);
  EXPECT_FALSE(t.set("ETHUSDT", bad).ok());
  EXPECT_TRUE(t.find("ETHUSDT").empty());
}

}  // namespace
}  // namespace exitbrain
