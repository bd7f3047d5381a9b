#pragma once
// Market regime per closed candle: RANGE, TRENDING or VOLATILE (docs/regime.md).
//
//   atr_pct = ATR / close
//   ER      = |close_t - close_{t-n}| / sum_{i=t-n+1..t} |close_i - close_{i-1}|,  n = er_period
//             (Kaufman's efficiency ratio: 1 for a straight line, near 0 for a zig-zag;
//             0 when the closes did not move at all)
//   VOLATILE  if atr_pct >= volatile_atr_pct                     (wins over the others)
//   TRENDING  else if ER >= trending_er
//   RANGE     otherwise
//   UNKNOWN   until the ATR is ready and n + 1 closes are known.
// Hysteresis: a regime already held is kept down to a lower exit threshold
// (volatile_exit_atr_pct, trending_exit_er), so a value wobbling around a threshold
// does not flip the exit policy every candle. Set the exit thresholds equal to the entry
// ones to turn it off.
//
// O(1) per candle: a ring of the last n + 1 closes and a running sum of absolute changes,
// recomputed from the ring once per n + 1 updates against floating-point drift.
#include <array>
#include <cstddef>

#include "core/atr.hpp"
#include "core/types.hpp"

namespace exitbrain {

inline constexpr int kMaxErPeriod = 512;

// Defaults tuned on Binance USD-M 5m candles (BTC, ETH, SOL): see docs/regime.md.
struct RegimeParams {
  int er_period = 20;              // 100 minutes of 5m candles; clamped to [1, kMaxErPeriod]
  double trending_er = 0.40;       // ~ the top decile of ER on 5m majors
  double volatile_atr_pct = 0.01;  // ATR(14) of 1% per 5m candle: crash-like tape
  // Hysteresis (last, so positional initialisation of the three above keeps working).
  double trending_exit_er = 0.35;        // stay TRENDING while ER >= this
  double volatile_exit_atr_pct = 0.008;  // stay VOLATILE while atr_pct >= this
};

class RegimeClassifier {
 public:
  explicit RegimeClassifier(RegimeParams params = {}) noexcept;

  // One closed candle: its close and the ATR after that candle (atr_ready as the ATR says).
  // Refuses a non-finite close or ATR (kNotFinite), a negative ATR (kNegative) and a
  // close <= 0 (kNotPositive: there is no ATR percentage of a zero price); a refused
  // update changes nothing.
  [[nodiscard]] IndicatorError update(double close, double atr, bool atr_ready) noexcept;

  Regime regime() const noexcept { return regime_; }
  // ER over the last er_period changes; 0 until the window is full.
  double efficiency_ratio() const noexcept { return er_; }
  // ATR / close of the latest update; 0 until the ATR is ready.
  double atr_pct() const noexcept { return atr_pct_; }
  bool ready() const noexcept { return regime_ != Regime::kUnknown; }
  void reset() noexcept;

  const RegimeParams& params() const noexcept { return params_; }

 private:
  void push_close(double close) noexcept;
  double change_sum() const noexcept;
  bool window_full() const noexcept { return size_ == window_; }
  Regime classify() const noexcept;

  RegimeParams params_;
  int window_;  // er_period + 1 closes
  std::array<double, kMaxErPeriod + 1> closes_{};
  int head_ = 0;  // next slot to overwrite: the oldest close once the ring is full
  int size_ = 0;
  double newest_ = 0.0;
  double path_ = 0.0;  // running sum of |close_i - close_{i-1}| inside the window
  double er_ = 0.0;
  double atr_pct_ = 0.0;
  Regime regime_ = Regime::kUnknown;
};

}  // namespace exitbrain
