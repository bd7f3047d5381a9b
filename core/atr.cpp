#include "core/atr.hpp"

#include <algorithm>
#include <cmath>

namespace exitbrain {

const char* to_string(AtrMethod m) noexcept {
  return m == AtrMethod::kSma ? "sma" : "wilder";
}

const char* to_string(IndicatorError e) noexcept {
  switch (e) {
    case IndicatorError::kOk:
      return "ok";
    case IndicatorError::kNotFinite:
      return "value is not a finite number";
    case IndicatorError::kNegative:
      return "value is negative";
    case IndicatorError::kHighBelowLow:
      return "high is below low";
    case IndicatorError::kCloseOutsideRange:
      return "close is outside [low, high]";
    case IndicatorError::kNotPositive:
      return "price is not positive";
  }
  return "unknown indicator error";
}

IndicatorError validate_hlc(double high, double low, double close) noexcept {
  if (!std::isfinite(high) || !std::isfinite(low) || !std::isfinite(close)) {
    return IndicatorError::kNotFinite;
  }
  if (high < 0.0 || low < 0.0 || close < 0.0) return IndicatorError::kNegative;
  if (high < low) return IndicatorError::kHighBelowLow;
  if (close < low || close > high) return IndicatorError::kCloseOutsideRange;
  return IndicatorError::kOk;
}

Atr::Atr(int period, AtrMethod method) noexcept
    : period_(std::clamp(period, 1, kMaxAtrPeriod)), method_(method) {}

void Atr::reset() noexcept {
  count_ = 0;
  prev_close_ = 0.0;
  last_tr_ = 0.0;
  value_ = 0.0;
  ring_.fill(0.0);
  head_ = 0;
  sum_ = 0.0;
}

IndicatorError Atr::update(double high, double low, double close) noexcept {
  if (const IndicatorError e = validate_hlc(high, low, close); e != IndicatorError::kOk) return e;
  const double tr = true_range(high, low);
  // Wilder only needs the window to build its seed; after that it is pure recursion.
  if (method_ == AtrMethod::kWilder && ready()) {
    update_wilder(tr);
  } else {
    push_window(tr);
    // Cancellation in the running sum can leave a tiny negative residue: an ATR is never < 0.
    value_ = std::max(0.0, sum_ / period_);
  }
  prev_close_ = close;
  last_tr_ = tr;
  ++count_;
  return IndicatorError::kOk;
}

double Atr::true_range(double high, double low) const noexcept {
  if (count_ == 0) return high - low;  // no previous close yet
  return std::max({high - low, std::fabs(high - prev_close_), std::fabs(low - prev_close_)});
}

void Atr::push_window(double tr) noexcept {
  const bool full = count_ >= static_cast<std::size_t>(period_);
  if (full) sum_ -= ring_[static_cast<std::size_t>(head_)];
  ring_[static_cast<std::size_t>(head_)] = tr;
  sum_ += tr;
  if (++head_ == period_) {
    head_ = 0;
    // The add/subtract running sum accumulates rounding error without bound, and a large
    // TR leaving the window can swamp the small ones left in it. Re-adding the ring once
    // per N updates caps the error at one window's worth and costs O(1) amortised.
    sum_ = window_sum();
  }
}

void Atr::update_wilder(double tr) noexcept {
  // (atr * (N - 1) + tr) / N, written without a multiply-add: with -march=native the
  // compiler may fuse a*b+c into an FMA, which changes the last digit between builds and
  // machines. A subtraction, a division and an addition cannot be contracted.
  value_ += (tr - value_) / static_cast<double>(period_);
}

double Atr::window_sum() const noexcept {
  double s = 0.0;
  for (int i = 0; i < period_; ++i) s += ring_[static_cast<std::size_t>(i)];
  return s;
}

}  // namespace exitbrain
