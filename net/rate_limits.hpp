#pragma once
// REST rate limits (binance-api.md §6.2, §2.2): what the answers' headers say has been used,
// what the limits are, and when the next request may go. Fed every answer's status and
// headers; pure (time passed in) and allocation-free.
//
// Windows: Binance counts IP weight (X-MBX-USED-WEIGHT-<n><unit>) and per-account order
// counts (X-MBX-ORDER-COUNT-<n><unit>) per interval. The tracker assumes fixed windows
// aligned on multiples of the interval (INFERENCE: a count seen in minute M is spent until
// minute M+1 starts), so pass `now` in server time (ServerClock::server_now) for the window
// edges to match the exchange's; a ban time from a -1003 message is server time too.
//
// Back-off: a 429 stops every request for Retry-After seconds when the header is there,
// else for an exponential default (1 s, 2 s, 4 s ... 60 s); a 418 (IP ban) for Retry-After,
// the ban time of the -1003 message (on_banned_until), or else 2 min doubling to 1 h.
// Any other answer resets the exponents.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/types.hpp"

namespace exitbrain {

enum class RateLimitKind : std::uint8_t { kRequestWeight, kOrders };

struct HttpHeaderView {
  std::string_view name;
  std::string_view value;
};

// What a request will cost: IP weight, and 1 per order counter for an order
// (POST /fapi/v1/order: weight 0, orders 1; positionRisk: weight 5, orders 0).
struct RequestCost {
  std::int64_t weight = 1;
  std::int64_t orders = 0;
};

struct RateLimitBackoff {
  TimeMs first_429_ms = 1'000;  // without Retry-After; doubles per consecutive 429
  TimeMs max_429_ms = 60'000;
  TimeMs first_ban_ms = 120'000;  // 418 without Retry-After or ban time; doubles per 418
  TimeMs max_ban_ms = 3'600'000;
};

struct RateLimitWindow {
  RateLimitKind kind = RateLimitKind::kRequestWeight;
  TimeMs interval_ms = 0;
  std::int64_t limit = 0;   // 0: not known (a header for an interval with no limit set)
  std::int64_t used = 0;    // in the window starting at window_start
  TimeMs window_start = 0;  // multiple of interval_ms; used is 0 once it has passed
  TimeMs window_end() const noexcept { return window_start + interval_ms; }
};

struct RateLimitCounters {
  std::uint64_t requests_sent = 0;
  std::uint64_t responses = 0;
  std::uint64_t http_429 = 0;
  std::uint64_t http_418 = 0;
  std::uint64_t retry_after_seen = 0;
  std::uint64_t headers_ignored = 0;  // a rate-limit header that could not be read or held
};

class RateLimitTracker {
 public:
  static constexpr std::size_t kMaxWindows = 8;

  // Binance's defaults: REQUEST_WEIGHT 2400 / 1 MINUTE, ORDERS 1200 / 1 MINUTE and 300 / 10
  // SECOND.
  RateLimitTracker() noexcept;
  explicit RateLimitTracker(const RateLimitBackoff& backoff) noexcept;

  // A limit; replaces the one of that kind and interval. False when all slots are taken
  // or the interval / limit is not positive.
  bool set_limit(RateLimitKind kind, TimeMs interval_ms, std::int64_t limit) noexcept;
  // An exchangeInfo "rateLimits" entry: rateLimitType "REQUEST_WEIGHT" or "ORDERS",
  // interval "SECOND" / "MINUTE" / "HOUR" / "DAY", intervalNum, limit. False for other
  // types (RAW_REQUESTS) or values.
  bool set_limit(std::string_view rate_limit_type, std::string_view interval, int interval_num,
                 std::int64_t limit) noexcept;
  // Weight kept free in every weight window for `essential` requests (order queries and
  // cancels while polling is throttled); 0 by default.
  void set_weight_reserve(std::int64_t reserve) noexcept { weight_reserve_ = reserve; }

  // Count a request as it leaves, so requests in flight are seen before their answers'
  // headers arrive.
  void on_request_sent(TimeMs now, const RequestCost& cost) noexcept;

  // One answer: its headers (any order; names case-insensitive), then its status.
  void on_response(TimeMs now, int http_status, std::span<const HttpHeaderView> headers) noexcept;
  // The same in pieces, for a header container that is walked: every on_header of an
  // answer, then its on_status.
  void on_header(TimeMs now, std::string_view name, std::string_view value) noexcept;
  void on_status(TimeMs now, int http_status) noexcept;
  // The ban time of a -1003 "IP banned until <ms>" message (see parse_banned_until).
  void on_banned_until(TimeMs until) noexcept;

  // Earliest time a request of this cost may go: `now` when it may go now. Weight windows
  // keep the reserve free unless `essential`.
  TimeMs not_before(TimeMs now, const RequestCost& cost = {},
                    bool essential = false) const noexcept;
  bool may_send(TimeMs now, const RequestCost& cost = {}, bool essential = false) const noexcept {
    return not_before(now, cost, essential) <= now;
  }

  // Until when every request waits because of a 429 / 418 (0 or past: no back-off).
  TimeMs backoff_until() const noexcept { return backoff_until_; }
  bool banned(TimeMs now) const noexcept { return banned_ && now < backoff_until_; }
  // Used in the current window of that kind and interval (0 when unknown or passed).
  std::int64_t used(RateLimitKind kind, TimeMs interval_ms, TimeMs now) const noexcept;
  std::int64_t limit(RateLimitKind kind, TimeMs interval_ms) const noexcept;
  std::span<const RateLimitWindow> windows() const noexcept { return {windows_.data(), count_}; }
  const RateLimitCounters& counters() const noexcept { return counters_; }

 private:
  RateLimitWindow* find(RateLimitKind kind, TimeMs interval_ms) noexcept;
  const RateLimitWindow* find(RateLimitKind kind, TimeMs interval_ms) const noexcept;
  RateLimitWindow* find_or_add(RateLimitKind kind, TimeMs interval_ms) noexcept;
  void extend_backoff(TimeMs until, bool ban) noexcept;

  RateLimitBackoff backoff_;
  std::array<RateLimitWindow, kMaxWindows> windows_{};
  std::size_t count_ = 0;
  std::int64_t weight_reserve_ = 0;
  TimeMs backoff_until_ = 0;
  bool banned_ = false;
  TimeMs pending_retry_after_ms_ = -1;  // of the answer being read; -1: none
  std::uint32_t consecutive_429_ = 0;
  std::uint32_t consecutive_418_ = 0;
  RateLimitCounters counters_;
};

// "<n><unit>" of a header suffix or interval ("1M", "10S", "1m", "1H", "1D") in ms; 0 when
// it is not one.
TimeMs rate_limit_interval_ms(std::string_view text) noexcept;

// The ms time in a -1003 message ("Way too many requests; IP banned until 1771000300000.
// ..."), 0 when there is none.
TimeMs parse_banned_until(std::string_view msg) noexcept;

}  // namespace exitbrain
