#include "net/endpoint_url.hpp"

#include <charconv>

namespace exitbrain {

const char* to_string(UrlScheme s) noexcept {
  switch (s) {
    case UrlScheme::kWs:
      return "ws";
    case UrlScheme::kWss:
      return "wss";
    case UrlScheme::kHttp:
      return "http";
    case UrlScheme::kHttps:
      return "https";
  }
  return "?";
}

std::string EndpointUrl::host_header() const {
  std::string out = ipv6_literal ? "[" + host + "]" : host;
  if (!default_port) out += ":" + std::to_string(port);
  return out;
}

std::string EndpointUrl::to_string() const {
  return std::string(exitbrain::to_string(scheme)) + "://" + host_header() + path;
}

namespace {

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 3986 reg-name restricted to what a DNS name or IPv4 address uses.
const char* check_host(std::string_view host) noexcept {
  if (host.empty()) return "no host";
  if (host.size() > 253) return "host name longer than 253 characters";
  for (char c : host)
    if (!is_alnum(c) && c != '-' && c != '.' && c != '_') return "invalid character in the host";
  if (host.front() == '.' || host.front() == '-') return "host starts with '.' or '-'";
  if (host.find("..") != std::string_view::npos) return "empty label in the host";
  return nullptr;
}

const char* check_ipv6(std::string_view host) noexcept {
  if (host.empty()) return "empty IPv6 literal";
  std::size_t colons = 0;
  for (char c : host) {
    if (c == ':') {
      ++colons;
    } else if (!is_hex(c) && c != '.') {
      // Zone ids ("%eth0") and IPvFuture are not supported.
      return "invalid character in the IPv6 literal";
    }
  }
  if (colons < 2 || colons > 7) return "not an IPv6 address";
  return nullptr;
}

// Path characters: RFC 3986 pchar plus '/', percent escapes checked.
const char* check_path(std::string_view path) noexcept {
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '%') {
      if (i + 2 >= path.size() || !is_hex(path[i + 1]) || !is_hex(path[i + 2]))
        return "bad percent escape in the path";
      i += 2;
      continue;
    }
    if (is_alnum(c)) continue;
    switch (c) {
      case '/':
      case '-':
      case '.':
      case '_':
      case '~':
      case '!':
      case '$':
      case '&':
      case '\'':
      case '(':
      case ')':
      case '*':
      case '+':
      case ',':
      case ';':
      case '=':
      case ':':
      case '@':
        continue;
      default:
        return "invalid character in the path";
    }
  }
  return nullptr;
}

}  // namespace

EndpointUrlResult parse_endpoint_url(std::string_view text, std::string_view key) {
  EndpointUrlResult result;
  auto fail = [&](std::string_view problem) {
    result.error.clear();
    if (!key.empty()) result.error.append(key).append(": ");
    result.error.append("'").append(text).append("': ").append(problem);
    return result;
  };
  if (text.empty()) return fail("empty URL");
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return fail("contains whitespace or a control character");
  }
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos)
    return fail("no scheme (expected ws://, wss://, http:// or https://)");
  const std::string_view scheme = text.substr(0, sep);
  EndpointUrl& url = result.url;
  if (iequals(scheme, "ws")) {
    url.scheme = UrlScheme::kWs;
  } else if (iequals(scheme, "wss")) {
    url.scheme = UrlScheme::kWss;
  } else if (iequals(scheme, "http")) {
    url.scheme = UrlScheme::kHttp;
  } else if (iequals(scheme, "https")) {
    url.scheme = UrlScheme::kHttps;
  } else {
    return fail("unsupported scheme '" + std::string(scheme) +
                "' (expected ws, wss, http or https)");
  }
  url.tls = url.scheme == UrlScheme::kWss || url.scheme == UrlScheme::kHttps;
  const std::uint16_t default_port = url.tls ? 443 : 80;

  std::string_view rest = text.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return fail("a query or fragment is not allowed in an endpoint URL");
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos)
    return fail("credentials in the URL are not supported");

  std::string_view host, port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated '[' in the host");
    host = authority.substr(1, close - 1);
    if (const char* problem = check_ipv6(host)) return fail(problem);
    url.ipv6_literal = true;
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("unexpected text after the IPv6 literal");
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
      if (port_text.find(':') != std::string_view::npos)
        return fail("IPv6 addresses must be written in brackets, e.g. [::1]:9443");
    }
    if (const char* problem = check_host(host)) return fail(problem);
  }
  url.host = std::string(host);

  url.port = default_port;
  if (has_port) {
    if (port_text.empty()) return fail("empty port after ':'");
    unsigned value = 0;
    const auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (r.ec != std::errc() || r.ptr != port_text.data() + port_text.size())
      return fail("port '" + std::string(port_text) + "' is not a number");
    if (value == 0 || value > 65535)
      return fail("port " + std::string(port_text) + " is out of range (1-65535)");
    url.port = static_cast<std::uint16_t>(value);
  }
  url.default_port = url.port == default_port;

  if (const char* problem = check_path(path)) return fail(problem);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.path = std::string(path);
  return result;
}

}  // namespace exitbrain
