#include <gtest/gtest.h>

#include <string>

#include "net/endpoint_url.hpp"

namespace exitbrain {
namespace {

EndpointUrl parse_ok(std::string_view text) {
  const EndpointUrlResult r = parse_endpoint_url(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error;
  return r.url;
}

std::string error_of(std::string_view text, std::string_view key = {}) {
  const EndpointUrlResult r = parse_endpoint_url(text, key);
  EXPECT_FALSE(r.ok()) << text << " was accepted";
  return r.error;
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

TEST(EndpointUrl, BinanceProductionUrls) {
  // binance-api.md §2.1 and §1.1.
  EndpointUrl u = parse_ok("https://fapi.binance.com");
  EXPECT_EQ(u.scheme, UrlScheme::kHttps);
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "fapi.binance.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_TRUE(u.default_port);
  EXPECT_EQ(u.path, "");
  EXPECT_EQ(u.host_header(), "fapi.binance.com");
  EXPECT_EQ(u.to_string(), "https://fapi.binance.com");

  u = parse_ok("wss://fstream.binance.com/market");
  EXPECT_EQ(u.scheme, UrlScheme::kWss);
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "fstream.binance.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.path, "/market");

  u = parse_ok("wss://fstream.binance.com/private/");
  EXPECT_EQ(u.path, "/private") << "no trailing slash";

  u = parse_ok("wss://ws-fapi.binance.com/ws-fapi/v1");
  EXPECT_EQ(u.host, "ws-fapi.binance.com");
  EXPECT_EQ(u.path, "/ws-fapi/v1");

  u = parse_ok("https://fapi.binance.com/");
  EXPECT_EQ(u.path, "");
}

TEST(EndpointUrl, PlainSchemesAndPorts) {
  EndpointUrl u = parse_ok("ws://localhost:8765/ws");
  EXPECT_EQ(u.scheme, UrlScheme::kWs);
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "localhost");
  EXPECT_EQ(u.port, 8765);
  EXPECT_FALSE(u.default_port);
  EXPECT_EQ(u.path, "/ws");
  EXPECT_EQ(u.host_header(), "localhost:8765");
  EXPECT_EQ(u.to_string(), "ws://localhost:8765/ws");

  u = parse_ok("http://127.0.0.1");
  EXPECT_EQ(u.scheme, UrlScheme::kHttp);
  EXPECT_EQ(u.port, 80);
  EXPECT_TRUE(u.default_port);

  u = parse_ok("https://example.com:443/api");
  EXPECT_EQ(u.port, 443);
  EXPECT_TRUE(u.default_port) << "the scheme's own port is the default";
  EXPECT_EQ(u.host_header(), "example.com");

  u = parse_ok("HTTPS://Example.COM:65535");
  EXPECT_EQ(u.scheme, UrlScheme::kHttps);
  EXPECT_EQ(u.host, "Example.COM");
  EXPECT_EQ(u.port, 65535);
}

TEST(EndpointUrl, Ipv6Literals) {
  EndpointUrl u = parse_ok("wss://[::1]:9443");
  EXPECT_TRUE(u.ipv6_literal);
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9443);
  EXPECT_EQ(u.path, "");
  EXPECT_EQ(u.host_header(), "[::1]:9443");
  EXPECT_EQ(u.to_string(), "wss://[::1]:9443");

  u = parse_ok("http://[2001:db8::8a2e:370:7334]/fapi");
  EXPECT_EQ(u.host, "2001:db8::8a2e:370:7334");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.path, "/fapi");
  EXPECT_EQ(u.host_header(), "[2001:db8::8a2e:370:7334]");

  u = parse_ok("ws://[::ffff:127.0.0.1]:1");
  EXPECT_EQ(u.host, "::ffff:127.0.0.1");
  EXPECT_EQ(u.port, 1);
}

TEST(EndpointUrl, ErrorsNameTheUrlAndTheProblem) {
  std::string e = error_of("ftp://example.com", "rest_url");
  EXPECT_EQ(e,
            "rest_url: 'ftp://example.com': unsupported scheme 'ftp' (expected ws, wss, http "
            "or https)");
  e = error_of("fapi.binance.com");
  EXPECT_TRUE(contains(e, "'fapi.binance.com'")) << e;
  EXPECT_TRUE(contains(e, "no scheme")) << e;
  EXPECT_TRUE(contains(error_of(""), "empty URL"));
  EXPECT_TRUE(contains(error_of("https://"), "no host"));
  EXPECT_TRUE(contains(error_of("https:///path"), "no host"));
  EXPECT_TRUE(contains(error_of("https://host:"), "empty port"));
  EXPECT_TRUE(contains(error_of("https://host:0"), "out of range"));
  EXPECT_TRUE(contains(error_of("https://host:65536"), "out of range"));
  EXPECT_TRUE(contains(error_of("https://host:44x"), "not a number"));
  EXPECT_TRUE(contains(error_of("https://host:-1"), "not a number"));
  EXPECT_TRUE(contains(error_of("wss://::1:9443"), "brackets"));
  EXPECT_TRUE(contains(error_of("wss://[::1:9443"), "unterminated"));
  EXPECT_TRUE(contains(error_of("wss://[::1]9443"), "after the IPv6 literal"));
  EXPECT_TRUE(contains(error_of("wss://[fe80::1%eth0]:1"), "IPv6 literal"));
  EXPECT_TRUE(contains(error_of("wss://[1]:1"), "not an IPv6 address"));
  EXPECT_TRUE(contains(error_of("https://user:pass@host"), "credentials"));
  EXPECT_TRUE(contains(error_of("https://host/x?y=1"), "query or fragment"));
  EXPECT_TRUE(contains(error_of("https://host/x#frag"), "query or fragment"));
  EXPECT_TRUE(contains(error_of(" https://host"), "whitespace"));
  EXPECT_TRUE(contains(error_of("https://host/a b"), "whitespace"));
  EXPECT_TRUE(contains(error_of("https://ho$t"), "invalid character in the host"));
  EXPECT_TRUE(contains(error_of("https://a..b"), "empty label"));
  EXPECT_TRUE(contains(error_of("https://host/a%zz"), "percent escape"));
  EXPECT_TRUE(contains(error_of("https://host/a\"b"), "invalid character in the path"));
  e = error_of("wss://[::1]:99999", "ws_private_url");
  EXPECT_EQ(e, "ws_private_url: 'wss://[::1]:99999': port 99999 is out of range (1-65535)");
}

TEST(EndpointUrl, PercentEscapesInThePathAreKept) {
  const EndpointUrl u = parse_ok("https://host/a%2Fb/");
  EXPECT_EQ(u.path, "/a%2Fb");
}

}  // namespace
}  // namespace exitbrain
