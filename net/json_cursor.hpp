#pragma once
// A forward-only reader over one JSON message in a layout known in advance, for the market
// fast paths (net/market_fast_paths.hpp): every step checks what it expects and advances,
// or fails and leaves the message to simdjson. What it accepts is valid JSON by
// construction: literals compared whole, plain ASCII strings without escapes, plain
// non-negative integers, true or false.
#include <bit>
#include <cstdint>
#include <string_view>

#include "core/ascii_scan.hpp"

namespace exitbrain {

// A forward-only reader over the message: every step checks and advances, or fails.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  // The literal's text, compared a word at a time: its length is a constant, so this is
  // two or three loads and compares (overlapping when the length is not a multiple).
  template <std::size_t N>
  bool literal(const char (&lit)[N]) noexcept {
    constexpr std::size_t n = N - 1;
    if (s_.size() - i_ < n) return false;
    const char* at = s_.data() + i_;
    if constexpr (n >= 8) {
      std::uint64_t differ = load8(at + n - 8) ^ load8(lit + n - 8);
      for (std::size_t k = 0; k + 8 < n; k += 8) differ |= load8(at + k) ^ load8(lit + k);
      if (differ != 0) return false;
    } else if constexpr (n >= 4) {
      if (((load4(at) ^ load4(lit)) | (load4(at + n - 4) ^ load4(lit + n - 4))) != 0) return false;
    } else {
      for (std::size_t k = 0; k < n; ++k)
        if (at[k] != lit[k]) return false;
    }
    i_ += n;
    return true;
  }
  // A JSON string's content up to its closing quote, which is consumed. Refuses escapes,
  // control characters and anything not ASCII (which simdjson would have to validate as
  // UTF-8), so the raw text is the string's value.
  bool string_body(std::string_view& out) noexcept {
    const std::size_t from = i_;
    for (; s_.size() - i_ >= 8; i_ += 8) {
      const std::uint64_t stops = json_string_stops(load8(s_.data() + i_));
      if (stops != 0) {
        i_ += static_cast<std::size_t>(std::countr_zero(stops) / 8);
        if (s_[i_] != '"') return false;
        out = s_.substr(from, i_ - from);
        ++i_;
        return true;
      }
    }
    for (; i_ < s_.size(); ++i_) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        out = s_.substr(from, i_ - from);
        ++i_;
        return true;
      }
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
    }
    return false;
  }
  // A non-negative integer of 1 to 18 digits (no sign, no leading zero unless it is "0").
  bool integer(std::int64_t& out) noexcept {
    // 8 to 15 digits (13 in ms times): 8 at once, then the rest of the next word at once.
    // Near the end of the text the next word is read from the text's last 8 bytes and
    // shifted down: the bytes past the end become 0, which is no digit.
    const std::size_t left = s_.size() - i_;
    if (left >= 9) {
      const char* at = s_.data() + i_;
      const std::uint64_t head = load8(at);
      const std::uint64_t tail =
          left >= 16 ? load8(at + 8) : load8(s_.data() + s_.size() - 8) >> (8 * (16 - left));
      const std::uint64_t tail_stops = non_digits(tail);
      if (eight_digits(head) && tail_stops != 0 && at[0] != '0') {
        static constexpr std::int64_t kPow10[8] = {1,      10,      100,       1000,
                                                   10'000, 100'000, 1'000'000, 10'000'000};
        const auto more = static_cast<unsigned>(std::countr_zero(tail_stops) / 8);  // 0..7
        std::int64_t v = eight_digits_value(head);
        if (more > 0) v = v * kPow10[more] + eight_digits_value(zero_padded(tail, more));
        i_ += 8 + more;
        out = v;
        return true;
      }
    }
    std::int64_t v = 0;
    std::size_t n = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
      if (++n > 18) return false;
      v = v * 10 + (s_[i_] - '0');
      ++i_;
    }
    if (n == 0 || (n > 1 && s_[i_ - n] == '0')) return false;
    out = v;
    return true;
  }
  // A JSON true or false.
  bool boolean(bool& out) noexcept {
    if (literal("true")) {
      out = true;
      return true;
    }
    if (literal("false")) {
      out = false;
      return true;
    }
    return false;
  }
  // Only whitespace left.
  bool at_end() const noexcept {
    for (std::size_t j = i_; j < s_.size(); ++j)
      if (s_[j] != ' ' && s_[j] != '\n' && s_[j] != '\r' && s_[j] != '\t') return false;
    return true;
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace exitbrain
