#pragma once
// Eight bytes at a time over ASCII text (SWAR: one 64-bit word holds 8 characters), for the
// two places a market tick spends its parse time: decimal digits, and JSON string bodies.
// Callers guarantee 8 readable bytes at `p`; the first character is the word's low byte.
#include <cstdint>
#include <cstring>

namespace exitbrain {

inline std::uint64_t load8(const char* p) noexcept {
  std::uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}

inline std::uint32_t load4(const char* p) noexcept {
  std::uint32_t x;
  std::memcpy(&x, p, 4);
  return x;
}

// The characters of the 8 that are not '0'..'9': each such byte is non-zero in the result.
// A byte after the first may be flagged falsely (a carry out of a byte >= 0xFA), so only
// the lowest flag is exact: countr_zero(result) / 8 is the first non-digit, 0 means none.
inline std::uint64_t non_digits(std::uint64_t x) noexcept {
  // Each byte's high nibble is 3, and adding 6 keeps it 3 (the byte is at most '9').
  return ((x & 0xF0F0F0F0F0F0F0F0ull) |
          (((x + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4)) ^
         0x3333333333333333ull;
}

// True when all 8 characters are '0'..'9'.
inline bool eight_digits(std::uint64_t x) noexcept {
  return non_digits(x) == 0;
}

// The first `n` (1..7) characters of x moved to the top of the word and '0's before them:
// the same number, now 8 digits long.
inline std::uint64_t zero_padded(std::uint64_t x, unsigned n) noexcept {
  return (x << (8 * (8 - n))) | (0x3030303030303030ull >> (8 * n));
}

// The value of 8 digits (eight_digits(x) must hold): pairs, then quads, then all eight.
inline std::uint32_t eight_digits_value(std::uint64_t x) noexcept {
  x = (x & 0x0F0F0F0F0F0F0F0Full) * 2561 >> 8;
  x = (x & 0x00FF00FF00FF00FFull) * 6553601 >> 16;
  return static_cast<std::uint32_t>((x & 0x0000FFFF0000FFFFull) * 42949672960001ull >> 32);
}

// The characters that end a plain JSON string body among the 8: '"', '\\', a control
// character (< 0x20) or one not ASCII (>= 0x80; plain ASCII needs no UTF-8 validation, so
// the fast path takes only it). Each such byte has its high bit set in the result; bytes
// after the first may be flagged falsely (a borrow), so only the lowest flag is exact:
// countr_zero(result) / 8 is the first such character, and 0 means there is none.
inline std::uint64_t json_string_stops(std::uint64_t x) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const std::uint64_t below_space = (x - 0x20 * kOnes) & ~x & kHigh;
  return has_zero(x ^ (kOnes * '"')) | has_zero(x ^ (kOnes * '\\')) | below_space | (x & kHigh);
}

}  // namespace exitbrain
