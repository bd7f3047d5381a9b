#include "net/loopback_address.hpp"

#include <boost/asio/ip/address.hpp>
#include <charconv>

namespace exitbrain {

namespace asio = boost::asio;

LoopbackAddress parse_loopback_address(std::string_view text) {
  LoopbackAddress out;
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      out.error = "expected [host]:port";
      return out;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      out.error = "expected host:port, e.g. 127.0.0.1:9464";
      return out;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned p = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || p > 65535) {
    out.error = "port must be a number in [0, 65535]";
    return out;
  }
  out.port = static_cast<std::uint16_t>(p);
  if (host == "localhost") {
    out.host = "127.0.0.1";
    return out;
  }
  boost::system::error_code aec;
  const asio::ip::address a = asio::ip::make_address(std::string(host), aec);
  if (aec) {
    out.error = "host must be a loopback address (127.0.0.1, ::1 or localhost)";
    return out;
  }
  if (!a.is_loopback()) {
    out.error = std::string(host) +
                " is not a loopback address: the operations endpoint never faces the network";
    return out;
  }
  out.host = a.to_string();
  return out;
}

}  // namespace exitbrain
