#include "core/regime.hpp"

#include <algorithm>
#include <cmath>

namespace exitbrain {
namespace {

// An exit threshold above its entry threshold would make a regime impossible to hold;
// clamping it to the entry threshold simply turns hysteresis off.
RegimeParams sanitize(RegimeParams p) noexcept {
  p.er_period = std::clamp(p.er_period, 1, kMaxErPeriod);
  p.trending_exit_er = std::min(p.trending_exit_er, p.trending_er);
  p.volatile_exit_atr_pct = std::min(p.volatile_exit_atr_pct, p.volatile_atr_pct);
  return p;
}

}  // namespace

RegimeClassifier::RegimeClassifier(RegimeParams params) noexcept
    : params_(sanitize(params)), window_(params_.er_period + 1) {}

void RegimeClassifier::reset() noexcept {
  closes_.fill(0.0);
  head_ = 0;
  size_ = 0;
  newest_ = 0.0;
  path_ = 0.0;
  er_ = 0.0;
  atr_pct_ = 0.0;
  regime_ = Regime::kUnknown;
}

IndicatorError RegimeClassifier::update(double close, double atr, bool atr_ready) noexcept {
  if (!std::isfinite(close) || !std::isfinite(atr)) return IndicatorError::kNotFinite;
  if (close < 0.0 || atr < 0.0) return IndicatorError::kNegative;
  if (close == 0.0) return IndicatorError::kNotPositive;

  push_close(close);
  if (window_full()) {
    const double oldest = closes_[static_cast<std::size_t>(head_)];
    // Drift can push the ratio a hair past 1; a flat window has no direction at all.
    er_ = path_ > 0.0 ? std::min(1.0, std::fabs(newest_ - oldest) / path_) : 0.0;
  }
  atr_pct_ = atr_ready ? atr / close : 0.0;
  regime_ = atr_ready && window_full() ? classify() : Regime::kUnknown;
  return IndicatorError::kOk;
}

void RegimeClassifier::push_close(double close) noexcept {
  if (size_ > 0) path_ += std::fabs(close - newest_);
  if (window_full()) {
    const auto oldest = static_cast<std::size_t>(head_);
    const auto second = static_cast<std::size_t>((head_ + 1) % window_);
    path_ -= std::fabs(closes_[second] - closes_[oldest]);
  } else {
    ++size_;
  }
  closes_[static_cast<std::size_t>(head_)] = close;
  newest_ = close;
  if (++head_ == window_) {
    head_ = 0;
    // Same reason as the ATR ring: re-adding the window once per wrap bounds the drift
    // of the add/subtract running sum at O(1) amortised cost.
    if (window_full()) path_ = change_sum();
  }
}

double RegimeClassifier::change_sum() const noexcept {
  double s = 0.0;
  for (int i = 0; i + 1 < size_; ++i) {
    const auto a = static_cast<std::size_t>((head_ + i) % window_);
    const auto b = static_cast<std::size_t>((head_ + i + 1) % window_);
    s += std::fabs(closes_[b] - closes_[a]);
  }
  return s;
}

Regime RegimeClassifier::classify() const noexcept {
  const double vol_bar =
      regime_ == Regime::kVolatile ? params_.volatile_exit_atr_pct : params_.volatile_atr_pct;
  if (atr_pct_ >= vol_bar) return Regime::kVolatile;
  const double er_bar =
      regime_ == Regime::kTrending ? params_.trending_exit_er : params_.trending_er;
  if (er_ >= er_bar) return Regime::kTrending;
  return Regime::kRange;
}

}  // namespace exitbrain
