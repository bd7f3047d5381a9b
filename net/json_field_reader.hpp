#pragma once
// Reads the fields of a simdjson On-Demand object one at a time; a failure names the field as
// written and the reason ("positionAmt", "not a decimal number"). The REST answers
// (rest_responses.cpp) and the user-data events (user_data_parser.cpp) both read through it,
// so one set of rules accepts or refuses a value (the events word some reasons their own way:
// see user_data_parser.cpp). Inline, as each parser's own copy was: it runs for every field of
// every order answer and event. No allocation, no exceptions.
#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "core/decimal.hpp"
#include "core/types.hpp"
#include "net/id_text.hpp"

namespace exitbrain {

// The outcome of reading one field: ok, or the field at fault and why. Both point at static
// strings.
struct [[nodiscard]] FieldResult {
  const char* field = nullptr;
  const char* reason = nullptr;  // nullptr: read
  constexpr bool ok() const noexcept { return reason == nullptr; }
};

inline constexpr FieldResult kFieldOk{};

constexpr FieldResult field_fault(const char* field, const char* reason) noexcept {
  return FieldResult{field, reason};
}

// Calls on_field(key, value) for each field of `o` and stops at the first result that is not
// ok(); a key or value simdjson cannot read fails as `where` "not valid JSON". The result is
// on_field's own type: a FieldResult, or a caller's type built from one that has more ways to
// stop (the user-data parser's symbol exitbrain does not manage).
template <class OnField>
auto each_field(simdjson::ondemand::object o, const char* where, OnField&& on_field) noexcept {
  using Result = std::invoke_result_t<OnField&, std::string_view, simdjson::ondemand::value>;
  for (auto field : o) {
    std::string_view key;
    simdjson::ondemand::value value;
    if (field.unescaped_key().get(key) || field.value().get(value))
      return Result(field_fault(where, "not valid JSON"));
    if (Result r = on_field(key, value); !r.ok()) return r;
  }
  return Result(kFieldOk);
}

// The whole of `s` is the number: "12z", "" and " 1" are not.
inline bool parse_whole_int(std::string_view s, std::int64_t& out) noexcept {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

inline bool parse_whole_double(std::string_view s, double& out) noexcept {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

inline FieldResult read_string(simdjson::ondemand::value v, const char* field,
                               std::string_view& out) noexcept {
  return v.get_string().get(out) ? field_fault(field, "not a string") : kFieldOk;
}

// A JSON integer only: "123" (a string) is refused.
inline FieldResult read_int64(simdjson::ondemand::value v, const char* field,
                              std::int64_t& out) noexcept {
  return v.get_int64().get(out) ? field_fault(field, "not an integer") : kFieldOk;
}

// A JSON integer, or a string holding one ("leverage":"20", "code":"200").
inline FieldResult read_int_or_quoted(simdjson::ondemand::value v, const char* field,
                                      std::int64_t& out) noexcept {
  simdjson::ondemand::json_type type;
  if (v.type().get(type)) return field_fault(field, "not valid JSON");
  if (type == simdjson::ondemand::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s) || !parse_whole_int(s, out))
      return field_fault(field, "not an integer");
    return kFieldOk;
  }
  return read_int64(v, field, out);
}

inline FieldResult read_int_or_quoted(simdjson::ondemand::value v, const char* field,
                                      int& out) noexcept {
  std::int64_t wide = 0;
  if (FieldResult r = read_int_or_quoted(v, field, wide); !r.ok()) return r;
  if (wide < INT32_MIN || wide > INT32_MAX) return field_fault(field, "out of range");
  out = static_cast<int>(wide);
  return kFieldOk;
}

// Milliseconds since the epoch, as a JSON integer.
inline FieldResult read_time(simdjson::ondemand::value v, const char* field, TimeMs& out) noexcept {
  if (v.get_int64().get(out)) return field_fault(field, "not an integer");
  return out < 0 ? field_fault(field, "negative") : kFieldOk;
}

inline FieldResult read_bool(simdjson::ondemand::value v, const char* field, bool& out) noexcept {
  return v.get_bool().get(out) ? field_fault(field, "not a boolean") : kFieldOk;
}

// A decimal string ("0.385"): Binance quotes every price and quantity.
inline FieldResult read_decimal(simdjson::ondemand::value v, const char* field,
                                Decimal& out) noexcept {
  std::string_view s;
  if (v.get_string().get(s)) return field_fault(field, "not a string");
  return parse_decimal(s, out) == DecimalError::kOk ? kFieldOk
                                                    : field_fault(field, "not a decimal number");
}

// As read_decimal, but "" reads as zero (algo answers: "activatePrice":"").
inline FieldResult read_decimal_or_empty(simdjson::ondemand::value v, const char* field,
                                         Decimal& out) noexcept {
  std::string_view s;
  if (v.get_string().get(s)) return field_fault(field, "not a string");
  if (s.empty()) {
    out = Decimal{};
    return kFieldOk;
  }
  return parse_decimal(s, out) == DecimalError::kOk ? kFieldOk
                                                    : field_fault(field, "not a decimal number");
}

// A number in a string ("unRealizedProfit":"0.76"), for the figures kept as double.
inline FieldResult read_double(simdjson::ondemand::value v, const char* field,
                               double& out) noexcept {
  std::string_view s;
  if (v.get_string().get(s)) return field_fault(field, "not a string");
  return parse_whole_double(s, out) ? kFieldOk : field_fault(field, "not a number");
}

// A JSON number, integer or not ("maintMarginRatio":0.004, "cum":0), or a string holding one
// ("0.004"). Not finite ("nan", "inf" in a string) is refused.
inline FieldResult read_number(simdjson::ondemand::value v, const char* field,
                               double& out) noexcept {
  simdjson::ondemand::json_type type;
  if (v.type().get(type)) return field_fault(field, "not valid JSON");
  double x = 0;
  if (type == simdjson::ondemand::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s) || !parse_whole_double(s, x))
      return field_fault(field, "not a number");
  } else if (type != simdjson::ondemand::json_type::number || v.get_double().get(x)) {
    return field_fault(field, "not a number");
  }
  if (!std::isfinite(x)) return field_fault(field, "not a finite number");
  out = x;
  return kFieldOk;
}

// A string copied into `out`; refused when it does not fit.
inline FieldResult read_id(simdjson::ondemand::value v, const char* field, IdText& out) noexcept {
  std::string_view s;
  if (v.get_string().get(s)) return field_fault(field, "not a string");
  if (s.size() > out.chars.size()) return field_fault(field, "too long");
  if (!s.empty()) std::memcpy(out.chars.data(), s.data(), s.size());
  out.len = static_cast<std::uint8_t>(s.size());
  return kFieldOk;
}

}  // namespace exitbrain
