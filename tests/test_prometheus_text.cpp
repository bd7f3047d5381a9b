// The Prometheus text format as the scrape writes it, and /health's shape. The real
// Prometheus and promtool read it in test_operations.cpp; here the exact text.
#include <gtest/gtest.h>

#include "tools/ops/health_report.hpp"
#include "tools/ops/prometheus_text.hpp"

namespace exitbrain {
namespace {

TEST(PrometheusText, AFamilyHasItsHelpAndTypeThenItsSamplesWithEscapedLabels) {
  PrometheusText m;
  m.family("exitbrain_exits_total", MetricType::kCounter, "Exit decisions by reason.\nTwo lines");
  m.sample({{"reason", "stop_loss"}}, 3);
  m.sample({{"reason", "a\"b\\c\nd"}}, 0.25);
  m.family("exitbrain_up", MetricType::kGauge, "Up.");
  m.sample(1);
  EXPECT_EQ(m.text(),
            "# HELP exitbrain_exits_total Exit decisions by reason.\\nTwo lines\n"
            "# TYPE exitbrain_exits_total counter\n"
            "exitbrain_exits_total{reason=\"stop_loss\"} 3\n"
            "exitbrain_exits_total{reason=\"a\\\"b\\\\c\\nd\"} 0.25\n"
            "# HELP exitbrain_up Up.\n"
            "# TYPE exitbrain_up gauge\n"
            "exitbrain_up 1\n");
}

TEST(PrometheusText, AHistogramIsCumulativeInSecondsAndItsCountIsTheInfBucket) {
  LatencyHistogram h;
  h.record(800);             // 0.8 µs   -> le 1e-06 and up
  h.record(3'000);           // 3 µs     -> le 5e-06 and up
  h.record(200'000);         // 200 µs   -> le 0.00025 and up
  h.record(20'000'000'000);  // 20 s  -> only +Inf
  PrometheusText m;
  m.family("exitbrain_tick_to_order_seconds", MetricType::kHistogram, "Tick to order.");
  m.histogram_seconds({{"hop", "x"}}, h);
  const std::string& t = m.text();
  auto value_of = [&](const std::string& series) {
    const auto at = t.find(series + " ");
    EXPECT_NE(at, std::string::npos) << series << "\n" << t;
    if (at == std::string::npos) return -1.0;
    return std::stod(t.substr(at + series.size() + 1));
  };
  const std::string b = "exitbrain_tick_to_order_seconds_bucket{hop=\"x\",le=\"";
  EXPECT_EQ(value_of(b + "1e-06\"}"), 1);
  EXPECT_EQ(value_of(b + "2.5e-06\"}"), 1);
  EXPECT_EQ(value_of(b + "5e-06\"}"), 2);
  EXPECT_EQ(value_of(b + "0.0001\"}"), 2);
  EXPECT_EQ(value_of(b + "0.00025\"}"), 3);
  EXPECT_EQ(value_of(b + "10\"}"), 3);
  EXPECT_EQ(value_of(b + "+Inf\"}"), 4);
  EXPECT_EQ(value_of("exitbrain_tick_to_order_seconds_count{hop=\"x\"}"), 4);
  EXPECT_NEAR(value_of("exitbrain_tick_to_order_seconds_sum{hop=\"x\"}"), 20.0002038, 1e-9);
  // Every bound once, in order, then +Inf.
  std::size_t from = 0, n = 0;
  while ((from = t.find("_bucket{", from)) != std::string::npos) {
    ++n;
    ++from;
  }
  EXPECT_EQ(n, std::size(PrometheusText::kBounds) + 1);
}

TEST(PrometheusText, AHistogramCopiedWhileWrittenIsAHistogramStill) {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) h.record(i * 1000);
  const LatencyHistogram copy = h;
  EXPECT_EQ(copy.count(), 1000u);
  EXPECT_EQ(copy.sum(), h.sum());
  EXPECT_EQ(copy.percentile(0.5), h.percentile(0.5));
  EXPECT_EQ(copy.max(), 1'000'000u);
}

TEST(HealthReport, TheWorstReasonDecidesAndFailingIsA503) {
  HealthReport ok;
  ok.number("positions_managed", "2");
  EXPECT_EQ(ok.level(), HealthLevel::kOk);
  EXPECT_EQ(ok.http_status(), 200);
  EXPECT_EQ(ok.json(), R"({"status":"ok","reasons":[],"numbers":{"positions_managed":2}})");

  HealthReport h;
  h.add("redis_down", HealthLevel::kDegraded, "Redis is not connected");
  EXPECT_EQ(h.level(), HealthLevel::kDegraded);
  EXPECT_EQ(h.http_status(), 200) << "degraded still protects what it holds";
  h.add("feed_stale", HealthLevel::kFailing, "no \"mark\" for 2 s");
  h.add("clock_offset", HealthLevel::kDegraded, "1500 ms");
  EXPECT_EQ(h.level(), HealthLevel::kFailing);
  EXPECT_EQ(h.http_status(), 503);
  EXPECT_EQ(h.json(),
            R"({"status":"failing","reasons":[)"
            R"({"code":"redis_down","level":"degraded","detail":"Redis is not connected"},)"
            R"({"code":"feed_stale","level":"failing","detail":"no \"mark\" for 2 s"},)"
            R"({"code":"clock_offset","level":"degraded","detail":"1500 ms"}],"numbers":{}})");
}

}  // namespace
}  // namespace exitbrain
