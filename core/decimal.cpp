#include "core/decimal.hpp"

#include <cmath>
#include <limits>

#include "core/ascii_scan.hpp"

namespace exitbrain {

namespace {
// GCC/Clang 128-bit integer; __extension__ keeps -Wpedantic quiet about it.
__extension__ typedef unsigned __int128 u128;
}  // namespace

std::optional<Decimal> Decimal::from_double(double v) noexcept {
  if (!std::isfinite(v)) return std::nullopt;
  const double scaled = std::nearbyint(v * static_cast<double>(kOne));
  // 2^63 is exactly representable; anything at or beyond it does not fit.
  if (scaled >= 9.2233720368547758e18 || scaled < -9.2233720368547758e18) return std::nullopt;
  return from_units(static_cast<std::int64_t>(scaled));
}

std::string_view to_string(DecimalError e) noexcept {
  switch (e) {
    case DecimalError::kOk:
      return "ok";
    case DecimalError::kEmpty:
      return "empty number";
    case DecimalError::kSyntax:
      return "not a decimal number";
    case DecimalError::kPrecision:
      return "more than 8 decimal places";
    case DecimalError::kRange:
      return "number out of range";
  }
  return "unknown";
}

DecimalError parse_decimal(std::string_view s, Decimal& out) noexcept {
  if (s.empty()) return DecimalError::kEmpty;
  // The exchange's own layout, 1 to 8 digits, the point and exactly 8 decimals
  // ("28173.10000000", "0.00010000"): two words of 8 digits, no loop (reading 8 bytes from
  // the start is safe: the text has at least 10). A sign fails the digit check and goes the
  // way below.
  if (s.size() >= 10 && s.size() <= 17 && s[s.size() - 9] == '.') {
    const std::size_t whole_digits = s.size() - 9;
    std::uint64_t whole = load8(s.data());
    if (whole_digits < 8) whole = zero_padded(whole, static_cast<unsigned>(whole_digits));
    const std::uint64_t fraction = load8(s.data() + s.size() - 8);
    if (eight_digits(whole) && eight_digits(fraction)) {
      out =
          Decimal::from_units(static_cast<std::int64_t>(eight_digits_value(whole)) * Decimal::kOne +
                              eight_digits_value(fraction));
      return DecimalError::kOk;
    }
  }
  std::size_t i = 0;
  bool negative = false;
  if (s[i] == '-' || s[i] == '+') {
    negative = s[i] == '-';
    ++i;
  }
  // Fast path for what the exchange sends ("28173.10000000"): at most 18 digits, no
  // exponent, at most 8 after the point, in range: exact in 64 bits. Anything else goes the
  // general way below, which gives the same answer for these and the errors for the rest.
  {
    static constexpr std::int64_t kPow10[9] = {1,      10,      100,      1000,     10000,
                                               100000, 1000000, 10000000, 100000000};
    std::uint64_t m = 0;
    int digits = 0, fraction = -1;
    std::size_t j = i;
    bool wide = true;  // try 8 at once: at the start, and again right after the point
    while (j < s.size()) {
      // Eight digits at once while they fit (the 8 decimals of an exchange price do).
      if (wide && s.size() - j >= 8 && digits + 8 <= 18) {
        const std::uint64_t word = load8(s.data() + j);
        if (eight_digits(word)) {
          m = m * 100'000'000 + eight_digits_value(word);
          digits += 8;
          if (fraction >= 0) fraction += 8;
          j += 8;
          continue;
        }
        wide = false;
      }
      const char c = s[j];
      if (c >= '0' && c <= '9') {
        m = m * 10 + static_cast<unsigned>(c - '0');
        ++digits;
        if (fraction >= 0) ++fraction;
      } else if (c == '.' && fraction < 0) {
        fraction = 0;
        wide = true;
      } else {
        break;
      }
      ++j;
    }
    const int frac = fraction < 0 ? 0 : fraction;
    if (j == s.size() && digits > 0 && digits <= 18 && frac <= Decimal::kScale) {
      const std::int64_t scale = kPow10[Decimal::kScale - frac];
      const auto mm = static_cast<std::int64_t>(m);
      if (mm <= std::numeric_limits<std::int64_t>::max() / scale) {
        out = Decimal::from_units(negative ? -(mm * scale) : mm * scale);
        return DecimalError::kOk;
      }
    }
  }
  // Collect significant digits into an unsigned mantissa and track the decimal exponent.
  u128 mantissa = 0;
  int exponent = 0;  // value = mantissa * 10^exponent
  bool any_digit = false;
  bool saw_point = false;
  constexpr u128 kMantissaLimit = static_cast<u128>(1) << 100;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      any_digit = true;
      if (mantissa < kMantissaLimit) {
        mantissa = mantissa * 10 + static_cast<unsigned>(c - '0');
        if (saw_point) --exponent;
      } else if (!saw_point) {
        return DecimalError::kRange;
      } else if (c != '0') {
        return DecimalError::kPrecision;
      }
    } else if (c == '.' && !saw_point) {
      saw_point = true;
    } else {
      break;
    }
  }
  if (!any_digit) return DecimalError::kSyntax;
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return DecimalError::kSyntax;
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
      exp_negative = s[i] == '-';
      ++i;
    }
    if (i == s.size()) return DecimalError::kSyntax;
    int e = 0;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return DecimalError::kSyntax;
      if (e < 10000) e = e * 10 + (s[i] - '0');
    }
    exponent += exp_negative ? -e : e;
  }
  // Bring to 8 fractional digits exactly.
  int shift = exponent + Decimal::kScale;
  while (shift < 0) {
    if (mantissa % 10 != 0) return DecimalError::kPrecision;
    mantissa /= 10;
    ++shift;
  }
  constexpr u128 kMax = std::numeric_limits<std::int64_t>::max();
  while (shift > 0) {
    if (mantissa == 0) break;
    mantissa *= 10;
    --shift;
    if (mantissa > kMax) return DecimalError::kRange;
  }
  if (mantissa > kMax) return DecimalError::kRange;
  const auto units = static_cast<std::int64_t>(mantissa);
  out = Decimal::from_units(negative ? -units : units);
  return DecimalError::kOk;
}

