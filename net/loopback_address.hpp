#pragma once
// The address of a listener that must never face the network (the operations endpoint):
// "127.0.0.1:9464", "[::1]:9464" or "localhost:9464".
#include <cstdint>
#include <string>
#include <string_view>

namespace exitbrain {

// host:port of a loopback address ("127.0.0.1:9464", "[::1]:9464", "localhost:9464"); the
// reason it is refused otherwise (control and metrics never face the network).
struct LoopbackAddress {
  std::string host;
  std::uint16_t port = 0;
  std::string error;
};
LoopbackAddress parse_loopback_address(std::string_view text);

}  // namespace exitbrain
