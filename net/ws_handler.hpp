#pragma once
// What a WebSocket feed hands its owner: every text frame (hot path) and the connection's
// life. Apart from net/ws_client.hpp so that the stages fed by frames (the live pipeline's
// market ingest, the benchmark's in-memory source) need no Boost header.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/clock.hpp"

namespace exitbrain {

enum class WsStatusKind : std::uint8_t {
  kConnected,     // handshake done, reading
  kDisconnected,  // a connection failed or was closed by the peer
  kRetrying,      // the next attempt is scheduled (retry_in_ms)
  kStale,         // no frame for stale_after_ms: reconnecting
  kFresh,         // frames flow again after kStale or a reconnect
  kRotated,       // a fresh connection took over from one near its 24 h limit
};
const char* to_string(WsStatusKind k) noexcept;

struct WsStatus {
  WsStatusKind kind = WsStatusKind::kConnected;
  std::string detail;  // the failure, for the log (never carries secrets: targets are public)
  std::int64_t retry_in_ms = 0;
  std::uint64_t connection = 0;  // serial number of the connection concerned
};

class WsHandler {
 public:
  virtual ~WsHandler() = default;
  // One text frame: data[0, len), with `capacity` >= len + 64 readable bytes. Hot path.
  virtual void on_frame(const char* data, std::size_t len, std::size_t capacity,
                        MonoNs received) noexcept = 0;
  // Connection life (rare; may log).
  virtual void on_status(const WsStatus& status) = 0;
};

}  // namespace exitbrain
