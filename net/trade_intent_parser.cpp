#include "net/trade_intent_parser.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <system_error>

namespace exitbrain {

namespace {

// ---- the intent's fields ------------------------------------------------------------------

// In the order errors are looked for (the header's list).
enum class Key : std::uint8_t {
  kSymbol,
  kSide,
  kConfidence,
  kEntryPrice,
  kStopLoss,
  kTakeProfit,
  kPositionSizeUsd,
  kLeverage,
  kAtrValue,
  kVolatilityFactor,
  kExchangeDivergence,
  kFundingRate,
  kRegime,
  kTimestamp,
  kModel,
  kReason,
  kCount
};
constexpr std::size_t kKeyCount = static_cast<std::size_t>(Key::kCount);
constexpr std::array<std::string_view, kKeyCount> kKeyNames = {
    "symbol",
    "side",
    "confidence",
    "entry_price",
    "stop_loss",
    "take_profit",
    "position_size_usd",
    "leverage",
    "atr_value",
    "volatility_factor",
    "exchange_divergence",
    "funding_rate",
    "regime",
    "timestamp",
    "model",
    "reason",
};

constexpr std::size_t kMaxModelBytes = 128;
constexpr std::size_t kMaxReasonBytes = 256;
// How much of an offending value an error quotes: enough to recognise it, never a flood.
constexpr std::size_t kShownBytes = 40;

std::optional<Key> key_of(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kKeyCount; ++i)
    if (kKeyNames[i] == name) return static_cast<Key>(i);
  return std::nullopt;
}

std::string_view name_of(Key k) noexcept {
  return kKeyNames[static_cast<std::size_t>(k)];
}

// A field's value as found in the entry, before its rule is applied. Both shapes end up
// here, so every rule below is written once and flat and JSON cannot drift apart.
struct Raw {
  enum class Kind : std::uint8_t {
    kAbsent,
    kNull,    // JSON null
    kText,    // a flat value or a JSON string
    kNumber,  // a JSON number
    kOther,   // JSON true/false/array/object; `text` says which
  };
  Kind kind = Kind::kAbsent;
  std::string_view text;
  double number = 0;
};
using RawFields = std::array<Raw, kKeyCount>;

// ---- text helpers -------------------------------------------------------------------------

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view lower_b) noexcept {
  if (a.size() != lower_b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower_b[i]) return false;
  return true;
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// The first kShownBytes of a value, safe to log or republish: a control or non-ASCII byte
// (a binary value, a terminal escape) becomes \xNN, and so does '\' so the escape stays
// unambiguous.
std::string shown(std::string_view s) {
  if (s.empty()) return "an empty value";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  const std::size_t n = std::min(s.size(), kShownBytes);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  if (s.size() > n) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

// Shortest text that reads back as the same double: "1.465", not "1.465000".
std::string shown(double d) {
  std::array<char, 64> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), d);
  if (r.ec != std::errc()) return "?";  // cannot happen: 64 bytes hold any double
  return std::string(buf.data(), r.ptr);
}

std::string shown(const Raw& r) {
  switch (r.kind) {
    case Raw::Kind::kNumber:
      return shown(r.number);
    case Raw::Kind::kText:
      return shown(r.text);
    case Raw::Kind::kOther:
      return std::string(r.text);
    case Raw::Kind::kNull:
      return "null";
    case Raw::Kind::kAbsent:
      break;
  }
  return "nothing";
}

// from_chars answers result_out_of_range both for 1e999 and for 1e-999; only the first is
// "not finite". The decimal exponent of the leading significant digit tells them apart
// (the text is known to be valid from_chars syntax when this is asked).
bool overflows(std::string_view s) noexcept {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  long int_digits = 0, leading_fraction_zeros = 0;
  bool significant = false;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    if (significant || s[i] != '0') {
      significant = true;
      ++int_digits;
    }
  }
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && is_digit(s[i]); ++i) {
      if (significant) continue;
      if (s[i] == '0')
        ++leading_fraction_zeros;
      else
        significant = true;
    }
  }
  long exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
    for (; i < s.size() && is_digit(s[i]); ++i)
      exponent = std::min(exponent * 10 + (s[i] - '0'), 1'000'000L);  // far past any double
    if (negative) exponent = -exponent;
  }
  const long magnitude =
      int_digits > 0 ? int_digits - 1 + exponent : exponent - leading_fraction_zeros - 1;
  return magnitude > 0;
}

