#include "strategies/cross_exchange.hpp"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace exitbrain::cross_exchange {
namespace {

constexpr double kAtrWeight = 0.6;
constexpr double kFundingWeight = 0.8;
constexpr double kDivergenceWeight = 0.4;

bool valid(const NormalizedInput& in) noexcept {
  return std::isfinite(in.exchange_divergence) && std::isfinite(in.funding_delta) &&
         std::isfinite(in.volatility_factor) && in.volatility_factor >= 0.0 &&
         in.num_exchanges >= 1 && in.timestamp_ms > 0;
}

// snprintf that reports the length actually written (so truncation is visible and
// the return value is used).
// A C variadic, not a template: so the compiler checks each format against its arguments.
__attribute__((format(printf, 3, 4))) std::size_t write(char* out, std::size_t cap, const char* fmt,
                                                        ...) noexcept {
  if (cap == 0) return 0;
  std::va_list args;
  va_start(args, fmt);
  const int n = std::vsnprintf(out, cap, fmt, args);
  va_end(args);
  if (n < 0) {
    out[0] = '\0';
    return 0;
  }
  return std::min(static_cast<std::size_t>(n), cap - 1);
}

double seconds(TimeMs ms) noexcept {
  return static_cast<double>(ms) / 1000.0;
}

std::size_t write_fallback_reason(FallbackReason r, TimeMs age_ms, int fail_count, char* out,
                                  std::size_t cap) noexcept {
  switch (r) {
    case FallbackReason::kStale:
      return write(out, cap, "Data stale (%.1fs)", seconds(age_ms));
    case FallbackReason::kReadFailures:
      return write(out, cap, "%d consecutive read failures", fail_count);
    case FallbackReason::kNoData:
      return write(out, cap, "No data");
    case FallbackReason::kNone:
      break;
  }
  return write(out, cap, "Fresh data (%.1fs)", seconds(age_ms));
}

}  // namespace

std::string_view to_string(FallbackReason r) noexcept {
  switch (r) {
    case FallbackReason::kNone:
      return "NONE";
    case FallbackReason::kNoData:
      return "NO_DATA";
    case FallbackReason::kStale:
      return "STALE";
    case FallbackReason::kReadFailures:
      return "READ_FAILURES";
  }
  return "UNKNOWN";
}

std::string_view to_string(AlertType t) noexcept {
  return t == AlertType::kRecovered ? "RECOVERED" : "FALLBACK_TO_LOCAL";
}

std::size_t format_reasoning(const Adjustments& a, char* out, std::size_t cap) noexcept {
  if (a.local_mode) {
    switch (a.reason) {
      case FallbackReason::kStale:
        return write(out, cap, "Local mode (data stale %.1fs)", seconds(a.data_age_ms));
      case FallbackReason::kReadFailures:
        return write(out, cap, "Local mode (consecutive read failures)");
      default:
        return write(out, cap, "Local mode (no data)");
    }
  }
  return write(out, cap, "Vol:%.2f Div:%.3f Fund:%.4f | ATRx%.2f TPx%.3f SLx%.3f",
               a.volatility_factor, a.exchange_divergence, a.funding_delta, a.atr_multiplier,
               a.tp_multiplier, a.sl_multiplier);
}

Fractions apply_adjustments(const Adjustments& a, double base_tp, double base_sl) noexcept {
  Fractions f;
  f.tp = base_tp * a.tp_multiplier;
  f.sl = base_sl * a.sl_multiplier;
  // Written as !(x >= min) so a NaN falls back to the minimum rather than through.
  if (!(f.tp >= kMinTpFraction)) {
    f.tp = kMinTpFraction;
    f.tp_floored = true;
  }
  if (!(f.sl >= kMinSlFraction)) {
    f.sl = kMinSlFraction;
    f.sl_floored = true;
  }
  return f;
}

