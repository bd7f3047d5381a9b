#pragma once
// Binance kline interval names ("1m", "5m", "1h", ...) and their length in milliseconds.
#include <cstdint>
#include <optional>
#include <string_view>

namespace exitbrain {

inline constexpr std::int64_t kMinuteMs = 60'000;

// The Binance intervals whose buckets start at multiples of their length since the epoch:
// 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d. nullopt for anything else, including "1w"
// (weeks start on Monday, not on the epoch's Thursday) and "1M" (no fixed length).
std::optional<std::int64_t> parse_interval_ms(std::string_view name) noexcept;

// Any kline interval Binance sends in a kline's "i" ("1s" ... "1w"); nullopt for "1M"
// (no fixed length) and anything else.
std::optional<std::int64_t> kline_interval_ms(std::string_view name) noexcept;

}  // namespace exitbrain