// ---- reading the fields -------------------------------------------------------------------

// Applies the rules to the collected fields. Each reader either gives a value, says the
// field is absent, or records the error and says so.
class Reader {
 public:
  enum class Got : std::uint8_t { kAbsent, kValue, kFailed };

  Reader(const RawFields& raw, IntentError& error) : raw_(raw), error_(error) {}

  bool fail(Key k, std::string reason) {
    error_.field = std::string(name_of(k));
    error_.reason = std::move(reason);
    return false;
  }
  const Raw& raw(Key k) const noexcept { return raw_[static_cast<std::size_t>(k)]; }

  Got number(Key k, double& out) {
    const Raw& r = raw(k);
    switch (r.kind) {
      case Raw::Kind::kAbsent:
      case Raw::Kind::kNull:
        return Got::kAbsent;
      case Raw::Kind::kOther:
        fail(k, "not a number, got " + shown(r));
        return Got::kFailed;
      case Raw::Kind::kNumber:
        out = r.number;
        break;
      case Raw::Kind::kText: {
        const char* const end = r.text.data() + r.text.size();
        const auto res = std::from_chars(r.text.data(), end, out);
        if (res.ec == std::errc::result_out_of_range && res.ptr == end) {
          fail(k, overflows(r.text) ? "not a finite number, got " + shown(r)
                                    : "too close to zero for a double, got " + shown(r));
          return Got::kFailed;
        }
        if (res.ec != std::errc() || res.ptr != end) {
          fail(k, "not a number, got " + shown(r));
          return Got::kFailed;
        }
        break;
      }
    }
    // simdjson refuses non-finite JSON numbers, but "nan" and "inf" are valid from_chars.
    if (!std::isfinite(out)) {
      fail(k, "not a finite number, got " + shown(r));
      return Got::kFailed;
    }
    return Got::kValue;
  }

  bool required_number(Key k, double& out) {
    const Got g = number(k, out);
    return g == Got::kAbsent ? fail(k, "missing") : g == Got::kValue;
  }

  // Absent leaves `out` at its default and `present` false.
  bool optional_number(Key k, double& out, bool& present) {
    const Got g = number(k, out);
    present = g == Got::kValue;
    return g != Got::kFailed;
  }

  Got text(Key k, std::string_view& out) {
    const Raw& r = raw(k);
    switch (r.kind) {
      case Raw::Kind::kAbsent:
      case Raw::Kind::kNull:
        return Got::kAbsent;
      case Raw::Kind::kText:
        out = r.text;
        return Got::kValue;
      case Raw::Kind::kNumber:
      case Raw::Kind::kOther:
        break;
    }
    fail(k, "not a string, got " + shown(r));
    return Got::kFailed;
  }

  bool required_text(Key k, std::string_view& out) {
    const Got g = text(k, out);
    return g == Got::kAbsent ? fail(k, "missing") : g == Got::kValue;
  }

  bool optional_text(Key k, std::string_view& out, bool& present) {
    const Got g = text(k, out);
    present = g == Got::kValue;
    return g != Got::kFailed;
  }

 private:
  const RawFields& raw_;
  IntentError& error_;
};

bool in_range(double v, double lo, double hi) noexcept {
  return v >= lo && v <= hi;
}

// A stop or target: 0 is "none"; else positive and on its side of the entry.
// `below_for_long`: a stop sits below a long's entry, a target above it.
bool check_level(Reader& rd, Key k, double level, bool present, double entry, Side side,
                 bool below_for_long) {
  if (!present || level == 0) return true;
  if (level < 0) return rd.fail(k, "must be > 0 (0 means none), got " + shown(rd.raw(k)));
  const bool below = below_for_long == (side == Side::kLong);
  const bool ok = below ? level < entry : level > entry;
  if (ok) return true;
  return rd.fail(k, std::string(below ? "must be below" : "must be above") + " entry_price " +
                        shown(entry) + " for " + (side == Side::kLong ? "BUY" : "SELL") + ", got " +
                        shown(rd.raw(k)));
}

