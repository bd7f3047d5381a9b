#include "core/interval.hpp"

#include <array>

namespace exitbrain {
namespace {

constexpr std::int64_t kSecondMs = 1000;
constexpr std::int64_t kHourMs = 60 * kMinuteMs;
constexpr std::int64_t kDayMs = 24 * kHourMs;

struct Interval {
  std::string_view name;
  std::int64_t ms;
  bool epoch_aligned;  // buckets start at multiples of the length since the epoch
};

// Every kline interval Binance names (but "1M", which has no fixed length).
constexpr std::array<Interval, 15> kIntervals{{
    {"1s", kSecondMs, true},
    {"1m", kMinuteMs, true},
    {"3m", 3 * kMinuteMs, true},
    {"5m", 5 * kMinuteMs, true},
    {"15m", 15 * kMinuteMs, true},
    {"30m", 30 * kMinuteMs, true},
    {"1h", kHourMs, true},
    {"2h", 2 * kHourMs, true},
    {"4h", 4 * kHourMs, true},
    {"6h", 6 * kHourMs, true},
    {"8h", 8 * kHourMs, true},
    {"12h", 12 * kHourMs, true},
    {"1d", kDayMs, true},
    {"3d", 3 * kDayMs, false},
    {"1w", 7 * kDayMs, false},  // weeks start on Monday, not on the epoch's Thursday
}};

const Interval* find(std::string_view name) noexcept {
  for (const Interval& i : kIntervals)
    if (i.name == name) return &i;
  return nullptr;
}

}  // namespace

std::optional<std::int64_t> parse_interval_ms(std::string_view name) noexcept {
  const Interval* i = find(name);
  if (!i || !i->epoch_aligned || i->ms < kMinuteMs) return std::nullopt;
  return i->ms;
}

std::optional<std::int64_t> kline_interval_ms(std::string_view name) noexcept {
  const Interval* i = find(name);
  if (!i) return std::nullopt;
  return i->ms;
}

}  // namespace exitbrain
