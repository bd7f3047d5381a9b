#pragma once
// Small vocabulary shared by every stage: sides, regimes, ids.
#include <cstdint>
#include <string_view>

namespace exitbrain {

using SymbolId = std::uint16_t;
inline constexpr SymbolId kNoSymbol = 0xFFFF;

// Milliseconds since the Unix epoch, as the exchange stamps its events.
using TimeMs = std::int64_t;

enum class Side : std::uint8_t { kLong, kShort };

// +1 for a long, -1 for a short: every side-dependent formula multiplies by this,
// which is what makes a SHORT the exact mirror of a LONG.
constexpr int side_sign(Side s) noexcept {
  return s == Side::kLong ? 1 : -1;
}
constexpr std::string_view to_string(Side s) noexcept {
  return s == Side::kLong ? "LONG" : "SHORT";
}

enum class Regime : std::uint8_t { kUnknown, kRange, kTrending, kVolatile };

constexpr std::string_view to_string(Regime r) noexcept {
  switch (r) {
    case Regime::kRange:
      return "RANGE";
    case Regime::kTrending:
      return "TRENDING";
    case Regime::kVolatile:
      return "VOLATILE";
    case Regime::kUnknown:
      break;
  }
  return "UNKNOWN";
}

}  // namespace exitbrain
