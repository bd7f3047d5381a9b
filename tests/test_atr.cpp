#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <numeric>
#include <string_view>

#include "core/atr.hpp"

namespace exitbrain {
namespace {

struct Hlc {
  double high, low, close;
};

// True ranges 2, 3 (gap-free expansion), 1, 3 (gap up), 4 (gap down).
constexpr std::array<Hlc, 5> kCandles{{
    {10.0, 8.0, 9.0},
    {12.0, 9.0, 11.0},
    {11.5, 10.5, 11.0},
    {14.0, 12.0, 13.0},
    {12.0, 9.0, 10.0},
}};

void feed(Atr& atr, const Hlc& c) {
  ASSERT_EQ(atr.update(c.high, c.low, c.close), IndicatorError::kOk);
}

TEST(Atr, TrueRangeUsesThePreviousClose) {
  Atr atr(1, AtrMethod::kSma);
  const std::array<double, 5> expected{2.0, 3.0, 1.0, 3.0, 4.0};
  for (std::size_t i = 0; i < kCandles.size(); ++i) {
    feed(atr, kCandles[i]);
    EXPECT_DOUBLE_EQ(atr.last_true_range(), expected[i]) << "candle " << i;
  }
}

TEST(Atr, SmaIsTheMeanOfTheLastNTrueRanges) {
  Atr atr(3, AtrMethod::kSma);
  feed(atr, kCandles[0]);
  feed(atr, kCandles[1]);
  EXPECT_FALSE(atr.ready());
  EXPECT_EQ(atr.value(), 0.0) << "no value before the window is full";
  feed(atr, kCandles[2]);
  EXPECT_TRUE(atr.ready());
  EXPECT_DOUBLE_EQ(atr.value(), 2.0);  // (2 + 3 + 1) / 3
  feed(atr, kCandles[3]);
  EXPECT_DOUBLE_EQ(atr.value(), 7.0 / 3.0);  // (3 + 1 + 3) / 3
  feed(atr, kCandles[4]);
  EXPECT_DOUBLE_EQ(atr.value(), 8.0 / 3.0);  // (1 + 3 + 4) / 3
  EXPECT_EQ(atr.count(), 5u);
}

TEST(Atr, WilderIsSeededWithTheSmaThenSmoothed) {
  Atr atr(3, AtrMethod::kWilder);
  feed(atr, kCandles[0]);
  feed(atr, kCandles[1]);
  EXPECT_FALSE(atr.ready());
  EXPECT_EQ(atr.value(), 0.0);
  feed(atr, kCandles[2]);
  EXPECT_TRUE(atr.ready());
  EXPECT_DOUBLE_EQ(atr.value(), 2.0);  // seed: SMA of 2, 3, 1
  feed(atr, kCandles[3]);
  EXPECT_DOUBLE_EQ(atr.value(), 7.0 / 3.0);  // (2 * 2 + 3) / 3
  feed(atr, kCandles[4]);
  EXPECT_DOUBLE_EQ(atr.value(), 26.0 / 9.0);  // (7/3 * 2 + 4) / 3
}

TEST(Atr, PeriodOneIsTheLatestTrueRangeForBothMethods) {
  for (AtrMethod m : {AtrMethod::kSma, AtrMethod::kWilder}) {
    Atr atr(1, m);
    EXPECT_FALSE(atr.ready());
    feed(atr, kCandles[0]);
    EXPECT_TRUE(atr.ready()) << to_string(m);
    EXPECT_DOUBLE_EQ(atr.value(), 2.0);
    feed(atr, kCandles[4]);
    EXPECT_DOUBLE_EQ(atr.value(), 3.0) << to_string(m);  // max(12 - 9, |12 - 9|, |9 - 9|)
  }
}

TEST(Atr, PeriodIsClampedToTheSupportedRange) {
  EXPECT_EQ(Atr(0, AtrMethod::kSma).period(), 1);
  EXPECT_EQ(Atr(-5, AtrMethod::kWilder).period(), 1);
  EXPECT_EQ(Atr(1'000'000, AtrMethod::kSma).period(), kMaxAtrPeriod);
  Atr atr(14, AtrMethod::kWilder);
  EXPECT_EQ(atr.period(), 14);
  EXPECT_EQ(atr.method(), AtrMethod::kWilder);
}

TEST(Atr, LargestPeriodUsesTheWholeRing) {
  Atr atr(kMaxAtrPeriod, AtrMethod::kSma);
  for (int i = 0; i < kMaxAtrPeriod - 1; ++i)
    ASSERT_EQ(atr.update(2.0, 1.0, 1.5), IndicatorError::kOk);
  EXPECT_FALSE(atr.ready());
  ASSERT_EQ(atr.update(2.0, 1.0, 1.5), IndicatorError::kOk);
  EXPECT_TRUE(atr.ready());
  EXPECT_DOUBLE_EQ(atr.value(), 1.0);
  ASSERT_EQ(atr.update(4.5, 1.5, 3.0), IndicatorError::kOk);  // TR 3 replaces the oldest 1
  EXPECT_DOUBLE_EQ(atr.value(), (kMaxAtrPeriod - 1 + 3.0) / kMaxAtrPeriod);
}

TEST(Atr, ResetForgetsEverythingIncludingThePreviousClose) {
  for (AtrMethod m : {AtrMethod::kSma, AtrMethod::kWilder}) {
    Atr atr(3, m);
    for (const Hlc& c : kCandles) feed(atr, c);
    atr.reset();
    EXPECT_FALSE(atr.ready());
    EXPECT_EQ(atr.count(), 0u);
    EXPECT_EQ(atr.value(), 0.0);
    EXPECT_EQ(atr.period(), 3);
    EXPECT_EQ(atr.method(), m);
    // Same numbers as a fresh instance: the first TR after reset is high - low again.
    Atr fresh(3, m);
    for (const Hlc& c : {kCandles[3], kCandles[1], kCandles[2], kCandles[4]}) {
      feed(atr, c);
      feed(fresh, c);
      EXPECT_EQ(atr.value(), fresh.value());
      EXPECT_EQ(atr.last_true_range(), fresh.last_true_range());
    }
  }
}

TEST(Atr, RejectedInputLeavesTheStateUnchanged) {
  constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  struct Bad {
    Hlc c;
    IndicatorError why;
  };
  const std::array<Bad, 8> bad{{
      {{kNan, 9.0, 10.0}, IndicatorError::kNotFinite},
      {{12.0, kNan, 10.0}, IndicatorError::kNotFinite},
      {{12.0, 9.0, kNan}, IndicatorError::kNotFinite},
      {{kInf, 9.0, 10.0}, IndicatorError::kNotFinite},
      {{12.0, -kInf, 10.0}, IndicatorError::kNotFinite},
      {{12.0, -1.0, 10.0}, IndicatorError::kNegative},
      {{9.0, 12.0, 10.0}, IndicatorError::kHighBelowLow},
      {{12.0, 9.0, 12.5}, IndicatorError::kCloseOutsideRange},
  }};
  for (AtrMethod m : {AtrMethod::kSma, AtrMethod::kWilder}) {
    Atr atr(3, m);
    Atr reference(3, m);
    for (std::size_t i = 0; i < 4; ++i) {
      feed(atr, kCandles[i]);
      feed(reference, kCandles[i]);
    }
    for (const Bad& b : bad) {
      EXPECT_EQ(atr.update(b.c.high, b.c.low, b.c.close), b.why);
      EXPECT_EQ(atr.count(), 4u);
      EXPECT_EQ(atr.value(), reference.value());
    }
    // The next true range is still measured against the last accepted close.
    feed(atr, kCandles[4]);
    feed(reference, kCandles[4]);
    EXPECT_EQ(atr.value(), reference.value());
    EXPECT_DOUBLE_EQ(atr.last_true_range(), 4.0);
  }
}

TEST(Atr, ErrorsNameTheProblem) {
  EXPECT_EQ(std::string_view(to_string(IndicatorError::kHighBelowLow)), "high is below low");
  EXPECT_EQ(std::string_view(to_string(IndicatorError::kOk)), "ok");
  for (auto e : {IndicatorError::kNotFinite, IndicatorError::kNegative,
                 IndicatorError::kCloseOutsideRange, IndicatorError::kNotPositive}) {
    EXPECT_NE(std::string_view(to_string(e)).find(' '), std::string_view::npos);
  }
}

TEST(Atr, ZeroRangeCandlesAreValid) {
  Atr atr(2, AtrMethod::kSma);
  EXPECT_EQ(atr.update(0.0, 0.0, 0.0), IndicatorError::kOk);
  EXPECT_EQ(atr.update(5.0, 5.0, 5.0), IndicatorError::kOk);
  EXPECT_DOUBLE_EQ(atr.value(), 2.5);  // TRs 0 and 5 (gap from 0 to 5)
}

TEST(Atr, TinyPricesKeepTheirPrecision) {
  // 1e-8 is one tick of the smallest Binance price step.
  for (AtrMethod m : {AtrMethod::kSma, AtrMethod::kWilder}) {
    Atr atr(2, m);
    feed(atr, {3e-8, 1e-8, 2e-8});  // TR 2e-8
    feed(atr, {5e-8, 4e-8, 4e-8});  // TR max(1e-8, 3e-8, 2e-8) = 3e-8
    EXPECT_TRUE(atr.ready());
    EXPECT_NEAR(atr.value(), 2.5e-8, 1e-22);
    feed(atr, {4e-8, 4e-8, 4e-8});  // TR 0
    EXPECT_NEAR(atr.value(), m == AtrMethod::kSma ? 1.5e-8 : 1.25e-8, 1e-22);
    EXPECT_GT(atr.value(), 0.0);
  }
}

// Deterministic pseudo-random numbers: the test must not depend on the library's engines.
struct Lcg {
  std::uint64_t s = 88172645463325252ull;
  double next() {  // uniform in [0, 1)
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(s >> 11) * 0x1.0p-53;
  }
};

// A candle whose true range is `range` whenever the previous close is below it. The
// prices are not on a common grid, so the running sum really rounds.
Hlc spanning(double range) {
  return {range, 0.0, range / 2};
}

TEST(Atr, RunningSumDoesNotDriftOverAMillionUpdates) {
  constexpr int kPeriod = 14;
  Atr atr(kPeriod, AtrMethod::kSma);
  std::deque<double> window;
  Lcg rng;
  auto step = [&](double range) {
    const Hlc c = spanning(range);
    ASSERT_EQ(atr.update(c.high, c.low, c.close), IndicatorError::kOk);
    window.push_back(atr.last_true_range());
    if (window.size() > kPeriod) window.pop_front();
  };
  // Ranges spanning nine orders of magnitude: the worst case for an add/subtract sum.
  for (int i = 0; i < 1'000'000; ++i) step(std::pow(10.0, 4.0 * rng.next() - 5.0) * 1000.0);
  const double fresh = std::accumulate(window.begin(), window.end(), 0.0) / kPeriod;
  EXPECT_NEAR(atr.value(), fresh, fresh * 1e-12);

  // After large ranges leave the window, only small ones remain: the recompute must have
  // flushed the large ones' rounding error, or the small ATR would be off by orders.
  for (int i = 0; i < 2 * kPeriod; ++i) step(1e-6 * (1.0 + rng.next()));
  const double small = std::accumulate(window.begin(), window.end(), 0.0) / kPeriod;
  EXPECT_NEAR(atr.value(), small, small * 1e-9);
}

}  // namespace
}  // namespace exitbrain
