#include <gtest/gtest.h>

#include <array>

#include "net/rate_limits.hpp"
#include "tests/support/counting_new.inc"

namespace exitbrain {
namespace {

constexpr TimeMs kMinute = 60'000;
constexpr TimeMs kT0 = 1'771'000'000'000;  // 40 s into a minute, on a 10 s edge
constexpr TimeMs kMinuteStart = kT0 - 40'000;
static_assert(kMinuteStart % kMinute == 0);
constexpr RequestCost kOrder{0, 1};
constexpr RequestCost kPositionRisk{5, 0};

TEST(RateLimits, BinanceDefaults) {
  RateLimitTracker t;
  EXPECT_EQ(t.limit(RateLimitKind::kRequestWeight, kMinute), 2400);
  EXPECT_EQ(t.limit(RateLimitKind::kOrders, kMinute), 1200);
  EXPECT_EQ(t.limit(RateLimitKind::kOrders, 10'000), 300);
  EXPECT_EQ(t.windows().size(), 3u);
  EXPECT_EQ(t.not_before(kT0), kT0);
  EXPECT_TRUE(t.may_send(kT0, kOrder));
  EXPECT_EQ(t.backoff_until(), 0);
  EXPECT_FALSE(t.banned(kT0));
}

TEST(RateLimits, UsedWeightHeaderBlocksUntilTheNextMinute) {
  RateLimitTracker t;
  const std::array<HttpHeaderView, 4> headers{{{"Content-Type", "application/json"},
                                               {"X-MBX-USED-WEIGHT-1M", "2395"},
                                               {"x-mbx-order-count-10s", "3"},
                                               {"X-MBX-ORDER-COUNT-1M", "11"}}};
  t.on_response(kT0, 200, headers);
  EXPECT_EQ(t.used(RateLimitKind::kRequestWeight, kMinute, kT0), 2395);
  EXPECT_EQ(t.used(RateLimitKind::kOrders, 10'000, kT0), 3);
  EXPECT_EQ(t.used(RateLimitKind::kOrders, kMinute, kT0), 11);
  EXPECT_EQ(t.not_before(kT0, kPositionRisk), kT0) << "2395 + 5 = 2400 fits";
  EXPECT_EQ(t.not_before(kT0, RequestCost{6, 0}), kMinuteStart + kMinute);
  EXPECT_EQ(t.not_before(kT0, kOrder), kT0) << "orders cost no IP weight";
  // Next minute: the count is spent.
  EXPECT_EQ(t.used(RateLimitKind::kRequestWeight, kMinute, kMinuteStart + kMinute), 0);
  EXPECT_EQ(t.not_before(kMinuteStart + kMinute, RequestCost{6, 0}), kMinuteStart + kMinute);
  EXPECT_EQ(t.counters().responses, 1u);
}

TEST(RateLimits, OrderCountWindows) {
  RateLimitTracker t;
  const std::array<HttpHeaderView, 2> headers{
      {{"X-MBX-ORDER-COUNT-10S", "300"}, {"X-MBX-ORDER-COUNT-1M", "400"}}};
  t.on_response(kT0 + 3'000, 200, headers);
  const TimeMs ten_s_end = kT0 + 10'000;  // kT0 is on a 10 s edge
  EXPECT_EQ(t.not_before(kT0 + 3'000, kOrder), ten_s_end);
  EXPECT_EQ(t.not_before(kT0 + 3'000, RequestCost{1, 0}), kT0 + 3'000) << "weight is free";
  EXPECT_TRUE(t.may_send(ten_s_end, kOrder));

  const std::array<HttpHeaderView, 1> minute{{{"X-MBX-ORDER-COUNT-1M", "1200"}}};
  t.on_response(ten_s_end + 1, 200, minute);
  EXPECT_EQ(t.not_before(ten_s_end + 1, kOrder), kMinuteStart + kMinute);
}

TEST(RateLimits, AnswersOutOfOrderAndRequestsInFlight) {
  RateLimitTracker t;
  t.on_header(kT0, "X-MBX-USED-WEIGHT-1M", "100");
  t.on_header(kT0 + 5, "X-MBX-USED-WEIGHT-1M", "90");  // an older answer, arriving late
  t.on_status(kT0 + 5, 200);
  EXPECT_EQ(t.used(RateLimitKind::kRequestWeight, kMinute, kT0 + 5), 100);
  // In flight: counted before any answer.
  for (int i = 0; i < 3; ++i) t.on_request_sent(kT0 + 10, kPositionRisk);
  t.on_request_sent(kT0 + 10, kOrder);
  EXPECT_EQ(t.used(RateLimitKind::kRequestWeight, kMinute, kT0 + 10), 115);
  EXPECT_EQ(t.used(RateLimitKind::kOrders, 10'000, kT0 + 10), 1);
  EXPECT_EQ(t.used(RateLimitKind::kOrders, kMinute, kT0 + 10), 1);
  EXPECT_EQ(t.counters().requests_sent, 4u);
  // The server's count of the same requests does not add to it.
  t.on_header(kT0 + 20, "X-MBX-USED-WEIGHT-1M", "110");
  EXPECT_EQ(t.used(RateLimitKind::kRequestWeight, kMinute, kT0 + 20), 115);
  // A header from a later window starts over.
  t.on_header(kMinuteStart + kMinute + 1, "X-MBX-USED-WEIGHT-1M", "7");
  EXPECT_EQ(t.used(RateLimitKind::kRequestWeight, kMinute, kMinuteStart + kMinute + 1), 7);
}

TEST(RateLimits, OtherIntervalsAndExchangeInfoLimits) {
  RateLimitTracker t;
  t.on_header(kT0, "X-MBX-USED-WEIGHT-1S", "50");
  EXPECT_EQ(t.used(RateLimitKind::kRequestWeight, 1'000, kT0), 50);
  EXPECT_EQ(t.limit(RateLimitKind::kRequestWeight, 1'000), 0);
  EXPECT_TRUE(t.may_send(kT0)) << "no limit known for 1 s";
  EXPECT_TRUE(t.set_limit("REQUEST_WEIGHT", "SECOND", 1, 50));
  EXPECT_EQ(t.not_before(kT0), kT0 + 1'000);

  // exchangeInfo rateLimits of an account with larger order limits.
  EXPECT_TRUE(t.set_limit("ORDERS", "SECOND", 10, 10000));
  EXPECT_TRUE(t.set_limit("ORDERS", "MINUTE", 1, 20000));
  EXPECT_TRUE(t.set_limit("REQUEST_WEIGHT", "MINUTE", 1, 6000));
  EXPECT_EQ(t.limit(RateLimitKind::kOrders, 10'000), 10000);
  EXPECT_EQ(t.limit(RateLimitKind::kOrders, kMinute), 20000);
  EXPECT_EQ(t.limit(RateLimitKind::kRequestWeight, kMinute), 6000);
  EXPECT_TRUE(t.set_limit("ORDERS", "DAY", 1, 100000));
  EXPECT_EQ(t.limit(RateLimitKind::kOrders, 86'400'000), 100000);
  EXPECT_FALSE(t.set_limit("RAW_REQUESTS", "MINUTE", 5, 61000));
  EXPECT_FALSE(t.set_limit("ORDERS", "WEEK", 1, 1));
  EXPECT_FALSE(t.set_limit("ORDERS", "MINUTE", 0, 1));
  EXPECT_FALSE(t.set_limit("ORDERS", "MINUTE", 1, 0));
}

TEST(RateLimits, UnreadableHeadersAreCountedNotTrusted) {
  RateLimitTracker t;
  t.on_header(kT0, "X-MBX-USED-WEIGHT-1X", "10");
  t.on_header(kT0, "X-MBX-USED-WEIGHT-", "10");
  t.on_header(kT0, "X-MBX-USED-WEIGHT-1M", "lots");
  t.on_header(kT0, "X-MBX-USED-WEIGHT-1M", "-4");
  t.on_header(kT0, "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(t.counters().headers_ignored, 5u);
  EXPECT_EQ(t.used(RateLimitKind::kRequestWeight, kMinute, kT0), 0);
  t.on_header(kT0, "x-mbx-used-weight-1m", " 12 ");
  EXPECT_EQ(t.used(RateLimitKind::kRequestWeight, kMinute, kT0), 12);
}

TEST(RateLimits, TooManyRequestsHonoursRetryAfter) {
  RateLimitTracker t;
  const std::array<HttpHeaderView, 2> headers{
      {{"Retry-After", "7"}, {"X-MBX-USED-WEIGHT-1M", "2400"}}};
  t.on_response(kT0, 429, headers);
  EXPECT_EQ(t.backoff_until(), kT0 + 7'000);
  EXPECT_EQ(t.not_before(kT0 + 1, kOrder), kT0 + 7'000) << "a 429 stops orders too";
  EXPECT_FALSE(t.banned(kT0));
  EXPECT_EQ(t.counters().http_429, 1u);
  EXPECT_EQ(t.counters().retry_after_seen, 1u);
  // The Retry-After belonged to that answer only.
  t.on_status(kT0 + 8'000, 429);
  EXPECT_EQ(t.backoff_until(), kT0 + 8'000 + 2'000) << "second 429 in a row: 2 s default";
}

TEST(RateLimits, TooManyRequestsExponentialDefault) {
  RateLimitTracker t;
  TimeMs now = kT0;
  const TimeMs expected[] = {1'000, 2'000, 4'000, 8'000, 16'000, 32'000, 60'000, 60'000};
  for (TimeMs delay : expected) {
    t.on_status(now, 429);
    EXPECT_EQ(t.backoff_until(), now + delay);
    EXPECT_EQ(t.not_before(now), now + delay);
    now += delay;
  }
  t.on_status(now, 200);  // a success resets the exponent
  t.on_status(now, 429);
  EXPECT_EQ(t.backoff_until(), now + 1'000);
}

TEST(RateLimits, BanBacksOffLong) {
  RateLimitTracker t;
  t.on_status(kT0, 418);
  EXPECT_EQ(t.backoff_until(), kT0 + 120'000);
  EXPECT_TRUE(t.banned(kT0 + 1));
  EXPECT_EQ(t.not_before(kT0 + 1, kOrder), kT0 + 120'000);
  t.on_status(kT0 + 120'000, 418);
  EXPECT_EQ(t.backoff_until(), kT0 + 120'000 + 240'000);
  EXPECT_EQ(t.counters().http_418, 2u);

  // With the ban time from the -1003 message.
  RateLimitTracker u;
  u.on_status(kT0, 418);
  const TimeMs until = parse_banned_until(
      "Way too many requests; IP banned until 1771000900000. Please use the "
      "websocket for live updates to avoid bans.");
  EXPECT_EQ(until, 1771000900000);
  u.on_banned_until(until);
  EXPECT_EQ(u.backoff_until(), 1771000900000);
  EXPECT_TRUE(u.banned(1771000899999));
  EXPECT_FALSE(u.banned(1771000900000));
  EXPECT_TRUE(u.may_send(1771000900000));
  u.on_status(1771000900000, 200);
  EXPECT_FALSE(u.banned(1771000900000));

  // Retry-After wins over the default.
  RateLimitTracker v;
  const std::array<HttpHeaderView, 1> retry{{{"retry-after", "600"}}};
  v.on_response(kT0, 418, retry);
  EXPECT_EQ(v.backoff_until(), kT0 + 600'000);
}

TEST(RateLimits, ReserveForEssentialRequests) {
  RateLimitTracker t;
  t.set_weight_reserve(100);
  t.on_header(kT0, "X-MBX-USED-WEIGHT-1M", "2300");
  EXPECT_EQ(t.not_before(kT0, kPositionRisk), kMinuteStart + kMinute);
  EXPECT_EQ(t.not_before(kT0, kPositionRisk, /*essential=*/true), kT0);
}

TEST(RateLimits, Helpers) {
  EXPECT_EQ(rate_limit_interval_ms("1M"), 60'000);
  EXPECT_EQ(rate_limit_interval_ms("10s"), 10'000);
  EXPECT_EQ(rate_limit_interval_ms("1h"), 3'600'000);
  EXPECT_EQ(rate_limit_interval_ms("1D"), 86'400'000);
  EXPECT_EQ(rate_limit_interval_ms("M"), 0);
  EXPECT_EQ(rate_limit_interval_ms("0M"), 0);
  EXPECT_EQ(rate_limit_interval_ms("1W"), 0);
  EXPECT_EQ(rate_limit_interval_ms("x1M"), 0);
  EXPECT_EQ(parse_banned_until("Too many requests; current limit is 2400 requests per minute."), 0);
  EXPECT_EQ(parse_banned_until("IP banned until x"), 0);
}

TEST(RateLimits, NoAllocationPerAnswer) {
  RateLimitTracker t;
  const std::array<HttpHeaderView, 5> headers{{{"Content-Type", "application/json"},
                                               {"X-MBX-USED-WEIGHT-1M", "12"},
                                               {"X-MBX-ORDER-COUNT-10S", "1"},
                                               {"X-MBX-ORDER-COUNT-1M", "1"},
                                               {"Retry-After", "1"}}};
  const long before = g_allocations.load();
  TimeMs sum = 0;
  for (int i = 0; i < 10'000; ++i) {
    t.on_request_sent(kT0 + i, kOrder);
    t.on_response(kT0 + i, i % 100 == 0 ? 429 : 200, headers);
    sum += t.not_before(kT0 + i, kOrder);
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_GT(sum, 0);
  EXPECT_EQ(t.counters().responses, 10'000u);
  EXPECT_EQ(t.counters().http_429, 100u);
}

}  // namespace
}  // namespace exitbrain
