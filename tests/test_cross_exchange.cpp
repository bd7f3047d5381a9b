#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <string>

#include "strategies/cross_exchange.hpp"

namespace exitbrain::cross_exchange {
namespace {

constexpr TimeMs kT0 = 1'766'290'000'000;  // 2025-12-21, around the seed's deployment

NormalizedInput reading(double vf, double funding = 0.0, double divergence = 0.0, TimeMs ts = kT0) {
  NormalizedInput in;
  in.volatility_factor = vf;
  in.funding_delta = funding;
  in.exchange_divergence = divergence;
  in.num_exchanges = 3;
  in.timestamp_ms = ts;
  return in;
}

Adjustments adjust(const NormalizedInput& in) {
  Adapter a;
  EXPECT_TRUE(a.on_data(in, in.timestamp_ms));
  return a.adjustments(in.timestamp_ms);
}

std::size_t drain(Adapter& a) {
  std::size_t n = 0;
  while (a.pop_alert()) ++n;
  return n;
}

// --- formulas -------------------------------------------------------------------

TEST(CrossExchange, AtrMultiplierFollowsTheFormulaNotTheSeedExample) {
  const Adjustments adj = adjust(reading(1.8, 0.0012, 0.042));
  EXPECT_FALSE(adj.local_mode);
  EXPECT_NEAR(adj.atr_multiplier, 2.08, 1e-12);  // the seed's example says 1.8
  EXPECT_NEAR(adj.tp_multiplier, 1.00096, 1e-12);
  EXPECT_NEAR(adj.sl_multiplier, 1.0168, 1e-12);
  EXPECT_TRUE(adj.use_trailing);
}

TEST(CrossExchange, TpMultiplierFromFunding) {
  EXPECT_NEAR(adjust(reading(1.0, 0.015)).tp_multiplier, 1.012, 1e-12);
  EXPECT_NEAR(adjust(reading(1.0, -0.015)).tp_multiplier, 0.988, 1e-12);
  EXPECT_DOUBLE_EQ(adjust(reading(1.0, 0.0)).tp_multiplier, 1.0);
}

TEST(CrossExchange, SlMultiplierFromDivergenceMagnitude) {
  EXPECT_NEAR(adjust(reading(1.0, 0.0, 0.05)).sl_multiplier, 1.02, 1e-12);
  EXPECT_NEAR(adjust(reading(1.0, 0.0, -0.05)).sl_multiplier, 1.02, 1e-12);
}

TEST(CrossExchange, InputsAreCapped) {
  const Adjustments adj = adjust(reading(9.0, 0.0, 3.0));
  EXPECT_DOUBLE_EQ(adj.volatility_factor, 5.0);
  EXPECT_DOUBLE_EQ(adj.exchange_divergence, 1.0);
  EXPECT_NEAR(adj.atr_multiplier, 4.0, 1e-12);  // 1 + 5 × 0.6
  EXPECT_NEAR(adj.sl_multiplier, 1.4, 1e-12);   // 1 + 1 × 0.4
  EXPECT_NEAR(adjust(reading(5.0)).atr_multiplier, 4.0, 1e-12);
  EXPECT_NEAR(adjust(reading(1.0, 0.0, -2.0)).sl_multiplier, 1.4, 1e-12);
  // The funding delta too (found by fuzz/fuzz_cross_exchange: -4 made the multiplier
  // negative): +-1, so the TP multiplier stays in [0.2, 1.8].
  EXPECT_DOUBLE_EQ(adjust(reading(1.0, -4.0)).funding_delta, -1.0);
  EXPECT_NEAR(adjust(reading(1.0, -4.0)).tp_multiplier, 0.2, 1e-12);
  EXPECT_NEAR(adjust(reading(1.0, 1e300)).tp_multiplier, 1.8, 1e-12);
}

TEST(CrossExchange, TrailingOffFromVolatilityThree) {
  EXPECT_TRUE(adjust(reading(2.999)).use_trailing);
  EXPECT_FALSE(adjust(reading(3.0)).use_trailing);
  EXPECT_FALSE(adjust(reading(4.2)).use_trailing);
  EXPECT_FALSE(adjust(reading(50.0)).use_trailing);  // capped at 5, still off
}

TEST(CrossExchange, ApplyScalesFractionsAndEnforcesMinimums) {
  const Adjustments adj = adjust(reading(1.0, 0.015, 0.05));
  Fractions f = apply_adjustments(adj, 0.01, 0.005);
  EXPECT_NEAR(f.tp, 0.01012, 1e-15);
  EXPECT_NEAR(f.sl, 0.0051, 1e-15);
  EXPECT_FALSE(f.tp_floored);
  EXPECT_FALSE(f.sl_floored);

  f = apply_adjustments(adj, 0.002, 0.001);
  EXPECT_DOUBLE_EQ(f.tp, 0.003);
  EXPECT_DOUBLE_EQ(f.sl, 0.0015);
  EXPECT_TRUE(f.tp_floored);
  EXPECT_TRUE(f.sl_floored);

  // Strongly negative funding would make the TP negative: the floor catches it.
  f = apply_adjustments(adjust(reading(1.0, -2.0)), 0.01, 0.005);
  EXPECT_DOUBLE_EQ(f.tp, 0.003);
  EXPECT_TRUE(f.tp_floored);

  f = apply_adjustments(Adjustments{}, 0.003, 0.0015);  // exactly at the minimums
  EXPECT_FALSE(f.tp_floored);
  EXPECT_FALSE(f.sl_floored);
  f = apply_adjustments(Adjustments{}, std::numeric_limits<double>::quiet_NaN(), 0.01);
  EXPECT_DOUBLE_EQ(f.tp, 0.003);
}

TEST(CrossExchange, ReasoningText) {
  std::array<char, 128> buf{};
  const Adjustments adj = adjust(reading(1.8, 0.0012, 0.042));
  const std::size_t n = format_reasoning(adj, buf.data(), buf.size());
  EXPECT_EQ(std::string(buf.data(), n),
            "Vol:1.80 Div:0.042 Fund:0.0012 | ATRx2.08 TPx1.001 SLx1.017");
  std::array<char, 8> small{};
  EXPECT_EQ(format_reasoning(adj, small.data(), small.size()), 7u);  // truncated, terminated
  EXPECT_EQ(std::string(small.data()), "Vol:1.8");

  Adapter a;
  const std::size_t m = format_reasoning(a.adjustments(kT0), buf.data(), buf.size());
  EXPECT_EQ(std::string(buf.data(), m), "Local mode (no data)");
}

// --- local mode, staleness, failures, alerts --------------------------------------

TEST(CrossExchange, StartsInLocalModeWithoutAnAlert) {
  Adapter a;
  const Adjustments adj = a.adjustments(kT0);
  EXPECT_TRUE(adj.local_mode);
  EXPECT_EQ(adj.reason, FallbackReason::kNoData);
  EXPECT_EQ(adj.data_age_ms, -1);
  EXPECT_DOUBLE_EQ(adj.atr_multiplier, 1.0);
  EXPECT_DOUBLE_EQ(adj.tp_multiplier, 1.0);
  EXPECT_DOUBLE_EQ(adj.sl_multiplier, 1.0);
  EXPECT_TRUE(adj.use_trailing);
  EXPECT_EQ(a.pending_alerts(), 0u);

  // The first reading is not a recovery: nothing was lost.
  ASSERT_TRUE(a.on_data(reading(1.8), kT0 + 100));
  EXPECT_FALSE(a.adjustments(kT0 + 100).local_mode);
  EXPECT_EQ(a.pending_alerts(), 0u);
}

TEST(CrossExchange, StaleAfterSixtySecondsNotAtSixty) {
  Adapter a;
  ASSERT_TRUE(a.on_data(reading(1.8), kT0));
  Adjustments adj = a.adjustments(kT0 + 60'000);
  EXPECT_FALSE(adj.local_mode);
  EXPECT_EQ(adj.data_age_ms, 60'000);
  EXPECT_NEAR(adj.atr_multiplier, 2.08, 1e-12);
  EXPECT_EQ(a.pending_alerts(), 0u);

  adj = a.adjustments(kT0 + 60'001);
  EXPECT_TRUE(adj.local_mode);
  EXPECT_EQ(adj.reason, FallbackReason::kStale);
  EXPECT_DOUBLE_EQ(adj.atr_multiplier, 1.0);
  EXPECT_DOUBLE_EQ(adj.tp_multiplier, 1.0);
  EXPECT_DOUBLE_EQ(adj.sl_multiplier, 1.0);
  EXPECT_TRUE(adj.use_trailing);

  const auto alert = a.pop_alert();
  ASSERT_TRUE(alert);
  EXPECT_EQ(alert->type, AlertType::kFallbackToLocal);
  EXPECT_EQ(to_string(alert->type), "FALLBACK_TO_LOCAL");
  EXPECT_EQ(alert->reason, FallbackReason::kStale);
  EXPECT_EQ(alert->data_age_ms, 60'001);
  EXPECT_EQ(alert->time_ms, kT0 + 60'001);
  EXPECT_EQ(alert->reason_text(), "Data stale (60.0s)");
  EXPECT_FALSE(a.pop_alert());
}

TEST(CrossExchange, StaleReasonTextMatchesTheSeed) {
  Adapter a;
  ASSERT_TRUE(a.on_data(reading(1.0), kT0));
  a.poll(kT0 + 67'300);
  const auto alert = a.pop_alert();
  ASSERT_TRUE(alert);
  EXPECT_EQ(alert->reason_text(), "Data stale (67.3s)");
}

TEST(CrossExchange, StalenessThresholdIsConfigurable) {
  Adapter a(Config{.stale_after_ms = 5'000, .max_consecutive_failures = 3});
  ASSERT_TRUE(a.on_data(reading(1.0), kT0));
  EXPECT_FALSE(a.adjustments(kT0 + 5'000).local_mode);
  EXPECT_TRUE(a.adjustments(kT0 + 5'001).local_mode);
}

TEST(CrossExchange, TwoFailuresStayActiveThirdFallsBackWithOneAlert) {
  Adapter a;
  ASSERT_TRUE(a.on_data(reading(1.8), kT0));
  a.on_read_failure(kT0 + 1'000);
  a.on_read_failure(kT0 + 2'000);
  Adjustments adj = a.adjustments(kT0 + 2'000);
  EXPECT_FALSE(adj.local_mode);  // the last good reading is still fresh
  EXPECT_NEAR(adj.atr_multiplier, 2.08, 1e-12);
  EXPECT_EQ(a.status().fail_count, 2);
  EXPECT_EQ(a.pending_alerts(), 0u);

  a.on_read_failure(kT0 + 3'000);
  adj = a.adjustments(kT0 + 3'000);
  EXPECT_TRUE(adj.local_mode);
  EXPECT_EQ(adj.reason, FallbackReason::kReadFailures);
  EXPECT_DOUBLE_EQ(adj.atr_multiplier, 1.0);
  ASSERT_EQ(a.pending_alerts(), 1u);
  const auto alert = a.pop_alert();
  EXPECT_EQ(alert->type, AlertType::kFallbackToLocal);
  EXPECT_EQ(alert->reason, FallbackReason::kReadFailures);
  EXPECT_EQ(alert->fail_count, 3);
  EXPECT_EQ(alert->reason_text(), "3 consecutive read failures");

  EXPECT_EQ(a.status().total_reads, 4u);
  EXPECT_EQ(a.status().total_failures, 3u);
  EXPECT_TRUE(a.status().local_mode);
}

TEST(CrossExchange, FailureCountIsConfigurable) {
  Adapter a(Config{.stale_after_ms = 60'000, .max_consecutive_failures = 1});
  ASSERT_TRUE(a.on_data(reading(1.0), kT0));
  a.on_read_failure(kT0 + 1);
  EXPECT_TRUE(a.adjustments(kT0 + 1).local_mode);
  EXPECT_EQ(a.pending_alerts(), 1u);
}

TEST(CrossExchange, ASuccessfulReadBreaksTheFailureRun) {
  Adapter a;
  ASSERT_TRUE(a.on_data(reading(1.0), kT0));
  a.on_read_failure(kT0 + 1'000);
  a.on_read_failure(kT0 + 2'000);
  ASSERT_TRUE(a.on_data(reading(1.0, 0, 0, kT0 + 2'500), kT0 + 2'500));
  a.on_read_failure(kT0 + 3'000);
  a.on_read_failure(kT0 + 4'000);
  EXPECT_FALSE(a.adjustments(kT0 + 4'000).local_mode);
  EXPECT_EQ(a.status().fail_count, 2);
  EXPECT_EQ(a.status().total_failures, 4u);
  EXPECT_EQ(a.pending_alerts(), 0u);
}

TEST(CrossExchange, RecoveryRaisesOneAlertAndResetsTheFailCount) {
  Adapter a;
  ASSERT_TRUE(a.on_data(reading(1.8), kT0));
  for (int i = 1; i <= 3; ++i) a.on_read_failure(kT0 + i * 1'000);
  ASSERT_EQ(drain(a), 1u);

  ASSERT_TRUE(a.on_data(reading(1.8, 0.015, 0.05, kT0 + 4'000), kT0 + 4'200));
  const Adjustments adj = a.adjustments(kT0 + 4'200);
  EXPECT_FALSE(adj.local_mode);
  EXPECT_EQ(adj.reason, FallbackReason::kNone);
  EXPECT_EQ(adj.data_age_ms, 200);
  EXPECT_NEAR(adj.tp_multiplier, 1.012, 1e-12);
  EXPECT_EQ(a.status().fail_count, 0);

  ASSERT_EQ(a.pending_alerts(), 1u);
  const auto alert = a.pop_alert();
  EXPECT_EQ(alert->type, AlertType::kRecovered);
  EXPECT_EQ(to_string(alert->type), "RECOVERED");
  EXPECT_EQ(alert->fail_count, 0);
  EXPECT_EQ(alert->reason_text(), "Fresh data (0.2s)");
  EXPECT_FALSE(a.pop_alert());
}

TEST(CrossExchange, RecoveryFromStalenessNeedsFreshData) {
  Adapter a;
  ASSERT_TRUE(a.on_data(reading(1.0), kT0));
  a.poll(kT0 + 61'000);
  ASSERT_EQ(drain(a), 1u);
  // A reading whose own timestamp is already stale does not recover.
  ASSERT_TRUE(a.on_data(reading(1.0, 0, 0, kT0 + 500), kT0 + 62'000));
  EXPECT_TRUE(a.adjustments(kT0 + 62'000).local_mode);
  EXPECT_EQ(a.pending_alerts(), 0u);
  ASSERT_TRUE(a.on_data(reading(1.0, 0, 0, kT0 + 62'500), kT0 + 63'000));
  EXPECT_FALSE(a.adjustments(kT0 + 63'000).local_mode);
  ASSERT_EQ(a.pending_alerts(), 1u);
  EXPECT_EQ(a.pop_alert()->type, AlertType::kRecovered);
}

TEST(CrossExchange, NoDuplicateAlertsWhileStayingLocal) {
  Adapter a;
  ASSERT_TRUE(a.on_data(reading(1.0), kT0));
  for (int i = 1; i <= 10; ++i) a.on_read_failure(kT0 + i * 1'000);
  for (int i = 0; i < 5; ++i) a.poll(kT0 + 70'000 + i * 10'000);  // now stale as well
  for (int i = 0; i < 5; ++i) (void)a.adjustments(kT0 + 200'000 + i);
  EXPECT_EQ(a.pending_alerts(), 1u);
  EXPECT_EQ(a.status().fail_count, 10);
  EXPECT_EQ(a.status().reason, FallbackReason::kReadFailures);

  // Recover, then fall back again: exactly one alert per transition.
  ASSERT_TRUE(a.on_data(reading(1.0, 0, 0, kT0 + 300'000), kT0 + 300'000));
  a.poll(kT0 + 300'001);
  a.poll(kT0 + 360'001);
  a.poll(kT0 + 360'002);
  ASSERT_EQ(a.pending_alerts(), 3u);
  EXPECT_EQ(a.pop_alert()->type, AlertType::kFallbackToLocal);
  EXPECT_EQ(a.pop_alert()->type, AlertType::kRecovered);
  EXPECT_EQ(a.pop_alert()->type, AlertType::kFallbackToLocal);
}

TEST(CrossExchange, InvalidReadingsCountAsFailures) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  Adapter a;
  ASSERT_TRUE(a.on_data(reading(1.0), kT0));
  NormalizedInput no_exchanges = reading(1.0, 0, 0, kT0 + 1);
  no_exchanges.num_exchanges = 0;
  EXPECT_FALSE(a.on_data(no_exchanges, kT0 + 1));
  EXPECT_FALSE(a.on_data(reading(kNaN, 0, 0, kT0 + 2), kT0 + 2));
  EXPECT_EQ(a.pending_alerts(), 0u);
  EXPECT_FALSE(
      a.on_data(reading(1.0, std::numeric_limits<double>::infinity(), 0, kT0 + 3), kT0 + 3));
  EXPECT_TRUE(a.adjustments(kT0 + 3).local_mode);
  EXPECT_EQ(a.status().fail_count, 3);
  EXPECT_EQ(a.status().total_reads, 4u);
  EXPECT_EQ(a.pending_alerts(), 1u);
  EXPECT_FALSE(a.on_data(reading(-0.1, 0, 0, kT0 + 4), kT0 + 4));
  EXPECT_FALSE(a.on_data(reading(1.0, 0, kNaN, kT0 + 5), kT0 + 5));
  EXPECT_EQ(a.status().fail_count, 5);
}

TEST(CrossExchange, OutOfOrderReadingKeepsTheNewest) {
  Adapter a;
  ASSERT_TRUE(a.on_data(reading(1.8, 0, 0, kT0 + 1'000), kT0 + 1'000));
  ASSERT_TRUE(a.on_data(reading(4.0, 0, 0, kT0), kT0 + 1'100));
  const Adjustments adj = a.adjustments(kT0 + 1'100);
  EXPECT_NEAR(adj.atr_multiplier, 2.08, 1e-12);
  EXPECT_EQ(adj.data_age_ms, 100);
}

TEST(CrossExchange, AlertQueueKeepsTheNewestWhenFull) {
  Adapter a(Config{.stale_after_ms = 60'000, .max_consecutive_failures = 1});
  TimeMs t = kT0;
  ASSERT_TRUE(a.on_data(reading(1.0, 0, 0, t), t));
  for (int i = 0; i < 5; ++i) {  // 10 transitions, capacity 8
    a.on_read_failure(++t);
    ++t;
    ASSERT_TRUE(a.on_data(reading(1.0, 0, 0, t), t));
  }
  EXPECT_EQ(a.pending_alerts(), Adapter::kAlertQueueCapacity);
  EXPECT_EQ(a.status().dropped_alerts, 2u);
  EXPECT_EQ(a.pop_alert()->time_ms, kT0 + 3);  // the first two transitions were dropped
  EXPECT_EQ(drain(a), 7u);
}

}  // namespace
}  // namespace exitbrain::cross_exchange
