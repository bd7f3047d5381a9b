#pragma once
// Builds one JSON object per line with deterministic number text: decimals exactly as
// the exchange would read them, doubles in shortest round-trip form. Same inputs, same
// bytes.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/decimal.hpp"

namespace exitbrain {

class JsonLine {
 public:
  JsonLine() {
    out_.reserve(256);
    out_ += '{';
  }

  JsonLine& str(std::string_view key, std::string_view v) {
    this->key(key);
    quoted(v);
    return *this;
  }
  JsonLine& num(std::string_view key, Decimal v) {
    this->key(key);
    char buf[kMaxDecimalChars];
    out_.append(buf, format_decimal(v, buf));
    return *this;
  }
  JsonLine& num(std::string_view key, std::int64_t v) {
    this->key(key);
    out_ += std::to_string(v);
    return *this;
  }
  JsonLine& num(std::string_view key, int v) { return num(key, static_cast<std::int64_t>(v)); }
  JsonLine& num(std::string_view key, std::uint32_t v) {
    return num(key, static_cast<std::int64_t>(v));
  }
  // Doubles that are money go through Decimal (8 places) so no binary noise is printed.
  JsonLine& money(std::string_view key, double v) {
    return num(key, Decimal::from_double(v).value_or(Decimal{}));
  }
  JsonLine& real(std::string_view key, double v) {
    this->key(key);
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
    return *this;
  }
  JsonLine& boolean(std::string_view key, bool v) {
    this->key(key);
    out_ += v ? "true" : "false";
    return *this;
  }
  // Raw JSON for nested arrays / objects built by the caller.
  JsonLine& raw(std::string_view key, std::string_view json) {
    this->key(key);
    out_ += json;
    return *this;
  }
  std::string finish() {
    out_ += "}\n";
    return std::move(out_);
  }

  static std::string quote(std::string_view v) {
    JsonLine j;
    j.out_.clear();
    j.quoted(v);
    return j.out_;
  }

 private:
  void key(std::string_view k) {
    if (out_.size() > 1) out_ += ',';
    quoted(k);
    out_ += ':';
  }
  void quoted(std::string_view v) {
    out_ += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        static const char* hex = "0123456789abcdef";
        out_ += "\\u00";
        out_ += hex[(c >> 4) & 0xF];
        out_ += hex[c & 0xF];
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }
  std::string out_;
};

}  // namespace exitbrain
