#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <string>

#include "core/decimal.hpp"

namespace exitbrain {
namespace {

Decimal D(const char* s) {
  Decimal d;
  EXPECT_EQ(parse_decimal(s, d), DecimalError::kOk) << s;
  return d;
}

TEST(Decimal, ParsesPlainNumbersExactly) {
  EXPECT_EQ(D("1.465").units(), 146'500'000);
  EXPECT_EQ(D("-0.0015").units(), -150'000);
  EXPECT_EQ(D("28147.27373413").units(), 2'814'727'373'413);
  EXPECT_EQ(D("40").units(), 4'000'000'000);
  EXPECT_EQ(D("+3.").units(), 300'000'000);
  EXPECT_EQ(D(".5").units(), 50'000'000);
  EXPECT_EQ(D("0.10000000000").units(), 10'000'000);  // trailing zeros beyond 8 places are exact
}

TEST(Decimal, ParsesExponents) {
  EXPECT_EQ(D("1e-5").units(), 1000);
  EXPECT_EQ(D("2.50E+3").units(), 250'000'000'000);
  EXPECT_EQ(D("15e-1").units(), 150'000'000);
}

TEST(Decimal, RejectsWhatItCannotRepresent) {
  Decimal d = Decimal::from_int(7);
  EXPECT_EQ(parse_decimal("", d), DecimalError::kEmpty);
  EXPECT_EQ(parse_decimal("abc", d), DecimalError::kSyntax);
  EXPECT_EQ(parse_decimal("1.2.3", d), DecimalError::kSyntax);
  EXPECT_EQ(parse_decimal("NaN", d), DecimalError::kSyntax);
  EXPECT_EQ(parse_decimal("1e", d), DecimalError::kSyntax);
  EXPECT_EQ(parse_decimal("0.30000000000000004", d), DecimalError::kPrecision);
  EXPECT_EQ(parse_decimal("1e-9", d), DecimalError::kPrecision);
  EXPECT_EQ(parse_decimal("99999999999999", d), DecimalError::kRange);
  EXPECT_EQ(d, Decimal::from_int(7)) << "a failed parse must not touch the output";
}

TEST(Decimal, FormatsShortestExactText) {
  EXPECT_EQ(to_string(D("0.1") + D("0.2")), "0.3");
  EXPECT_EQ(to_string(D("1.46500")), "1.465");
  EXPECT_EQ(to_string(D("40")), "40");
  EXPECT_EQ(to_string(D("-0.003")), "-0.003");
  EXPECT_EQ(to_string(D("0")), "0");
  EXPECT_EQ(to_string(D("0.00000001")), "0.00000001");
  EXPECT_EQ(to_string(Decimal::from_units(INT64_MIN)), "-92233720368.54775808");
}

TEST(Decimal, RoundsToGrid) {
  const Decimal tick = D("0.0001");
  EXPECT_EQ(to_string(D("1.43578").floor_to(tick)), "1.4357");
  EXPECT_EQ(to_string(D("1.43578").ceil_to(tick)), "1.4358");
  EXPECT_EQ(to_string(D("1.4357").ceil_to(tick)), "1.4357");
  EXPECT_EQ(to_string(D("-1.43578").floor_to(tick)), "-1.4358");
  EXPECT_EQ(to_string(D("40.9").floor_to(D("1"))), "40");
  EXPECT_TRUE(D("0.003").is_multiple_of(D("0.001")));
  EXPECT_FALSE(D("0.0035").is_multiple_of(D("0.001")));
}

TEST(Decimal, FromDoubleRoundsToNearestAndRejectsNonFinite) {
  EXPECT_EQ(to_string(*Decimal::from_double(0.1 + 0.2)), "0.3");
  EXPECT_EQ(to_string(*Decimal::from_double(1.465 * 1.065)), "1.560225");
  EXPECT_FALSE(Decimal::from_double(std::numeric_limits<double>::quiet_NaN()).has_value());
  EXPECT_FALSE(Decimal::from_double(std::numeric_limits<double>::infinity()).has_value());
  EXPECT_FALSE(Decimal::from_double(1e12).has_value());
}

TEST(Decimal, CountsDecimalPlaces) {
  EXPECT_EQ(decimal_places(D("0.0010")), 3);
  EXPECT_EQ(decimal_places(D("5")), 0);
  EXPECT_EQ(decimal_places(D("28147.27373413")), 8);
}

// The 64-bit fast path (plain text, <= 18 digits, <= 8 decimals) and the general path must
// agree: every value written as text with trailing zeros, leading zeros, signs and every
// number of decimals parses to the same units, and the edges fall back correctly.
TEST(Decimal, FastAndGeneralPathsAgree) {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int n = 0; n < 20000; ++n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const auto units = static_cast<std::int64_t>(x % 100'000'000'000'000'000ull) *
                       (n % 2 ? -1 : 1) / static_cast<std::int64_t>(1 + n % 1000);
    char buf[64];
    const std::size_t len = format_decimal(Decimal::from_units(units), buf);
    const std::string text(buf, len);
    Decimal d;
    ASSERT_EQ(parse_decimal(text, d), DecimalError::kOk) << text;
    EXPECT_EQ(d.units(), units) << text;
    // The same value with 8 decimals written out (the exchange's form) and an exponent
    // (the general path).
    const std::int64_t whole = units / Decimal::kOne, frac = units % Decimal::kOne;
    std::snprintf(buf, sizeof buf, "%s%lld.%08lld", units < 0 ? "-" : "",
                  static_cast<long long>(whole < 0 ? -whole : whole),
                  static_cast<long long>(frac < 0 ? -frac : frac));
    ASSERT_EQ(parse_decimal(buf, d), DecimalError::kOk) << buf;
    EXPECT_EQ(d.units(), units) << buf;
    std::snprintf(buf, sizeof buf, "%llde-8", static_cast<long long>(units));
    ASSERT_EQ(parse_decimal(buf, d), DecimalError::kOk) << buf;
    EXPECT_EQ(d.units(), units) << buf;
  }
  Decimal d;
  EXPECT_EQ(parse_decimal("92233720368.54775807", d), DecimalError::kOk);  // INT64_MAX units
  EXPECT_EQ(d.units(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse_decimal("92233720368.54775808", d), DecimalError::kRange);
  EXPECT_EQ(parse_decimal("999999999999999999", d), DecimalError::kRange);  // 18 digits, too big
  EXPECT_EQ(parse_decimal("0.000000001", d), DecimalError::kPrecision);     // 9 decimals
  EXPECT_EQ(parse_decimal("0.000000010", d), DecimalError::kOk);            // 9, trailing zero
  EXPECT_EQ(d.units(), 1);
  EXPECT_EQ(parse_decimal("000000000000000000001.5", d), DecimalError::kOk);  // 22 digits
  EXPECT_EQ(d.units(), 150'000'000);
  EXPECT_EQ(parse_decimal("1.", d), DecimalError::kOk);
  EXPECT_EQ(d.units(), Decimal::kOne);
  EXPECT_EQ(parse_decimal(".5", d), DecimalError::kOk);
  EXPECT_EQ(d.units(), Decimal::kOne / 2);
  EXPECT_EQ(parse_decimal("-", d), DecimalError::kSyntax);
  EXPECT_EQ(parse_decimal(".", d), DecimalError::kSyntax);
  EXPECT_EQ(parse_decimal("1.2.3", d), DecimalError::kSyntax);
}

// The exchange's layout, "<1 to 8 digits>.<8 digits>", has its own two-word path: every
// integer width, the edges of its width range, and one wrong character at every position,
// which must give the answer of the way for everything else.
TEST(Decimal, ExchangeLayoutPathEdges) {
  Decimal d;
  std::int64_t whole = 0;
  for (int width = 1; width <= 9; ++width) {
    whole = whole * 10 + width;  // 1, 12, 123, ... 123456789
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%08d", static_cast<long long>(whole), 4321);
    ASSERT_EQ(parse_decimal(buf, d), DecimalError::kOk) << buf;
    EXPECT_EQ(d.units(), whole * Decimal::kOne + 4321) << buf;
    const std::string text = buf;
    for (std::size_t at = 0; at < text.size(); ++at) {
      for (const char bad : {'x', ' ', '/', ':', '-', '\0'}) {
        std::string bent = text;
        bent[at] = bad;
        Decimal fast, general;
        const DecimalError want = parse_decimal(bent + "e0", general);  // never the new path
        EXPECT_EQ(parse_decimal(bent, fast), want) << bent;
        if (want == DecimalError::kOk) {
          EXPECT_EQ(fast, general) << bent;
        }
      }
    }
  }
  EXPECT_EQ(parse_decimal("00000000.00000001", d), DecimalError::kOk);
  EXPECT_EQ(d.units(), 1);
  EXPECT_EQ(parse_decimal("99999999.99999999", d), DecimalError::kOk);
  EXPECT_EQ(d.units(), 9'999'999'999'999'999);
  EXPECT_EQ(parse_decimal("-1.00000000", d), DecimalError::kOk);
  EXPECT_EQ(d.units(), -Decimal::kOne);
  EXPECT_EQ(parse_decimal("1.0000000", d), DecimalError::kOk);  // 7 decimals: the other way
  EXPECT_EQ(d.units(), Decimal::kOne);
}

}  // namespace
}  // namespace exitbrain