std::size_t format_decimal(Decimal d, char* out) noexcept {
  char tmp[kMaxDecimalChars];
  std::int64_t u = d.units();
  const bool negative = u < 0;
  // Work in unsigned so INT64_MIN formats too.
  std::uint64_t v = negative ? (~static_cast<std::uint64_t>(u) + 1) : static_cast<std::uint64_t>(u);
  std::uint64_t int_part = v / Decimal::kOne;
  std::uint64_t frac = v % Decimal::kOne;
  int frac_digits = Decimal::kScale;
  while (frac_digits > 0 && frac % 10 == 0) {
    frac /= 10;
    --frac_digits;
  }
  std::size_t n = 0;
  if (frac_digits > 0) {
    for (int k = 0; k < frac_digits; ++k) {
      tmp[n++] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    tmp[n++] = '.';
  }
  do {
    tmp[n++] = static_cast<char>('0' + int_part % 10);
    int_part /= 10;
  } while (int_part != 0);
  if (negative) tmp[n++] = '-';
  for (std::size_t k = 0; k < n; ++k) out[k] = tmp[n - 1 - k];
  return n;
}

std::string to_string(Decimal d) {
  char buf[kMaxDecimalChars];
  return std::string(buf, format_decimal(d, buf));
}

int decimal_places(Decimal d) noexcept {
  std::int64_t frac = d.units() % Decimal::kOne;
  if (frac < 0) frac = -frac;
  if (frac == 0) return 0;
  int places = Decimal::kScale;
  while (frac % 10 == 0) {
    frac /= 10;
    --places;
  }
  return places;
}

}  // namespace exitbrain
