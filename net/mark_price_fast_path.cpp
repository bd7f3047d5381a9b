#include "net/mark_price_fast_path.hpp"

#include "core/ascii_scan.hpp"

namespace exitbrain {

namespace {

// A forward-only reader over the message: every step checks and advances, or fails.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  bool literal(std::string_view lit) noexcept {
    if (s_.substr(i_, lit.size()) != lit) return false;
    i_ += lit.size();
    return true;
  }
  // A JSON string's content up to its closing quote, which is consumed. Refuses escapes,
  // control characters and anything not ASCII (which simdjson would have to validate as
  // UTF-8), so the raw text is the string's value.
  bool string_body(std::string_view& out) noexcept {
    const std::size_t from = i_;
    while (s_.size() - i_ >= 8 && !may_end_json_string(load8(s_.data() + i_))) i_ += 8;
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
    std::int64_t v = 0;
    std::size_t n = 0;
    if (s_.size() - i_ >= 8 && eight_digits(load8(s_.data() + i_))) {  // 13-digit times
      v = eight_digits_value(load8(s_.data() + i_));
      n = 8;
      i_ += 8;
    }
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
      if (++n > 18) return false;
      v = v * 10 + (s_[i_] - '0');
      ++i_;
    }
    if (n == 0 || (n > 1 && s_[i_ - n] == '0')) return false;
    out = v;
    return true;
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

bool symbol_name(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (const char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// "ap", the mark price's moving average, not used: today's stream sends it after "p"; the
// recorded one of 2023 has none. Optional, and read to check it is a plain string.
bool moving_average(Cursor& c) noexcept {
  std::string_view skipped;
  return !c.literal(R"(,"ap":")") || c.string_body(skipped);
}

// The index price "i" and the estimated settle price "P", not used: both are read (to check
// they are plain strings) in either order. Binance's documentation shows "i" first; the
// recorded stream sends "P" first.
bool index_and_settle(Cursor& c) noexcept {
  std::string_view skipped;
  if (c.literal(R"(,"P":")"))
    return c.string_body(skipped) && c.literal(R"(,"i":")") && c.string_body(skipped);
  return c.literal(R"(,"i":")") && c.string_body(skipped) && c.literal(R"(,"P":")") &&
         c.string_body(skipped);
}

}  // namespace

bool parse_mark_price_fast(std::string_view msg, FastMarkPrice& out) noexcept {
  Cursor c(msg);
  std::string_view stream, symbol, price, rate;
  std::int64_t event_time = 0, next_funding = 0;
  if (!c.literal(R"({"stream":")") || !c.string_body(stream) ||
      !c.literal(R"(,"data":{"e":"markPriceUpdate","E":)") || !c.integer(event_time) ||
      !c.literal(R"(,"s":")") || !c.string_body(symbol) || !symbol_name(symbol) ||
      !c.literal(R"(,"p":")") || !c.string_body(price) || !moving_average(c) ||
      !index_and_settle(c) || !c.literal(R"(,"r":")") || !c.string_body(rate) ||
      !c.literal(R"(,"T":)") || !c.integer(next_funding) || !c.literal("}}") || !c.at_end())
    return false;
  Price p;
  if (parse_decimal(price, p) != DecimalError::kOk || !p.is_positive()) return false;
  Decimal r;  // "" for contracts without funding: 0, as the general path reads it
  if (!rate.empty() && parse_decimal(rate, r) != DecimalError::kOk) return false;
  out.symbol = symbol;
  out.event_time = event_time;
  out.price = p;
  out.funding_rate = r.to_double();
  return true;
}

}  // namespace exitbrain
