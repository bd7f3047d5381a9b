#pragma once
// Numbers as text for what exitbrain prints and publishes (off the hot path).
#include <array>
#include <charconv>
#include <string>

#include "core/decimal.hpp"
#include "strategies/adaptive_levels.hpp"

namespace exitbrain {

// The shortest text that reads back as the same double: inputs echo as they were given.
inline std::string shortest_text(double v) {
  std::array<char, 32> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), r.ptr);
}

// Prices and fractions at 8 decimals, the exchange's widest precision, as exact text.
inline std::string eight_decimals_text(double v) {
  const auto d = Decimal::from_double(v);
  return d ? to_string(*d) : shortest_text(v);
}

// "leverage_floor,tp_min_distance": what moved the levels away from the plain formula.
inline std::string clamp_names(LevelClamps clamps, const char* separator = ",") {
  std::string out;
  for (LevelClamp c : kAllLevelClamps) {
    if (!clamps.has(c)) continue;
    if (!out.empty()) out += separator;
    out += to_string(c);
  }
  return out;
}

}  // namespace exitbrain
