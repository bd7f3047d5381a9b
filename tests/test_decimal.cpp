#include <gtest/gtest.h>

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

}  // namespace
}  // namespace exitbrain
