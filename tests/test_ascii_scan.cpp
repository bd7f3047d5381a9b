// The 8-at-a-time helpers behind the tick's parse: never miss a character that ends a JSON
// string, never take a non-digit for a digit, and read digits exactly.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "core/ascii_scan.hpp"

namespace exitbrain {
namespace {

TEST(AsciiScan, EveryByteValueAtEveryPosition) {
  for (int pos = 0; pos < 8; ++pos) {
    for (int b = 0; b < 256; ++b) {
      const char c = static_cast<char>(b);
      std::string text = "AbCdEfGh";
      text[static_cast<std::size_t>(pos)] = c;
      const bool ends = c == '"' || c == '\\' || b < 0x20 || b >= 0x80;
      if (ends) {
        EXPECT_TRUE(may_end_json_string(load8(text.data()))) << pos << " " << b;
      }
      std::string digits = "12345678";
      digits[static_cast<std::size_t>(pos)] = c;
      EXPECT_EQ(eight_digits(load8(digits.data())), b >= '0' && b <= '9') << pos << " " << b;
    }
  }
  EXPECT_FALSE(may_end_json_string(load8("BTCUSDT@")));
  EXPECT_FALSE(may_end_json_string(load8("28155.10")));
}

TEST(AsciiScan, EightDigitsValue) {
  std::uint64_t x = 88172645463325252ull;
  for (int n = 0; n < 100'000; ++n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const unsigned v = static_cast<unsigned>(x % 100'000'000);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08u", v);
    ASSERT_TRUE(eight_digits(load8(buf))) << buf;
    EXPECT_EQ(eight_digits_value(load8(buf)), v) << buf;
  }
  EXPECT_EQ(eight_digits_value(load8("00000000")), 0u);
  EXPECT_EQ(eight_digits_value(load8("99999999")), 99'999'999u);
}

}  // namespace
}  // namespace exitbrain
