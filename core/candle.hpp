#pragma once
#include <cstdint>

#include "core/decimal.hpp"
#include "core/types.hpp"

namespace exitbrain {

// One OHLC bar. open_time is the bar's start; interval_ms its length.
struct Candle {
  TimeMs open_time = 0;
  std::int64_t interval_ms = 0;
  Price open{}, high{}, low{}, close{};

  TimeMs close_time() const noexcept { return open_time + interval_ms - 1; }
};

}  // namespace exitbrain
