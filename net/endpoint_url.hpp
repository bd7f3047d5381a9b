#pragma once
// Endpoint URLs of the config (rest_url, ws_market_url, ws_public_url, ws_private_url):
// "wss://fstream.binance.com/market", "https://fapi.binance.com", "ws://[::1]:9443/ws".
// Pure text handling, no resolution. Anything that is not a plain scheme://host[:port][/path]
// is refused with a message naming the URL and the problem.
#include <cstdint>
#include <string>
#include <string_view>

namespace exitbrain {

enum class UrlScheme : std::uint8_t { kWs, kWss, kHttp, kHttps };
const char* to_string(UrlScheme s) noexcept;  // "ws", "wss", "http", "https"

struct EndpointUrl {
  UrlScheme scheme = UrlScheme::kHttps;
  bool tls = true;            // wss, https
  std::string host;           // as written, without the brackets of an IPv6 literal
  bool ipv6_literal = false;  // host was "[...]"
  std::uint16_t port = 443;   // explicit, else 80 (ws, http) or 443 (wss, https)
  bool default_port = true;   // no port was written, or it was the scheme's default
  std::string path;           // prefix: "" or "/market" (never a trailing '/')

  // "fapi.binance.com", "[::1]:9443": the HTTP Host header (the port only when not default).
  std::string host_header() const;
  // Normalised text: scheme://host[:port]path.
  std::string to_string() const;
};

struct EndpointUrlResult {
  EndpointUrl url;
  std::string error;  // empty when ok
  bool ok() const noexcept { return error.empty(); }
};

// `key`, when given, prefixes the message: "rest_url: 'ftp://x': unsupported scheme ...".
EndpointUrlResult parse_endpoint_url(std::string_view text, std::string_view key = {});

}  // namespace exitbrain
