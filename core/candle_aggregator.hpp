#pragma once
// Builds candles of one interval (e.g. 5m) from finer closed candles or from a price stream.
//
// Buckets are aligned to the epoch, as Binance aligns its klines: a bucket starts at
// t - t % interval_ms. Emitted candles carry interval_ms = interval_ms(). Each instance
// feeds one symbol from one source: use either on_candle() or on_price(), not both.
//
// Hot path: no allocation, no exceptions; emit is called synchronously, in time order.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/candle.hpp"
#include "core/decimal.hpp"
#include "core/types.hpp"

namespace exitbrain {

class CandleAggregator {
 public:
  // Beyond this many empty buckets the feed was down rather than the market flat, and the
  // cap bounds the work a single on_price() call can do.
  static constexpr std::int64_t kDefaultMaxGapFill = 10'000;

  // interval_ms is clamped to >= 1 and max_gap_fill to >= 0: a constructor has no error
  // channel on the hot path, and interval_ms() shows the value in use.
  explicit CandleAggregator(std::int64_t interval_ms,
                            std::int64_t max_gap_fill = kDefaultMaxGapFill) noexcept
      : interval_ms_(std::max<std::int64_t>(interval_ms, 1)),
        max_gap_fill_(std::max<std::int64_t>(max_gap_fill, 0)) {}

  // Folds a closed candle whose interval divides interval_ms() (precondition). Emits
  //  - the open bucket first, as a partial candle, if c belongs to a later bucket (a gap
  //    in the input: nothing is invented for the missing candles);
  //  - the bucket c completes, if c is its last candle.
  // An input that starts before the end of the previous input is a replay (e.g. a
  // re-sent kline after a reconnect) and is ignored: folding it again could move the
  // close backwards.
  template <class Emit>
  void on_candle(const Candle& c, Emit&& emit) noexcept {
    if (c.open_time < seen_end_) return;
    const TimeMs start = bucket_start(c.open_time);
    if (open_ && start != cur_.open_time) close_bucket(emit);
    if (open_) {
      fold(c.high, c.low, c.close);
    } else {
      open_bucket(start, c.open, c.high, c.low, c.close);
    }
    seen_end_ = c.open_time + c.interval_ms;
    if (seen_end_ >= bucket_end()) close_bucket(emit);
  }

  // Folds one observed price (trade, mark price). A price at or after the bucket end
  // closes the bucket; the empty buckets in between are emitted as flat candles at the
  // previous close, as the exchange does for klines without trades, at most
  // max_gap_fill() of them (the rest is skipped and the new bucket starts at t).
  // A price stamped before the open bucket (a late message) is folded into it: it is
  // still the latest price seen, and the bucket it belonged to is already published.
  template <class Emit>
  void on_price(TimeMs t, Price p, Emit&& emit) noexcept {
    if (!open_) {
      open_bucket(bucket_start(t), p, p, p, p);
      return;
    }
    if (t < bucket_end()) {
      fold(p, p, p);
      return;
    }
    const TimeMs first_empty = bucket_end();
    const Price prev_close = cur_.close;
    close_bucket(emit);
    const TimeMs start = bucket_start(t);
    const std::int64_t fills = std::min((start - first_empty) / interval_ms_, max_gap_fill_);
    for (std::int64_t i = 0; i < fills; ++i) {
      emit(flat_candle(first_empty + i * interval_ms_, prev_close));
    }
    open_bucket(start, p, p, p, p);
  }

  void reset() noexcept {
    cur_ = Candle{};
    open_ = false;
    seen_end_ = std::numeric_limits<TimeMs>::min();
  }

  std::int64_t interval_ms() const noexcept { return interval_ms_; }
  std::int64_t max_gap_fill() const noexcept { return max_gap_fill_; }
  // The bucket being built, valid while has_open_bucket(): a live view of the candle.
  bool has_open_bucket() const noexcept { return open_; }
  const Candle& current() const noexcept { return cur_; }

  // Floor to the interval grid, also for times before the epoch.
  TimeMs bucket_start(TimeMs t) const noexcept {
    const std::int64_t r = t % interval_ms_;
    return r < 0 ? t - r - interval_ms_ : t - r;
  }

 private:
  TimeMs bucket_end() const noexcept { return cur_.open_time + interval_ms_; }

  void open_bucket(TimeMs start, Price o, Price h, Price l, Price c) noexcept {
    cur_.open_time = start;
    cur_.interval_ms = interval_ms_;
    cur_.open = o;
    cur_.high = h;
    cur_.low = l;
    cur_.close = c;
    open_ = true;
  }

  void fold(Price h, Price l, Price c) noexcept {
    cur_.high = std::max(cur_.high, h);
    cur_.low = std::min(cur_.low, l);
    cur_.close = c;
  }

  template <class Emit>
  void close_bucket(Emit& emit) noexcept {
    open_ = false;
    emit(static_cast<const Candle&>(cur_));
  }

  Candle flat_candle(TimeMs start, Price p) const noexcept {
    Candle c;
    c.open_time = start;
    c.interval_ms = interval_ms_;
    c.open = c.high = c.low = c.close = p;
    return c;
  }

  std::int64_t interval_ms_;
  std::int64_t max_gap_fill_;
  Candle cur_{};
  bool open_ = false;
  TimeMs seen_end_ = std::numeric_limits<TimeMs>::min();  // end of the latest input candle
};

}  // namespace exitbrain