bool read_timestamp(Reader& rd, TimeMs& out) {
  constexpr std::string_view kRule =
      "must be an ISO-8601 time (UTC unless it carries an offset) or epoch seconds / "
      "milliseconds, between 2017-01-01 and the end of 2100, got ";
  const Raw& r = rd.raw(Key::kTimestamp);
  std::optional<TimeMs> t;
  switch (r.kind) {
    case Raw::Kind::kAbsent:
    case Raw::Kind::kNull:
      return rd.fail(Key::kTimestamp, "missing");
    case Raw::Kind::kOther:
      break;
    case Raw::Kind::kText:
      t = parse_intent_timestamp(r.text);
      break;
    case Raw::Kind::kNumber: {
      // Read back as fixed-point text, so a JSON number takes the same path, with the same
      // truncation to whole milliseconds, as the same number written in a string. [1, 1e16)
      // keeps the text short; everything outside it is out of range anyway.
      if (!(r.number >= 1 && r.number < 1e16)) break;
      std::array<char, 64> buf{};
      const auto res =
          std::to_chars(buf.data(), buf.data() + buf.size(), r.number, std::chars_format::fixed);
      if (res.ec == std::errc()) t = parse_intent_timestamp(std::string_view(buf.data(), res.ptr));
      break;
    }
  }
  if (!t) return rd.fail(Key::kTimestamp, std::string(kRule) + shown(r));
  out = *t;
  return true;
}

bool validate(const RawFields& raw, const SymbolTable& symbols, TradeIntent& in,
              IntentError& error) {
  Reader rd(raw, error);
  std::string_view s;

  if (!rd.required_text(Key::kSymbol, s)) return false;
  const std::optional<SymbolId> id = symbols.find(s);
  if (!id) return rd.fail(Key::kSymbol, "unknown symbol, got " + shown(s));
  in.symbol = *id;

  if (!rd.required_text(Key::kSide, s)) return false;
  if (iequals(s, "buy") || iequals(s, "long"))
    in.side = Side::kLong;
  else if (iequals(s, "sell") || iequals(s, "short"))
    in.side = Side::kShort;
  else
    return rd.fail(Key::kSide, "must be BUY or SELL, got " + shown(s));

  if (!rd.required_number(Key::kConfidence, in.confidence)) return false;
  if (!in_range(in.confidence, 0, 1))
    return rd.fail(Key::kConfidence, "must be in [0,1], got " + shown(rd.raw(Key::kConfidence)));

  if (!rd.required_number(Key::kEntryPrice, in.entry_price)) return false;
  if (!(in.entry_price > 0))
    return rd.fail(Key::kEntryPrice, "must be > 0, got " + shown(rd.raw(Key::kEntryPrice)));

  bool present = false;
  if (!rd.optional_number(Key::kStopLoss, in.stop_loss, present)) return false;
  if (!check_level(rd, Key::kStopLoss, in.stop_loss, present, in.entry_price, in.side, true))
    return false;
  if (!rd.optional_number(Key::kTakeProfit, in.take_profit, present)) return false;
  if (!check_level(rd, Key::kTakeProfit, in.take_profit, present, in.entry_price, in.side, false))
    return false;

  if (!rd.required_number(Key::kPositionSizeUsd, in.position_size_usd)) return false;
  if (!(in.position_size_usd > 0))
    return rd.fail(Key::kPositionSizeUsd,
                   "must be > 0, got " + shown(rd.raw(Key::kPositionSizeUsd)));

  if (!rd.optional_number(Key::kLeverage, in.leverage, present)) return false;
  if (present && !in_range(in.leverage, 1, 125))
    return rd.fail(Key::kLeverage, "must be in [1,125], got " + shown(rd.raw(Key::kLeverage)));

  if (!rd.optional_number(Key::kAtrValue, in.atr_value, present)) return false;
  if (!(in.atr_value >= 0))
    return rd.fail(Key::kAtrValue, "must be >= 0, got " + shown(rd.raw(Key::kAtrValue)));

  if (!rd.required_number(Key::kVolatilityFactor, in.volatility_factor)) return false;
  if (!in_range(in.volatility_factor, 0, 1))
    return rd.fail(Key::kVolatilityFactor,
                   "must be in [0,1], got " + shown(rd.raw(Key::kVolatilityFactor)));

  // Finiteness is all the rule asks, and number() already checked it.
  if (!rd.optional_number(Key::kExchangeDivergence, in.exchange_divergence, present)) return false;

  if (!rd.optional_number(Key::kFundingRate, in.funding_rate, present)) return false;
  if (!in_range(in.funding_rate, -1, 1))
    return rd.fail(Key::kFundingRate, "must be in [-1,1], got " + shown(rd.raw(Key::kFundingRate)));

  if (!rd.optional_text(Key::kRegime, s, present)) return false;
  if (present) {
    if (iequals(s, "unknown"))
      in.regime = Regime::kUnknown;
    else if (iequals(s, "range") || iequals(s, "ranging"))
      in.regime = Regime::kRange;
    else if (iequals(s, "trending"))
      in.regime = Regime::kTrending;
    else if (iequals(s, "volatile"))
      in.regime = Regime::kVolatile;
    else
      return rd.fail(Key::kRegime,
                     "must be unknown, range, ranging, trending or volatile, got " + shown(s));
  }

  if (!read_timestamp(rd, in.timestamp_ms)) return false;

  if (!rd.optional_text(Key::kModel, s, present)) return false;
  if (present && s.size() > kMaxModelBytes)
    return rd.fail(Key::kModel, "must be at most 128 bytes, got " + std::to_string(s.size()) +
                                    " bytes: " + shown(s));
  if (present) in.model.assign(s);

  if (!rd.optional_text(Key::kReason, s, present)) return false;
  if (present && s.size() > kMaxReasonBytes)
    return rd.fail(Key::kReason, "must be at most 256 bytes, got " + std::to_string(s.size()) +
                                     " bytes: " + shown(s));
  if (present) in.reason.assign(s);
  return true;
}

