#include "core/interval.hpp"

#include <array>
#include <utility>

namespace exitbrain {
namespace {

constexpr std::int64_t kHourMs = 60 * kMinuteMs;
constexpr std::int64_t kDayMs = 24 * kHourMs;

constexpr std::array<std::pair<std::string_view, std::int64_t>, 12> kIntervals{{
    {"1m", kMinuteMs},
    {"3m", 3 * kMinuteMs},
    {"5m", 5 * kMinuteMs},
    {"15m", 15 * kMinuteMs},
    {"30m", 30 * kMinuteMs},
    {"1h", kHourMs},
    {"2h", 2 * kHourMs},
    {"4h", 4 * kHourMs},
    {"6h", 6 * kHourMs},
    {"8h", 8 * kHourMs},
    {"12h", 12 * kHourMs},
    {"1d", kDayMs},
}};

}  // namespace

std::optional<std::int64_t> parse_interval_ms(std::string_view name) noexcept {
  for (const auto& [text, ms] : kIntervals) {
    if (text == name) return ms;
  }
  return std::nullopt;
}

}  // namespace exitbrain
