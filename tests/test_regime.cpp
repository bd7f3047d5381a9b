#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <ostream>
#include <vector>

#include "core/regime.hpp"

namespace exitbrain {

// Readable failures: "TRENDING" rather than "1-byte object <02>".
void PrintTo(Regime r, std::ostream* os) {
  *os << to_string(r);
}

namespace {

constexpr double kCalmAtr = 0.1;  // 0.1% of a 100 close: far below the VOLATILE bar

RegimeParams params(int er_period) {
  RegimeParams p;
  p.er_period = er_period;
  return p;
}

void feed(RegimeClassifier& rc, double close, double atr = kCalmAtr, bool atr_ready = true) {
  ASSERT_EQ(rc.update(close, atr, atr_ready), IndicatorError::kOk);
}

TEST(Regime, DefaultsAreTheDocumentedOnes) {
  const RegimeParams p;
  EXPECT_EQ(p.er_period, 20);
  EXPECT_DOUBLE_EQ(p.trending_er, 0.40);
  EXPECT_DOUBLE_EQ(p.trending_exit_er, 0.35);
  EXPECT_DOUBLE_EQ(p.volatile_atr_pct, 0.01);
  EXPECT_DOUBLE_EQ(p.volatile_exit_atr_pct, 0.008);
}

TEST(Regime, UnknownUntilTheErWindowAndTheAtrAreWarm) {
  RegimeClassifier rc(params(5));
  for (int i = 0; i < 5; ++i) {
    feed(rc, 100.0 + i);
    EXPECT_EQ(rc.regime(), Regime::kUnknown) << "close " << i;
    EXPECT_FALSE(rc.ready());
  }
  feed(rc, 105.0, kCalmAtr, /*atr_ready=*/false);  // 6 closes = 5 changes, ATR still cold
  EXPECT_EQ(rc.regime(), Regime::kUnknown);
  EXPECT_DOUBLE_EQ(rc.efficiency_ratio(), 1.0) << "the ER itself is warm";
  feed(rc, 106.0);
  EXPECT_TRUE(rc.ready());
  EXPECT_EQ(rc.regime(), Regime::kTrending);
}

TEST(Regime, AStraightLineIsTrending) {
  RegimeClassifier rc(params(20));
  for (int i = 0; i <= 40; ++i) feed(rc, 100.0 - 0.25 * i);  // falling trends count too
  EXPECT_DOUBLE_EQ(rc.efficiency_ratio(), 1.0);
  EXPECT_EQ(rc.regime(), Regime::kTrending);
}

TEST(Regime, AZigZagIsRange) {
  RegimeClassifier rc(params(20));
  for (int i = 0; i <= 40; ++i) feed(rc, i % 2 == 0 ? 100.0 : 101.0);
  EXPECT_DOUBLE_EQ(rc.efficiency_ratio(), 0.0);  // even window: back where it started
  EXPECT_EQ(rc.regime(), Regime::kRange);
}

TEST(Regime, ErIsNetMoveOverPathLength) {
  RegimeClassifier rc(params(4));
  // Changes +2, -1, +2, +1: net 4 over a path of 6.
  for (double c : {100.0, 102.0, 101.0, 103.0, 104.0}) feed(rc, c);
  EXPECT_DOUBLE_EQ(rc.efficiency_ratio(), 4.0 / 6.0);
  feed(rc, 103.0);  // window now 102,101,103,104,103: changes -1,+2,+1,-1 -> 1 / 5
  EXPECT_DOUBLE_EQ(rc.efficiency_ratio(), 1.0 / 5.0);
  EXPECT_EQ(rc.regime(), Regime::kRange);
}

TEST(Regime, FlatClosesHaveNoDirection) {
  RegimeClassifier rc(params(3));
  for (int i = 0; i < 10; ++i) feed(rc, 50.0);
  EXPECT_EQ(rc.efficiency_ratio(), 0.0);
  EXPECT_EQ(rc.regime(), Regime::kRange);
}

TEST(Regime, LargeAtrIsVolatileEvenInATrend) {
  RegimeClassifier rc(params(20));
  for (int i = 0; i <= 30; ++i) feed(rc, 100.0 + i, /*atr=*/2.0);  // ~1.6% of the close
  EXPECT_GT(rc.atr_pct(), 0.01);
  EXPECT_EQ(rc.regime(), Regime::kVolatile);
}

TEST(Regime, VolatileHasHysteresis) {
  RegimeClassifier rc(params(2));
  // A zig-zag keeps the ER at 0, so only the ATR decides.
  for (double c : {100.0, 101.0, 100.0}) feed(rc, c);
  EXPECT_EQ(rc.regime(), Regime::kRange);
  feed(rc, 101.0, /*atr=*/0.909);  // 0.9%: below the 1% entry bar
  EXPECT_EQ(rc.regime(), Regime::kRange);
  feed(rc, 100.0, 1.1);
  EXPECT_EQ(rc.regime(), Regime::kVolatile);
  feed(rc, 101.0, 0.909);  // above the 0.8% exit bar: stays
  EXPECT_EQ(rc.regime(), Regime::kVolatile);
  feed(rc, 100.0, 0.7);
  EXPECT_EQ(rc.regime(), Regime::kRange);
}

TEST(Regime, TrendingHasHysteresis) {
  RegimeParams p = params(1);  // ER is 1 on any move and 0 when flat: drive it by params
  p.trending_er = 0.5;
  p.trending_exit_er = 0.5;
  RegimeClassifier no_hysteresis(p);
  p.trending_exit_er = 0.0;  // once trending, stay while ER >= 0
  RegimeClassifier sticky(p);
  for (double c : {100.0, 101.0, 101.0}) {
    feed(no_hysteresis, c);
    feed(sticky, c);
  }
  EXPECT_EQ(no_hysteresis.regime(), Regime::kRange);
  EXPECT_EQ(sticky.regime(), Regime::kTrending);
}

TEST(Regime, ExitThresholdsAboveEntryAreClamped) {
  RegimeParams p;
  p.trending_exit_er = 0.9;
  p.volatile_exit_atr_pct = 0.5;
  p.er_period = 0;
  const RegimeClassifier rc(p);
  EXPECT_DOUBLE_EQ(rc.params().trending_exit_er, p.trending_er);
  EXPECT_DOUBLE_EQ(rc.params().volatile_exit_atr_pct, p.volatile_atr_pct);
  EXPECT_EQ(rc.params().er_period, 1);
}

TEST(Regime, RejectedInputChangesNothing) {
  RegimeClassifier rc(params(3));
  for (double c : {100.0, 101.0, 102.0, 103.0}) feed(rc, c);
  ASSERT_EQ(rc.regime(), Regime::kTrending);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(rc.update(nan, kCalmAtr, true), IndicatorError::kNotFinite);
  EXPECT_EQ(rc.update(100.0, std::numeric_limits<double>::infinity(), true),
            IndicatorError::kNotFinite);
  EXPECT_EQ(rc.update(-1.0, kCalmAtr, true), IndicatorError::kNegative);
  EXPECT_EQ(rc.update(100.0, -0.5, true), IndicatorError::kNegative);
  EXPECT_EQ(rc.update(0.0, kCalmAtr, true), IndicatorError::kNotPositive);
  EXPECT_EQ(rc.regime(), Regime::kTrending);
  EXPECT_DOUBLE_EQ(rc.efficiency_ratio(), 1.0);
  feed(rc, 104.0);  // the window continues from 103 as if nothing happened
  EXPECT_DOUBLE_EQ(rc.efficiency_ratio(), 1.0);
}

TEST(Regime, ResetStartsOver) {
  RegimeClassifier rc(params(3));
  for (double c : {100.0, 101.0, 102.0, 103.0}) feed(rc, c);
  ASSERT_TRUE(rc.ready());
  rc.reset();
  EXPECT_FALSE(rc.ready());
  EXPECT_EQ(rc.regime(), Regime::kUnknown);
  EXPECT_EQ(rc.efficiency_ratio(), 0.0);
  for (double c : {50.0, 51.0, 50.0}) feed(rc, c);
  EXPECT_EQ(rc.regime(), Regime::kUnknown) << "3 closes are not a window of 3 changes";
  feed(rc, 51.0);
  EXPECT_DOUBLE_EQ(rc.efficiency_ratio(), 1.0 / 3.0);
}

TEST(Regime, PathSumDoesNotDrift) {
  constexpr int kPeriod = 20;
  RegimeClassifier rc(params(kPeriod));
  std::deque<double> closes;
  std::uint64_t s = 42;
  auto uniform = [&s] {  // in [-0.5, 0.5)
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(s >> 11) * 0x1.0p-53 - 0.5;
  };
  double price = 100.0;
  auto step = [&](bool jump) {
    price = jump ? 1e4 * (uniform() + 0.6) : price * (1.0 + 1e-6 * uniform());
    feed(rc, price);
    closes.push_back(price);
    if (closes.size() > kPeriod + 1) closes.pop_front();
  };
  // Tiny steps with regular huge jumps: each jump leaves rounding error in a running sum.
  for (int i = 0; i < 1'000'000; ++i) step(i % 97 == 0);
  // Then only tiny steps: a drifted path sum would now be off by orders of magnitude.
  for (int i = 0; i < 3 * (kPeriod + 1); ++i) step(false);
  double path = 0.0;
  for (std::size_t i = 1; i < closes.size(); ++i) path += std::fabs(closes[i] - closes[i - 1]);
  const double er = std::fabs(closes.back() - closes.front()) / path;
  EXPECT_NEAR(rc.efficiency_ratio(), er, 1e-12);
}

}  // namespace
}  // namespace exitbrain
