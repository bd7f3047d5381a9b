#include <gtest/gtest.h>

#include <vector>

#include "core/candle_aggregator.hpp"
#include "core/interval.hpp"

namespace exitbrain {
namespace {

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t k5m = 5 * kMin;
// 2025-10-10 12:00:00 UTC, on the 5m grid.
constexpr TimeMs kT0 = 1'760'097'600'000;

Price P(std::int64_t v) {
  return Price::from_int(v);
}

Candle minute(int index, std::int64_t o, std::int64_t h, std::int64_t l, std::int64_t c) {
  Candle k;
  k.open_time = kT0 + index * kMin;
  k.interval_ms = kMin;
  k.open = P(o);
  k.high = P(h);
  k.low = P(l);
  k.close = P(c);
  return k;
}

struct Collector {
  std::vector<Candle> out;
  void operator()(const Candle& c) { out.push_back(c); }
};

void expect_candle(const Candle& c, TimeMs open_time, std::int64_t o, std::int64_t h,
                   std::int64_t l, std::int64_t cl) {
  EXPECT_EQ(c.open_time, open_time);
  EXPECT_EQ(c.interval_ms, k5m);
  EXPECT_EQ(c.open, P(o));
  EXPECT_EQ(c.high, P(h));
  EXPECT_EQ(c.low, P(l));
  EXPECT_EQ(c.close, P(cl));
}

TEST(CandleAggregator, FoldsFiveMinutesAndEmitsOnTheLastOne) {
  CandleAggregator agg(k5m);
  Collector sink;
  agg.on_candle(minute(0, 100, 101, 99, 100), sink);
  agg.on_candle(minute(1, 100, 104, 100, 103), sink);
  agg.on_candle(minute(2, 103, 103, 97, 98), sink);
  agg.on_candle(minute(3, 98, 99, 98, 99), sink);
  EXPECT_TRUE(sink.out.empty()) << "the bucket is still open after minute 3";
  agg.on_candle(minute(4, 99, 102, 99, 101), sink);
  ASSERT_EQ(sink.out.size(), 1u);
  expect_candle(sink.out[0], kT0, 100, 104, 97, 101);
  EXPECT_FALSE(agg.has_open_bucket());
}

TEST(CandleAggregator, AlignsBucketsToTheEpochNotToTheFirstInput) {
  CandleAggregator agg(k5m);
  Collector sink;
  agg.on_candle(minute(3, 10, 12, 9, 11), sink);  // joins the bucket at kT0
  agg.on_candle(minute(4, 11, 11, 10, 10), sink);
  agg.on_candle(minute(5, 10, 15, 10, 14), sink);  // first minute of the next bucket
  ASSERT_EQ(sink.out.size(), 1u);
  expect_candle(sink.out[0], kT0, 10, 12, 9, 10);
  EXPECT_EQ(agg.current().open_time, kT0 + k5m);
}

TEST(CandleAggregator, AGapEmitsThePartialBucketFirst) {
  CandleAggregator agg(k5m);
  Collector sink;
  agg.on_candle(minute(0, 100, 102, 99, 101), sink);
  agg.on_candle(minute(1, 101, 103, 100, 102), sink);
  // Minutes 2..6 are missing: minute 7 belongs to the next bucket.
  agg.on_candle(minute(7, 105, 106, 104, 105), sink);
  ASSERT_EQ(sink.out.size(), 1u);
  expect_candle(sink.out[0], kT0, 100, 103, 99, 102);
  agg.on_candle(minute(9, 105, 107, 105, 106), sink);  // last minute of bucket 2
  ASSERT_EQ(sink.out.size(), 2u);
  expect_candle(sink.out[1], kT0 + k5m, 105, 107, 104, 106);
}

TEST(CandleAggregator, AReplayedCandleIsIgnored) {
  CandleAggregator agg(k5m);
  Collector sink;
  agg.on_candle(minute(0, 100, 101, 99, 100), sink);
  agg.on_candle(minute(1, 100, 102, 100, 102), sink);
  agg.on_candle(minute(0, 100, 150, 50, 100), sink);  // re-sent after a reconnect
  agg.on_candle(minute(4, 102, 102, 101, 101), sink);
  agg.on_candle(minute(4, 102, 102, 101, 101), sink);  // duplicate of the closing minute
  ASSERT_EQ(sink.out.size(), 1u);
  expect_candle(sink.out[0], kT0, 100, 102, 99, 101);
}

TEST(CandleAggregator, EqualIntervalPassesCandlesThrough) {
  CandleAggregator agg(k5m);
  Collector sink;
  Candle c = minute(0, 1, 3, 1, 2);
  c.interval_ms = k5m;
  agg.on_candle(c, sink);
  c.open_time += k5m;
  agg.on_candle(c, sink);
  ASSERT_EQ(sink.out.size(), 2u);
  expect_candle(sink.out[1], kT0 + k5m, 1, 3, 1, 2);
}

TEST(CandleAggregator, BuildsCandlesFromPrices) {
  CandleAggregator agg(k5m);
  Collector sink;
  agg.on_price(kT0 + 1'000, P(100), sink);
  agg.on_price(kT0 + 60'000, P(103), sink);
  agg.on_price(kT0 + k5m - 1, P(99), sink);
  EXPECT_TRUE(sink.out.empty());
  agg.on_price(kT0 + k5m, P(101), sink);  // exactly at the bucket end: closes it
  ASSERT_EQ(sink.out.size(), 1u);
  expect_candle(sink.out[0], kT0, 100, 103, 99, 99);
  EXPECT_EQ(agg.current().open_time, kT0 + k5m);
  EXPECT_EQ(agg.current().open, P(101));
}

TEST(CandleAggregator, EmptyBucketsBecomeFlatCandlesAtThePreviousClose) {
  CandleAggregator agg(k5m);
  Collector sink;
  agg.on_price(kT0 + 5, P(100), sink);
  agg.on_price(kT0 + 10, P(102), sink);
  agg.on_price(kT0 + 3 * k5m + 7, P(110), sink);  // buckets 1 and 2 saw no price
  ASSERT_EQ(sink.out.size(), 3u);
  expect_candle(sink.out[0], kT0, 100, 102, 100, 102);
  expect_candle(sink.out[1], kT0 + k5m, 102, 102, 102, 102);
  expect_candle(sink.out[2], kT0 + 2 * k5m, 102, 102, 102, 102);
  EXPECT_EQ(agg.current().open_time, kT0 + 3 * k5m);
}

TEST(CandleAggregator, GapFillIsCappedThenRestarts) {
  CandleAggregator agg(k5m, 2);
  EXPECT_EQ(agg.max_gap_fill(), 2);
  Collector sink;
  agg.on_price(kT0, P(100), sink);
  agg.on_price(kT0 + 10 * k5m, P(120), sink);  // 9 empty buckets, only 2 filled
  ASSERT_EQ(sink.out.size(), 3u);
  expect_candle(sink.out[1], kT0 + k5m, 100, 100, 100, 100);
  expect_candle(sink.out[2], kT0 + 2 * k5m, 100, 100, 100, 100);
  EXPECT_EQ(agg.current().open_time, kT0 + 10 * k5m);
  EXPECT_EQ(agg.current().open, P(120));
}

TEST(CandleAggregator, ALatePriceIsFoldedIntoTheOpenBucket) {
  CandleAggregator agg(k5m);
  Collector sink;
  agg.on_price(kT0 + 100, P(100), sink);
  agg.on_price(kT0 + k5m + 100, P(105), sink);  // closes bucket 0
  agg.on_price(kT0 + k5m - 50, P(108), sink);   // stamped in bucket 0, arrives late
  EXPECT_EQ(sink.out.size(), 1u) << "a late price never reopens a published bucket";
  EXPECT_EQ(agg.current().open_time, kT0 + k5m);
  EXPECT_EQ(agg.current().high, P(108));
  EXPECT_EQ(agg.current().close, P(108));
  EXPECT_EQ(agg.current().open, P(105));
}

TEST(CandleAggregator, ResetDropsTheOpenBucket) {
  CandleAggregator agg(k5m);
  Collector sink;
  agg.on_price(kT0, P(100), sink);
  agg.on_candle(minute(0, 1, 1, 1, 1), sink);
  agg.reset();
  EXPECT_FALSE(agg.has_open_bucket());
  agg.on_price(kT0 + 3 * k5m, P(50), sink);
  EXPECT_TRUE(sink.out.empty()) << "no flat fill across a reset";
  EXPECT_EQ(agg.current().open_time, kT0 + 3 * k5m);
  agg.reset();
  agg.on_candle(minute(0, 1, 2, 1, 2), sink);  // accepted again: replay guard forgotten
  EXPECT_TRUE(agg.has_open_bucket());
  EXPECT_EQ(agg.current().high, P(2));
}

TEST(CandleAggregator, BucketStartFloorsAlsoBeforeTheEpoch) {
  CandleAggregator agg(k5m);
  EXPECT_EQ(agg.bucket_start(kT0 + 299'999), kT0);
  EXPECT_EQ(agg.bucket_start(0), 0);
  EXPECT_EQ(agg.bucket_start(-1), -k5m);
  EXPECT_EQ(CandleAggregator(0).interval_ms(), 1) << "a zero interval is clamped";
}

TEST(Interval, ParsesBinanceIntervalNames) {
  EXPECT_EQ(parse_interval_ms("1m"), kMin);
  EXPECT_EQ(parse_interval_ms("3m"), 3 * kMin);
  EXPECT_EQ(parse_interval_ms("5m"), k5m);
  EXPECT_EQ(parse_interval_ms("15m"), 15 * kMin);
  EXPECT_EQ(parse_interval_ms("30m"), 30 * kMin);
  EXPECT_EQ(parse_interval_ms("1h"), 60 * kMin);
  EXPECT_EQ(parse_interval_ms("2h"), 120 * kMin);
  EXPECT_EQ(parse_interval_ms("4h"), 240 * kMin);
  EXPECT_EQ(parse_interval_ms("6h"), 360 * kMin);
  EXPECT_EQ(parse_interval_ms("8h"), 480 * kMin);
  EXPECT_EQ(parse_interval_ms("12h"), 720 * kMin);
  EXPECT_EQ(parse_interval_ms("1d"), 1440 * kMin);
  for (const char* bad : {"", "5", "m", "7m", "1M", "1w", "3d", "1s", "5M", " 5m", "5m "}) {
    EXPECT_FALSE(parse_interval_ms(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(Interval, KlineIntervalsIncludeTheUnalignedOnes) {
  EXPECT_EQ(kline_interval_ms("1s"), 1'000);
  EXPECT_EQ(kline_interval_ms("15m"), 900'000);
  EXPECT_EQ(kline_interval_ms("3d"), 259'200'000);
  EXPECT_EQ(kline_interval_ms("1w"), 604'800'000);
  for (const char* bad : {"", "1M", "0m", "-1m", "1x", "7m"})
    EXPECT_FALSE(kline_interval_ms(bad).has_value()) << "'" << bad << "'";
}

}  // namespace
}  // namespace exitbrain
