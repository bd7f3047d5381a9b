#pragma once
// A market-data or user-data WebSocket feed that stays up by itself (binance-api.md §1.3):
//  - ws:// or wss:// (certificate and host name verified, SNI set), TCP_NODELAY;
//  - pings answered by Beast; every text frame handed to the handler with simdjson
//    padding, from a buffer reused across frames;
//  - on any failure: reconnect after a jittered exponential back-off; the streams are in
//    the target (/market/stream?streams=...), so a reconnect resubscribes them all;
//  - a watchdog: no frame for `stale_after_ms` raises kStale and forces a reconnect (the
//    exchange-side hard stops protect positions meanwhile);
//  - rotation before the exchange's 24 h cut: the new connection is opened first and the
//    old one closed only once the new one has delivered a frame, so there is no gap.
// Runs on the io_context of the thread that owns it; the handler is called on that thread.
// The client must outlive the io loop that drives it.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "net/ws_handler.hpp"

namespace exitbrain {

struct WsTarget {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path and query: "/market/stream?streams=btcusdt@markPrice@1s"
};

struct WsClientOptions {
  WsTarget where;
  std::int64_t stale_after_ms = 10'000;
  std::int64_t rotate_after_ms = 23LL * 3600 * 1000;
  std::int64_t backoff_initial_ms = 250;
  std::int64_t backoff_max_ms = 15'000;
  std::int64_t connect_timeout_ms = 10'000;
  std::uint64_t jitter_seed = 0x5eed;
};

class WsClient {
 public:
  // `tls` is required for wss:// targets and ignored for ws://.
  WsClient(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls,
           WsClientOptions options, WsHandler& handler);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  void start();
  // Closes every connection and cancels the timers; the io loop can then run out.
  void stop();
  // Opens the replacement connection now, as the 24 h rotation does (tests, operators).
  void rotate_now();

  std::uint64_t frames() const noexcept { return frames_.load(std::memory_order_relaxed); }
  std::uint64_t connects() const noexcept { return connects_.load(std::memory_order_relaxed); }
  std::uint64_t stale_events() const noexcept { return stale_.load(std::memory_order_relaxed); }
  bool stale() const noexcept { return is_stale_.load(std::memory_order_relaxed); }

  class Connection;  // one socket's life, defined in the .cpp

 private:
  template <bool kTls>
  class ConnectionImpl;
  friend class Connection;
  template <bool kTls>
  friend class ConnectionImpl;

  void connect_new();
  void on_open(Connection& c);
  void on_frame(Connection& c, const char* data, std::size_t len);
  void on_failure(Connection& c, const std::string& what);
  void schedule_retry();
  void arm_watchdog();
  void arm_rotation();
  std::int64_t next_backoff_ms() noexcept;
  void report(WsStatusKind kind, std::uint64_t connection, std::string detail = {},
              std::int64_t retry_in_ms = 0);

  boost::asio::io_context& io_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  WsClientOptions opt_;
  WsHandler& handler_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer rotate_timer_;
  std::shared_ptr<Connection> current_;
  std::shared_ptr<Connection> previous_;  // the one being replaced during a rotation
  std::vector<char> frame_;               // padded copy of the last frame
  std::uint64_t serial_ = 0;
  int attempt_ = 0;
  std::uint64_t jitter_state_;
  MonoNs last_frame_ns_ = 0;
  bool stopping_ = false;
  std::atomic<std::uint64_t> frames_{0}, connects_{0}, stale_{0};
  std::atomic<bool> is_stale_{false};
};

}  // namespace exitbrain