// ---- the two shapes -----------------------------------------------------------------------

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char first_non_space(std::string_view v) noexcept {
  for (const char c : v)
    if (!is_space(c)) return c;
  return '\0';
}

bool is_carrier_name(std::string_view name) noexcept {
  return name == "data" || name == "payload" || name == "intent" || name == "json";
}

bool fail_json(IntentError& error, std::string reason) {
  error.field = "json";
  error.reason = std::move(reason);
  return false;
}

bool collect_flat(std::span<const IntentField> fields, RawFields& raw, IntentError& error) {
  for (const IntentField& f : fields) {
    const std::optional<Key> k = key_of(f.name);
    if (!k) continue;  // the producer may add fields
    Raw& r = raw[static_cast<std::size_t>(*k)];
    if (r.kind != Raw::Kind::kAbsent) {
      error.field = std::string(name_of(*k));
      error.reason = "given twice";
      return false;
    }
    r.kind = Raw::Kind::kText;
    r.text = f.value;
  }
  return true;
}

// The views stored in `raw` point into the DOM: valid until the parser's next parse.
bool collect_json(simdjson::dom::element root, RawFields& raw, IntentError& error) {
  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    const char* what = root.is_array() ? "an array" : "a scalar";
    return fail_json(error, std::string("not a JSON object, got ") + what);
  }
  for (const simdjson::dom::key_value_pair field : object) {
    const std::optional<Key> k = key_of(field.key);
    if (!k) continue;
    Raw& r = raw[static_cast<std::size_t>(*k)];
    if (r.kind != Raw::Kind::kAbsent) {
      error.field = std::string(name_of(*k));
      error.reason = "given twice";
      return false;
    }
    const simdjson::dom::element v = field.value;
    switch (v.type()) {
      case simdjson::dom::element_type::STRING:
        r.kind = Raw::Kind::kText;
        if (v.get_string().get(r.text)) return fail_json(error, "unreadable string");
        break;
      case simdjson::dom::element_type::INT64:
      case simdjson::dom::element_type::UINT64:
      case simdjson::dom::element_type::DOUBLE:
        r.kind = Raw::Kind::kNumber;
        if (v.get_double().get(r.number)) return fail_json(error, "unreadable number");
        break;
      case simdjson::dom::element_type::NULL_VALUE:
        r.kind = Raw::Kind::kNull;
        break;
      case simdjson::dom::element_type::BOOL: {
        bool b = false;
        if (v.get_bool().get(b)) return fail_json(error, "unreadable boolean");
        r.kind = Raw::Kind::kOther;
        r.text = b ? "true" : "false";
        break;
      }
      case simdjson::dom::element_type::ARRAY:
        r.kind = Raw::Kind::kOther;
        r.text = "an array";
        break;
      case simdjson::dom::element_type::OBJECT:
        r.kind = Raw::Kind::kOther;
        r.text = "an object";
        break;
    }
  }
  return true;
}

