// The 8-at-a-time helpers behind the tick's parse: find exactly the first character that
// ends a JSON string, never take a non-digit for a digit, and read digits exactly.
#include <gtest/gtest.h>

#include <bit>
#include <cstdio>
#include <string>

#include "core/ascii_scan.hpp"

namespace exitbrain {
namespace {

// The index of the lowest flagged byte of a flag word (8: none).
int first_flag(std::uint64_t flags) {
  return flags == 0 ? 8 : std::countr_zero(flags) / 8;
}
int first_stop(std::uint64_t x) {
  return first_flag(json_string_stops(x));
}
bool ends_string(int b) {
  return b == '"' || b == '\\' || b < 0x20 || b >= 0x80;
}
bool not_digit(int b) {
  return b < '0' || b > '9';
}

// Two characters of every value at every pair of positions in `base`: the lowest flag of
// `flags` is the first character that `flagged` picks, whatever follows it (a false flag may
// sit only above the first true one). Returns the number of words checked.
int expect_first_flag_exact(const char* base, std::uint64_t (*flags)(std::uint64_t),
                            bool (*flagged)(int)) {
  int checked = 0;
  for (int first = 0; first < 8; ++first)
    for (int second = first + 1; second < 8; ++second)
      for (int a = 0; a < 256; ++a)
        for (int b = 0; b < 256; ++b) {
          std::string text = base;
          text[static_cast<std::size_t>(first)] = static_cast<char>(a);
          text[static_cast<std::size_t>(second)] = static_cast<char>(b);
          const int want = flagged(a) ? first : flagged(b) ? second : 8;
          const int got = first_flag(flags(load8(text.data())));
          if (got != want) {
            ADD_FAILURE() << base << " " << first << ":" << a << " " << second << ":" << b
                          << " got " << got;
            return checked;
          }
          ++checked;
        }
  return checked;
}

TEST(AsciiScan, EveryByteValueAtEveryPosition) {
  for (int pos = 0; pos < 8; ++pos) {
    for (int b = 0; b < 256; ++b) {
      const char c = static_cast<char>(b);
      std::string text = "AbCdEfGh";
      text[static_cast<std::size_t>(pos)] = c;
      EXPECT_EQ(first_stop(load8(text.data())), ends_string(b) ? pos : 8) << pos << " " << b;
      std::string digits = "12345678";
      digits[static_cast<std::size_t>(pos)] = c;
      EXPECT_EQ(eight_digits(load8(digits.data())), b >= '0' && b <= '9') << pos << " " << b;
    }
  }
  EXPECT_EQ(first_stop(load8("BTCUSDT@")), 8);
  EXPECT_EQ(first_stop(load8("28155.10")), 8);
  EXPECT_EQ(first_stop(load8("BTCUSDT\"")), 7);
}

TEST(AsciiScan, TheFirstStopAndTheFirstNonDigitAreExactWhateverFollows) {
  EXPECT_EQ(expect_first_flag_exact("xYz01_-@", json_string_stops, ends_string), 28 * 256 * 256);
  EXPECT_EQ(expect_first_flag_exact("31415926", non_digits, not_digit), 28 * 256 * 256);
}

// A number shorter than 8 digits padded with '0's keeps its value.
TEST(AsciiScan, PaddingKeepsTheValue) {
  for (unsigned n = 1; n < 8; ++n) {
    const char* text = "98765432";
    unsigned want = 0;
    for (unsigned k = 0; k < n; ++k) want = want * 10 + static_cast<unsigned>(text[k] - '0');
    const std::uint64_t padded = zero_padded(load8(text), n);
    ASSERT_TRUE(eight_digits(padded)) << n;
    EXPECT_EQ(eight_digits_value(padded), want) << n;
  }
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
