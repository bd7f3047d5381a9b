#pragma once
// A small JSON text builder for the simulated exchange's answers and events. Commas are
// placed by the builder; strings are escaped; exchange numbers go out as decimal strings,
// the way Binance sends them ("0.001", never 1e-3).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"

namespace exitbrain::sim {

class JsonWriter {
 public:
  JsonWriter& obj() {
    prefix();
    out_ += '{';
    first_.push_back(1);
    return *this;
  }
  JsonWriter& end_obj() {
    out_ += '}';
    if (!first_.empty()) first_.pop_back();
    return *this;
  }
  JsonWriter& arr() {
    prefix();
    out_ += '[';
    first_.push_back(1);
    return *this;
  }
  JsonWriter& end_arr() {
    out_ += ']';
    if (!first_.empty()) first_.pop_back();
    return *this;
  }
  JsonWriter& key(std::string_view k) {
    prefix();
    quote(k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  JsonWriter& str(std::string_view v) {
    prefix();
    quote(v);
    return *this;
  }
  JsonWriter& num(std::int64_t v) {
    prefix();
    out_ += std::to_string(v);
    return *this;
  }
  // A decimal as a JSON string: "123.45".
  JsonWriter& dec(Decimal v) {
    prefix();
    out_ += '"';
    out_ += to_string(v);
    out_ += '"';
    return *this;
  }
  JsonWriter& boolean(bool v) {
    prefix();
    out_ += v ? "true" : "false";
    return *this;
  }
  JsonWriter& null() {
    prefix();
    out_ += "null";
    return *this;
  }
  // Already-valid JSON (a nested document built elsewhere).
  JsonWriter& raw(std::string_view json) {
    prefix();
    out_ += json;
    return *this;
  }

  // key + value shorthands.
  JsonWriter& s(std::string_view k, std::string_view v) { return key(k).str(v); }
  JsonWriter& i(std::string_view k, std::int64_t v) { return key(k).num(v); }
  JsonWriter& d(std::string_view k, Decimal v) { return key(k).dec(v); }
  JsonWriter& b(std::string_view k, bool v) { return key(k).boolean(v); }

  const std::string& text() const& { return out_; }
  std::string take() { return std::move(out_); }

  static std::string quoted(std::string_view v) {
    JsonWriter w;
    w.quote(v);
    return w.take();
  }

 private:
  void prefix() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (first_.back() == 0) out_ += ',';
    first_.back() = 0;
  }
  void quote(std::string_view v) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_ += '"';
    for (const char ch : v) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += ch;
      } else if (c < 0x20 || c >= 0x7f) {
        // Control characters and raw bytes outside ASCII: \u00XX keeps the text valid JSON
        // whatever a client sent.
        out_ += "\\u00";
        out_ += kHex[c >> 4];
        out_ += kHex[c & 0xf];
      } else {
        out_ += ch;
      }
    }
    out_ += '"';
  }

  std::string out_;
  std::vector<char> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace exitbrain::sim