// ---- time ---------------------------------------------------------------------------------

// Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (H. Hinnant's
// days_from_civil): exact for every date, no table, no time zone database.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr TimeMs kMsPerDay = 86'400'000;
// Before Binance USD-M futures existed, or past any horizon a live intent could mean: a
// producer's unit or clock bug, not a time to act on.
constexpr TimeMs kEarliestMs = days_from_civil(2017, 1, 1) * kMsPerDay;
constexpr TimeMs kEndMs = days_from_civil(2101, 1, 1) * kMsPerDay;  // first instant after 2100
static_assert(kEarliestMs == 1'483'228'800'000);

std::optional<TimeMs> in_window(TimeMs t) noexcept {
  if (t < kEarliestMs || t >= kEndMs) return std::nullopt;
  return t;
}

// Exactly `n` digits at text[pos].
bool digits(std::string_view text, std::size_t pos, std::size_t n, unsigned& out) noexcept {
  if (pos + n > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(text[i])) return false;
    out = out * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return true;
}

unsigned days_in_month(unsigned y, unsigned m) noexcept {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// YYYY-MM-DDTHH:MM:SS[.f+][Z|+HH:MM|-HH:MM]
std::optional<TimeMs> parse_iso(std::string_view t) noexcept {
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!digits(t, 0, 4, y) || t.size() < 19 || t[4] != '-' || !digits(t, 5, 2, mo) || t[7] != '-' ||
      !digits(t, 8, 2, d) || t[10] != 'T' || !digits(t, 11, 2, h) || t[13] != ':' ||
      !digits(t, 14, 2, mi) || t[16] != ':' || !digits(t, 17, 2, s))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
    return std::nullopt;
  std::size_t pos = 19;
  TimeMs ms = 0;
  if (pos < t.size() && t[pos] == '.') {
    const std::size_t start = ++pos;
    for (; pos < t.size() && is_digit(t[pos]); ++pos)
      if (pos - start < 3) ms = ms * 10 + (t[pos] - '0');
    if (pos == start) return std::nullopt;                   // "." without digits
    for (std::size_t n = pos - start; n < 3; ++n) ms *= 10;  // ".5" is 500 ms
  }
  TimeMs offset_ms = 0;
  if (pos < t.size() && t[pos] == 'Z') {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    unsigned oh = 0, om = 0;
    if (!digits(t, pos + 1, 2, oh) || pos + 3 >= t.size() || t[pos + 3] != ':' ||
        !digits(t, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_ms = (static_cast<TimeMs>(oh) * 60 + om) * 60'000 * (t[pos] == '-' ? -1 : 1);
    pos += 6;
  }
  if (pos != t.size()) return std::nullopt;
  const TimeMs local = days_from_civil(y, mo, d) * kMsPerDay +
                       ((static_cast<TimeMs>(h) * 60 + mi) * 60 + s) * 1000 + ms;
  return in_window(local - offset_ms);  // 04:32+02:00 is 02:32 UTC
}

// digits[.digits]: epoch milliseconds from 1e12 up, else epoch seconds.
std::optional<TimeMs> parse_epoch(std::string_view t) noexcept {
  // 16 digits already lie past 2100 in milliseconds; the cap keeps the sum from overflowing.
  constexpr std::size_t kMaxIntDigits = 16;
  std::size_t pos = 0;
  TimeMs whole = 0;
  for (; pos < t.size() && is_digit(t[pos]); ++pos) {
    if (pos == kMaxIntDigits) return std::nullopt;
    whole = whole * 10 + (t[pos] - '0');
  }
  if (pos == 0) return std::nullopt;
  TimeMs ms = 0;
  if (pos < t.size() && t[pos] == '.') {
    const std::size_t start = ++pos;
    for (; pos < t.size() && is_digit(t[pos]); ++pos)
      if (pos - start < 3) ms = ms * 10 + (t[pos] - '0');
    if (pos == start) return std::nullopt;
    for (std::size_t n = pos - start; n < 3; ++n) ms *= 10;
  }
  if (pos != t.size()) return std::nullopt;
  if (whole >= 1'000'000'000'000) return in_window(whole);  // a fraction of a ms is dropped
  return in_window(whole * 1000 + ms);
}

}  // namespace

std::optional<TimeMs> parse_intent_timestamp(std::string_view text) noexcept {
  if (text.size() >= 5 && text[4] == '-') return parse_iso(text);
  if (text.find_first_of("eE") == std::string_view::npos) return parse_epoch(text);
  // A number in exponent form ("1.766e12"): its fixed-point text, then the rule above.
  double v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || !(v >= 1 && v < 1e16))
    return std::nullopt;
  std::array<char, 64> buf{};
  const auto w = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed);
  if (w.ec != std::errc()) return std::nullopt;
  return parse_epoch(std::string_view(buf.data(), w.ptr));
}