bool Adapter::on_data(const NormalizedInput& in, TimeMs now_ms) noexcept {
  if (!valid(in)) {
    on_read_failure(now_ms);
    return false;
  }
  ++status_.total_reads;
  status_.fail_count = 0;
  // Readings can arrive out of order; the newest one is the state of the market.
  if (!latest_ || in.timestamp_ms >= latest_->timestamp_ms) latest_ = in;
  update_mode(now_ms);
  return true;
}

void Adapter::on_read_failure(TimeMs now_ms) noexcept {
  ++status_.total_reads;
  ++status_.total_failures;
  ++status_.fail_count;
  update_mode(now_ms);
}

void Adapter::poll(TimeMs now_ms) noexcept {
  update_mode(now_ms);
}

Adjustments Adapter::adjustments(TimeMs now_ms) noexcept {
  update_mode(now_ms);
  Adjustments a;
  a.local_mode = status_.local_mode;
  a.reason = status_.reason;
  a.data_age_ms = data_age(now_ms);
  if (a.local_mode) return a;  // defaults: multipliers 1.0, trailing on

  a.volatility_factor = std::min(latest_->volatility_factor, kMaxVolatilityFactor);
  a.exchange_divergence = std::min(std::fabs(latest_->exchange_divergence), kMaxDivergence);
  a.funding_delta = std::clamp(latest_->funding_delta, -kMaxFundingDelta, kMaxFundingDelta);
  a.atr_multiplier = 1.0 + a.volatility_factor * kAtrWeight;
  a.tp_multiplier = 1.0 + a.funding_delta * kFundingWeight;
  a.sl_multiplier = 1.0 + a.exchange_divergence * kDivergenceWeight;
  a.use_trailing = a.volatility_factor < kTrailingVolatilityLimit;
  return a;
}

std::optional<Alert> Adapter::pop_alert() noexcept {
  if (alert_count_ == 0) return std::nullopt;
  const Alert a = alerts_[alert_head_];
  alert_head_ = (alert_head_ + 1) % kAlertQueueCapacity;
  --alert_count_;
  return a;
}

TimeMs Adapter::data_age(TimeMs now_ms) const noexcept {
  if (!latest_) return -1;
  return std::max<TimeMs>(0, now_ms - latest_->timestamp_ms);  // clock skew: not negative
}

FallbackReason Adapter::local_reason(TimeMs now_ms) const noexcept {
  if (status_.fail_count >= config_.max_consecutive_failures) return FallbackReason::kReadFailures;
  if (!latest_) return FallbackReason::kNoData;
  if (data_age(now_ms) > config_.stale_after_ms) return FallbackReason::kStale;
  return FallbackReason::kNone;
}

void Adapter::update_mode(TimeMs now_ms) noexcept {
  const FallbackReason reason = local_reason(now_ms);
  const bool local = reason != FallbackReason::kNone;
  if (local && !status_.local_mode) {
    push_alert(AlertType::kFallbackToLocal, reason, now_ms);
    fallback_alerted_ = true;
  } else if (!local && status_.local_mode && fallback_alerted_) {
    push_alert(AlertType::kRecovered, FallbackReason::kNone, now_ms);
    fallback_alerted_ = false;
  }
  status_.local_mode = local;
  status_.reason = reason;
}

void Adapter::push_alert(AlertType type, FallbackReason reason, TimeMs now_ms) noexcept {
  if (alert_count_ == kAlertQueueCapacity) {  // keep the newest: drop the oldest
    alert_head_ = (alert_head_ + 1) % kAlertQueueCapacity;
    --alert_count_;
    ++status_.dropped_alerts;
  }
  Alert& a = alerts_[(alert_head_ + alert_count_) % kAlertQueueCapacity];
  a = Alert{};
  a.type = type;
  a.reason = reason;
  a.time_ms = now_ms;
  a.data_age_ms = data_age(now_ms);
  a.fail_count = status_.fail_count;
  write_fallback_reason(reason, a.data_age_ms, a.fail_count, a.reason_buf.data(),
                        a.reason_buf.size());
  ++alert_count_;
}

}  // namespace exitbrain::cross_exchange
