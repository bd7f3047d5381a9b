#include "net/rate_limits.hpp"

#include <algorithm>
#include <charconv>

namespace exitbrain {

namespace {

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool istarts_with(std::string_view text, std::string_view prefix) noexcept {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (lower(text[i]) != prefix[i]) return false;
  return true;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && istarts_with(a, b);
}

bool parse_count(std::string_view s, std::int64_t& out) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size() && out >= 0;
}

// Multiples of the interval; `now` is positive in practice, floor either way.
TimeMs window_start_of(TimeMs now, TimeMs interval) noexcept {
  TimeMs r = now % interval;
  if (r < 0) r += interval;
  return now - r;
}

TimeMs doubled(TimeMs first, std::uint32_t consecutive, TimeMs cap) noexcept {
  TimeMs d = first;
  for (std::uint32_t i = 1; i < consecutive && d < cap; ++i) d *= 2;
  return std::min(d, cap);
}

constexpr TimeMs kSecond = 1'000;
constexpr TimeMs kMinute = 60 * kSecond;
constexpr TimeMs kHour = 60 * kMinute;
constexpr TimeMs kDay = 24 * kHour;

}  // namespace

TimeMs rate_limit_interval_ms(std::string_view text) noexcept {
  if (text.size() < 2) return 0;
  TimeMs unit = 0;
  switch (lower(text.back())) {
    case 's':
      unit = kSecond;
      break;
    case 'm':
      unit = kMinute;
      break;
    case 'h':
      unit = kHour;
      break;
    case 'd':
      unit = kDay;
      break;
    default:
      return 0;
  }
  const std::string_view digits = text.substr(0, text.size() - 1);
  std::int64_t n = 0;
  const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size() || n <= 0 || n > 10'000)
    return 0;
  return n * unit;
}