TradeIntentParser::TradeIntentParser(const SymbolTable& symbols)
    : symbols_(&symbols),
      json_(kMaxJsonBytes),
      // Zeroed once: simdjson may read the padding, and it must never be uninitialised.
      json_buffer_(new char[kMaxJsonBytes + simdjson::SIMDJSON_PADDING]()) {
  // Sized now so no entry allocates in the parser. A failure only means the first JSON entry
  // allocates (parse() sizes the parser itself), so it is not an error here.
  [[maybe_unused]] const auto sized = json_.allocate(kMaxJsonBytes);
}

IntentParseResult TradeIntentParser::parse(std::span<const IntentField> fields) {
  IntentParseResult result;
  IntentError& error = result.error;

  // Which shape: a named carrier first, then a lone JSON-looking field.
  const IntentField* carrier = nullptr;
  std::size_t named = 0;
  for (const IntentField& f : fields) {
    const char c = first_non_space(f.value);
    if (is_carrier_name(f.name) && (c == '{' || c == '[')) {
      if (!carrier) carrier = &f;
      ++named;
    }
  }
  if (named > 1) {
    result.is_json = true;
    fail_json(error, "more than one of the fields data, payload, intent, json holds JSON");
    return result;
  }
  if (!carrier) {
    const IntentField* only = nullptr;
    std::size_t braces = 0;
    for (const IntentField& f : fields) {
      if (first_non_space(f.value) == '{') {
        only = &f;
        ++braces;
      }
    }
    if (braces == 1 && !key_of(only->name)) carrier = only;
  }

  RawFields raw{};
  if (carrier) {
    result.is_json = true;
    const std::string_view text = carrier->value;
    if (text.size() > kMaxJsonBytes) {
      fail_json(error, "larger than " + std::to_string(kMaxJsonBytes) + " bytes (" +
                           std::to_string(text.size()) + ")");
      return result;
    }
    std::memcpy(json_buffer_.get(), text.data(), text.size());
    simdjson::dom::element root;
    if (const auto err = json_.parse(json_buffer_.get(), text.size(), false).get(root)) {
      fail_json(error, std::string("not valid JSON: ") + simdjson::error_message(err));
      return result;
    }
    if (!collect_json(root, raw, error)) return result;
  } else if (!collect_flat(fields, raw, error)) {
    return result;
  }

  if (!validate(raw, *symbols_, result.intent, error)) {
    result.intent = TradeIntent{};  // half-filled: nobody may mistake it for an intent
    // Every failure names its field; an empty one would read as ok().
    if (error.field.empty()) fail_json(error, "invalid");
  }
  return result;
}

}  // namespace exitbrain
