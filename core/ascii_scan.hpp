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

// True when all 8 characters are '0'..'9'.
inline bool eight_digits(std::uint64_t x) noexcept {
  // Each byte's high nibble is 3, and adding 6 keeps it 3 (the byte is at most '9').
  return ((x & 0xF0F0F0F0F0F0F0F0ull) |
          (((x + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4)) == 0x3333333333333333ull;
}

// The value of 8 digits (eight_digits(x) must hold): pairs, then quads, then all eight.
inline std::uint32_t eight_digits_value(std::uint64_t x) noexcept {
  x = (x & 0x0F0F0F0F0F0F0F0Full) * 2561 >> 8;
  x = (x & 0x00FF00FF00FF00FFull) * 6553601 >> 16;
  return static_cast<std::uint32_t>((x & 0x0000FFFF0000FFFFull) * 42949672960001ull >> 32);
}

// True when one of the 8 characters may be '"', '\\', a control character (< 0x20) or not
// ASCII (>= 0x80): the caller then looks byte by byte (a true answer can be a false alarm;
// false never misses). Plain ASCII needs no UTF-8 validation, so the fast path takes only it.
inline bool may_end_json_string(std::uint64_t x) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const std::uint64_t below_space = (x - 0x20 * kOnes) & ~x & kHigh;
  return (has_zero(x ^ (kOnes * '"')) | has_zero(x ^ (kOnes * '\\')) | below_space | (x & kHigh)) !=
         0;
}

}  // namespace exitbrain