TimeMs parse_banned_until(std::string_view msg) noexcept {
  constexpr std::string_view kMarker = "banned until";
  const std::size_t at = msg.find(kMarker);
  if (at == std::string_view::npos) return 0;
  std::string_view rest = msg.substr(at + kMarker.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  TimeMs t = 0;
  const auto r = std::from_chars(rest.data(), rest.data() + rest.size(), t);
  return r.ec == std::errc() && t > 0 ? t : 0;
}

RateLimitTracker::RateLimitTracker() noexcept : RateLimitTracker(RateLimitBackoff{}) {}

RateLimitTracker::RateLimitTracker(const RateLimitBackoff& backoff) noexcept : backoff_(backoff) {
  set_limit(RateLimitKind::kRequestWeight, kMinute, 2400);
  set_limit(RateLimitKind::kOrders, kMinute, 1200);
  set_limit(RateLimitKind::kOrders, 10 * kSecond, 300);
}

RateLimitWindow* RateLimitTracker::find(RateLimitKind kind, TimeMs interval_ms) noexcept {
  for (std::size_t i = 0; i < count_; ++i)
    if (windows_[i].kind == kind && windows_[i].interval_ms == interval_ms) return &windows_[i];
  return nullptr;
}

const RateLimitWindow* RateLimitTracker::find(RateLimitKind kind,
                                              TimeMs interval_ms) const noexcept {
  for (std::size_t i = 0; i < count_; ++i)
    if (windows_[i].kind == kind && windows_[i].interval_ms == interval_ms) return &windows_[i];
  return nullptr;
}

RateLimitWindow* RateLimitTracker::find_or_add(RateLimitKind kind, TimeMs interval_ms) noexcept {
  if (RateLimitWindow* w = find(kind, interval_ms)) return w;
  if (count_ == kMaxWindows) return nullptr;
  RateLimitWindow& w = windows_[count_++];
  w = RateLimitWindow{};
  w.kind = kind;
  w.interval_ms = interval_ms;
  return &w;
}

bool RateLimitTracker::set_limit(RateLimitKind kind, TimeMs interval_ms,
                                 std::int64_t limit) noexcept {
  if (interval_ms <= 0 || limit <= 0) return false;
  RateLimitWindow* w = find_or_add(kind, interval_ms);
  if (w == nullptr) return false;
  w->limit = limit;
  return true;
}

bool RateLimitTracker::set_limit(std::string_view rate_limit_type, std::string_view interval,
                                 int interval_num, std::int64_t limit) noexcept {
  RateLimitKind kind = RateLimitKind::kRequestWeight;
  if (rate_limit_type == "REQUEST_WEIGHT") {
    kind = RateLimitKind::kRequestWeight;
  } else if (rate_limit_type == "ORDERS") {
    kind = RateLimitKind::kOrders;
  } else {
    return false;
  }
  TimeMs unit = 0;
  if (interval == "SECOND") {
    unit = kSecond;
  } else if (interval == "MINUTE") {
    unit = kMinute;
  } else if (interval == "HOUR") {
    unit = kHour;
  } else if (interval == "DAY") {
    unit = kDay;
  } else {
    return false;
  }
  if (interval_num <= 0 || interval_num > 10'000) return false;
  return set_limit(kind, unit * interval_num, limit);
}

void RateLimitTracker::on_request_sent(TimeMs now, const RequestCost& cost) noexcept {
  ++counters_.requests_sent;
  for (std::size_t i = 0; i < count_; ++i) {
    RateLimitWindow& w = windows_[i];
    const std::int64_t c = w.kind == RateLimitKind::kRequestWeight ? cost.weight : cost.orders;
    if (c <= 0) continue;
    const TimeMs start = window_start_of(now, w.interval_ms);
    if (start > w.window_start) {
      w.window_start = start;
      w.used = 0;
    } else if (start < w.window_start) {
      continue;  // `now` behind what the headers told: already counted there
    }
    w.used += c;
  }
}

void RateLimitTracker::on_header(TimeMs now, std::string_view name,
                                 std::string_view value) noexcept {
  constexpr std::string_view kWeight = "x-mbx-used-weight-";
  constexpr std::string_view kOrders = "x-mbx-order-count-";
  RateLimitKind kind = RateLimitKind::kRequestWeight;
  std::string_view suffix;
  if (istarts_with(name, kWeight)) {
    kind = RateLimitKind::kRequestWeight;
    suffix = name.substr(kWeight.size());
  } else if (istarts_with(name, kOrders)) {
    kind = RateLimitKind::kOrders;
    suffix = name.substr(kOrders.size());
  } else {
    if (iequals(name, "retry-after")) {
      std::int64_t seconds = 0;
      if (parse_count(value, seconds) && seconds <= 3 * 24 * 3600) {
        pending_retry_after_ms_ = seconds * kSecond;
        ++counters_.retry_after_seen;
      } else {
        ++counters_.headers_ignored;  // an HTTP-date or garbage: the default back-off applies
      }
    }
    return;
  }
  const TimeMs interval = rate_limit_interval_ms(suffix);
  std::int64_t count = 0;
  RateLimitWindow* w =
      interval > 0 && parse_count(value, count) ? find_or_add(kind, interval) : nullptr;
  if (w == nullptr) {
    ++counters_.headers_ignored;
    return;
  }
  const TimeMs start = window_start_of(now, interval);
  if (start > w->window_start) {
    w->window_start = start;
    w->used = count;
  } else if (start == w->window_start) {
    // Answers can arrive out of order; within a window the count only grows.
    w->used = std::max(w->used, count);
  }
}

void RateLimitTracker::extend_backoff(TimeMs until, bool ban) noexcept {
  if (until > backoff_until_) backoff_until_ = until;
  if (ban) banned_ = true;
}

void RateLimitTracker::on_status(TimeMs now, int http_status) noexcept {
  ++counters_.responses;
  const TimeMs retry_after = pending_retry_after_ms_;
  pending_retry_after_ms_ = -1;
  if (http_status == 429) {
    ++counters_.http_429;
    ++consecutive_429_;
    const TimeMs delay =
        retry_after >= 0 ? retry_after
                         : doubled(backoff_.first_429_ms, consecutive_429_, backoff_.max_429_ms);
    extend_backoff(now + delay, false);
    return;
  }
  if (http_status == 418) {
    ++counters_.http_418;
    ++consecutive_418_;
    const TimeMs delay =
        retry_after >= 0 ? retry_after
                         : doubled(backoff_.first_ban_ms, consecutive_418_, backoff_.max_ban_ms);
    extend_backoff(now + delay, true);
    return;
  }
  consecutive_429_ = 0;
  consecutive_418_ = 0;
  if (now >= backoff_until_) banned_ = false;
}

void RateLimitTracker::on_response(TimeMs now, int http_status,
                                   std::span<const HttpHeaderView> headers) noexcept {
  for (const HttpHeaderView& h : headers) on_header(now, h.name, h.value);
  on_status(now, http_status);
}

void RateLimitTracker::on_banned_until(TimeMs until) noexcept {
  if (until > 0) extend_backoff(until, true);
}

TimeMs RateLimitTracker::not_before(TimeMs now, const RequestCost& cost,
                                    bool essential) const noexcept {
  TimeMs t = std::max(now, backoff_until_);
  for (std::size_t i = 0; i < count_; ++i) {
    const RateLimitWindow& w = windows_[i];
    const bool weight = w.kind == RateLimitKind::kRequestWeight;
    const std::int64_t c = weight ? cost.weight : cost.orders;
    if (c <= 0 || w.limit <= 0) continue;
    if (window_start_of(now, w.interval_ms) != w.window_start) continue;  // window passed
    const std::int64_t allowed = weight && !essential ? w.limit - weight_reserve_ : w.limit;
    if (w.used + c > allowed) t = std::max(t, w.window_end());
  }
  return t;
}

std::int64_t RateLimitTracker::used(RateLimitKind kind, TimeMs interval_ms,
                                    TimeMs now) const noexcept {
  const RateLimitWindow* w = find(kind, interval_ms);
  if (w == nullptr || window_start_of(now, interval_ms) != w->window_start) return 0;
  return w->used;
}

std::int64_t RateLimitTracker::limit(RateLimitKind kind, TimeMs interval_ms) const noexcept {
  const RateLimitWindow* w = find(kind, interval_ms);
  return w == nullptr ? 0 : w->limit;
}

}  // namespace exitbrain
