#pragma once
// Request parameters as Binance reads them (binance-api.md §2.1, §3.1): the query string and
// an application/x-www-form-urlencoded body, query value winning for a key sent in both;
// the signature taken out of the exact bytes that were signed.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exitbrain::sim {

struct Param {
  std::string key;
  std::string value;  // percent-decoded
};

class Params {
 public:
  // Parses both parts. A key sent twice keeps its first value from the query, else its
  // first value from the body.
  static Params parse(std::string_view query, std::string_view body);

  // The effective value, or nullptr when not sent.
  const std::string* get(std::string_view key) const noexcept;
  // Sent with a non-empty value (Binance's "was not sent, was empty/null").
  bool has(std::string_view key) const noexcept {
    const std::string* v = get(key);
    return v != nullptr && !v->empty();
  }
  std::string_view value_or(std::string_view key, std::string_view fallback) const noexcept {
    const std::string* v = get(key);
    return v ? std::string_view(*v) : fallback;
  }
  // Effective parameters in order of first appearance (query first).
  const std::vector<Param>& all() const noexcept { return params_; }

 private:
  std::vector<Param> params_;
};

std::string url_decode(std::string_view text);

// totalParams (query followed directly by body) without the `signature` parameter, and the
// signature's value. found is false when no signature parameter was sent.
struct SignedParts {
  bool found = false;
  std::string payload;
  std::string signature;
};
SignedParts split_signature(std::string_view query, std::string_view body);

// Hex digests compared case-insensitively (Binance: "its hex is not case-sensitive").
bool hex_equal(std::string_view a, std::string_view b) noexcept;

// ^[\.A-Z\:/a-z0-9_-]{1,36}$
bool valid_client_id(std::string_view id) noexcept;

// Whole-text integer ("-12", "1591702613943"); nullopt for anything else or on overflow.
std::optional<std::int64_t> parse_int(std::string_view text) noexcept;

}  // namespace exitbrain::sim
