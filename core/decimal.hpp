#pragma once
// Fixed-point decimal for every number that meets the exchange (prices, quantities,
// tick and step sizes). Eight fractional digits: the widest precision Binance uses.
// Parsing is exact, comparisons are exact, formatting is exact: "0.3" stays "0.3".
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace exitbrain {

class Decimal {
 public:
  static constexpr int kScale = 8;
  static constexpr std::int64_t kOne = 100'000'000;

  constexpr Decimal() noexcept = default;
  static constexpr Decimal from_units(std::int64_t units) noexcept {
    Decimal d;
    d.units_ = units;
    return d;
  }
  static constexpr Decimal from_int(std::int64_t v) noexcept { return from_units(v * kOne); }
  // Nearest representable value; nullopt for NaN, infinities and out-of-range values.
  static std::optional<Decimal> from_double(double v) noexcept;

  constexpr std::int64_t units() const noexcept { return units_; }
  double to_double() const noexcept { return static_cast<double>(units_) / kOne; }
  constexpr bool is_zero() const noexcept { return units_ == 0; }
  constexpr bool is_positive() const noexcept { return units_ > 0; }
  constexpr bool is_negative() const noexcept { return units_ < 0; }

  // Grid rounding. `step` must be positive; values already on the grid are unchanged.
  constexpr Decimal floor_to(Decimal step) const noexcept {
    std::int64_t r = units_ % step.units_;
    if (r < 0) r += step.units_;
    return from_units(units_ - r);
  }
  constexpr Decimal ceil_to(Decimal step) const noexcept {
    Decimal f = floor_to(step);
    return f.units_ == units_ ? f : from_units(f.units_ + step.units_);
  }
  constexpr bool is_multiple_of(Decimal step) const noexcept { return units_ % step.units_ == 0; }

  friend constexpr Decimal operator+(Decimal a, Decimal b) noexcept {
    return from_units(a.units_ + b.units_);
  }
  friend constexpr Decimal operator-(Decimal a, Decimal b) noexcept {
    return from_units(a.units_ - b.units_);
  }
  friend constexpr Decimal operator-(Decimal a) noexcept { return from_units(-a.units_); }
  constexpr Decimal& operator+=(Decimal b) noexcept {
    units_ += b.units_;
    return *this;
  }
  constexpr Decimal& operator-=(Decimal b) noexcept {
    units_ -= b.units_;
    return *this;
  }
  friend constexpr auto operator<=>(Decimal a, Decimal b) noexcept = default;

 private:
  std::int64_t units_ = 0;
};

using Price = Decimal;
using Qty = Decimal;

enum class DecimalError : std::uint8_t {
  kOk,
  kEmpty,
  kSyntax,     // not a plain or exponent decimal number
  kPrecision,  // non-zero digits beyond 8 decimal places
  kRange,      // does not fit in the fixed-point range
};
std::string_view to_string(DecimalError e) noexcept;

// Exact parse of "123", "-0.0015", "1.465", "1e-5", "2.50E+3". Never rounds: a digit
// that cannot be represented is an error. No allocation, no exceptions.
[[nodiscard]] DecimalError parse_decimal(std::string_view text, Decimal& out) noexcept;

// Shortest exact text ("1.4357", "40", "-0.003"). Needs kMaxDecimalChars of space;
// returns the number of characters written (no terminator).
inline constexpr std::size_t kMaxDecimalChars = 24;
std::size_t format_decimal(Decimal d, char* out) noexcept;
std::string to_string(Decimal d);

// Number of fractional digits actually used ("0.0010" -> 3, "5" -> 0).
int decimal_places(Decimal d) noexcept;

}  // namespace exitbrain
