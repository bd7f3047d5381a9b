#pragma once
// Average True Range, updated once per closed candle in O(1).
//
// True Range = max(high - low, |high - prev_close|, |low - prev_close|); the first candle
// has no previous close, so its TR is high - low.
//   kSma:    ATR = mean of the last N true ranges.
//   kWilder: seeded with the mean of the first N true ranges, then
//            atr = (atr * (N - 1) + tr) / N  (computed as atr + (tr - atr) / N).
// Both are ready after N true ranges; value() is 0 until then.
//
// Hot-path rules: no allocation (the ring is a fixed array), no exceptions, no I/O.
#include <array>
#include <cstddef>
#include <cstdint>

namespace exitbrain {

enum class AtrMethod : std::uint8_t { kSma, kWilder };
const char* to_string(AtrMethod m) noexcept;

// Why an indicator refused an input. A refused input never changes the indicator.
enum class IndicatorError : std::uint8_t {
  kOk,
  kNotFinite,  // NaN or infinity
  kNegative,   // a price or range below zero
  kHighBelowLow,
  kCloseOutsideRange,  // close not within [low, high]
  kNotPositive,        // a price of zero where a ratio needs a positive one
};
// A short lower-case description, e.g. "high is below low".
const char* to_string(IndicatorError e) noexcept;

// Checks one OHLC triple the way every candle indicator needs it.
[[nodiscard]] IndicatorError validate_hlc(double high, double low, double close) noexcept;

// Largest supported period: 512 five-minute candles is ~1.8 days, far beyond any exit ATR.
inline constexpr int kMaxAtrPeriod = 512;

class Atr {
 public:
  // period is clamped to [1, kMaxAtrPeriod], the same in every build: a constructor
  // has no error channel here, and the clamped period is visible through period().
  Atr(int period, AtrMethod method) noexcept;

  // Folds one closed candle. Returns kOk, or why the candle was refused (then nothing
  // changes: neither the ATR nor the previous close used for the next true range).
  [[nodiscard]] IndicatorError update(double high, double low, double close) noexcept;

  bool ready() const noexcept { return count_ >= static_cast<std::size_t>(period_); }
  double value() const noexcept { return ready() ? value_ : 0.0; }
  void reset() noexcept;

  int period() const noexcept { return period_; }
  AtrMethod method() const noexcept { return method_; }
  // True ranges accepted since construction or the last reset().
  std::size_t count() const noexcept { return count_; }
  // The latest true range (0 before the first candle).
  double last_true_range() const noexcept { return last_tr_; }

 private:
  double true_range(double high, double low) const noexcept;
  void push_window(double tr) noexcept;
  void update_wilder(double tr) noexcept;
  double window_sum() const noexcept;

  int period_;
  AtrMethod method_;
  std::size_t count_ = 0;
  double prev_close_ = 0.0;
  double last_tr_ = 0.0;
  double value_ = 0.0;
  // SMA window (and the Wilder seed while warming up).
  std::array<double, kMaxAtrPeriod> ring_{};
  int head_ = 0;  // next slot to overwrite: the oldest TR once the ring is full
  double sum_ = 0.0;
};

}  // namespace exitbrain
