#include "net/ws_client.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cstring>
#include <type_traits>

#include "net/binance_message_parser.hpp"

namespace exitbrain {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

const char* to_string(WsStatusKind k) noexcept {
  switch (k) {
    case WsStatusKind::kConnected:
      return "connected";
    case WsStatusKind::kDisconnected:
      return "disconnected";
    case WsStatusKind::kRetrying:
      return "retrying";
    case WsStatusKind::kStale:
      return "stale";
    case WsStatusKind::kFresh:
      return "fresh";
    case WsStatusKind::kRotated:
      return "rotated";
  }
  return "?";
}

class WsClient::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(WsClient& owner, std::uint64_t serial) : owner_(owner), serial_(serial) {}
  virtual ~Connection() = default;
  virtual void open() = 0;
  // Graceful close (rotation, stop): a close frame, then the socket.
  virtual void close() = 0;
  // Immediate close (stale peer): the socket only.
  virtual void abort() = 0;

  std::uint64_t serial() const noexcept { return serial_; }
  bool got_frame = false;

 protected:
  WsClient& owner_;
  std::uint64_t serial_;
  bool closing_ = false;  // we closed it: its failure is not news
};

template <bool kTls>
class WsClient::ConnectionImpl final : public WsClient::Connection {
  using Layer = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

 public:
  template <class... StreamArgs>
  ConnectionImpl(WsClient& owner, std::uint64_t serial, StreamArgs&&... args)
      : Connection(owner, serial),
        ws_(std::forward<StreamArgs>(args)...),
        resolver_(ws_.get_executor()) {
    buffer_.reserve(64 * 1024);
  }

  void open() override {
    const WsTarget& w = owner_.opt_.where;
    resolver_.async_resolve(w.host, w.port,
                            [self = shared(), this](error_code ec, tcp::resolver::results_type r) {
                              if (ec) return fail("resolve", ec);
                              on_resolved(r);
                            });
  }

  void close() override {
    if (closing_) return;
    closing_ = true;
    if (!open_) return abort_socket();
    // A silent peer would hold the close handshake: bound it.
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(2);
    t.idle_timeout = websocket::stream_base::none();
    ws_.set_option(t);
    ws_.async_close(websocket::close_code::normal,
                    [self = shared(), this](error_code) { abort_socket(); });
  }

  void abort() override {
    closing_ = true;
    abort_socket();
  }

 private:
  std::shared_ptr<ConnectionImpl> shared() {
    return std::static_pointer_cast<ConnectionImpl>(shared_from_this());
  }

  void abort_socket() {
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close();
  }

  void on_resolved(const tcp::resolver::results_type& results) {
    auto& tcp_layer = beast::get_lowest_layer(ws_);
    tcp_layer.expires_after(std::chrono::milliseconds(owner_.opt_.connect_timeout_ms));
    tcp_layer.async_connect(results, [self = shared(), this](error_code ec, const tcp::endpoint&) {
      if (ec) return fail("connect", ec);
      error_code ignored;
      beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
      if constexpr (kTls) {
        start_tls();
      } else {
        start_websocket();
      }
    });
  }

  void start_tls() {
    const std::string& host = owner_.opt_.where.host;
    auto& tls = ws_.next_layer();
    // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
    if (!SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(host.c_str())))
      return fail("tls sni",
                  error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()));
    tls.set_verify_callback(ssl::host_name_verification(host));
    tls.async_handshake(ssl::stream_base::client, [self = shared(), this](error_code ec) {
      if (ec) return fail("tls handshake", ec);
      start_websocket();
    });
  }

  void start_websocket() {
    beast::get_lowest_layer(ws_).expires_never();
    auto t = websocket::stream_base::timeout::suggested(beast::role_type::client);
    t.handshake_timeout = std::chrono::milliseconds(owner_.opt_.connect_timeout_ms);
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "exitbrain");
    }));
    ws_.read_message_max(16u << 20);
    const WsTarget& w = owner_.opt_.where;
    const bool default_port = w.port == (kTls ? "443" : "80");
    host_header_ = default_port ? w.host : w.host + ":" + w.port;
    ws_.async_handshake(host_header_, w.target, [self = shared(), this](error_code ec) {
      if (ec) return fail("websocket handshake", ec);
      open_ = true;
      if (closing_) return close_after_open();
      owner_.on_open(*this);
      read();
    });
  }

  void close_after_open() {
    closing_ = false;
    close();
  }

  void read() {
    ws_.async_read(buffer_, [self = shared(), this](error_code ec, std::size_t n) {
      if (ec) return fail("read", ec);
      const auto data = buffer_.cdata();
      owner_.on_frame(*this, static_cast<const char*>(data.data()), n);
      buffer_.consume(n);
      if (!closing_) read();
    });
  }

  void fail(const char* what, error_code ec) {
    if (closing_) return;
    closing_ = true;
    abort_socket();
    owner_.on_failure(*this, std::string(what) + ": " + ec.message());
  }

  websocket::stream<Layer> ws_;
  tcp::resolver resolver_;
  beast::flat_buffer buffer_;
  std::string host_header_;
  bool open_ = false;
};

WsClient::WsClient(asio::io_context& io, std::shared_ptr<ssl::context> tls, WsClientOptions options,
                   WsHandler& handler)
    : io_(io),
      tls_(std::move(tls)),
      opt_(std::move(options)),
      handler_(handler),
      retry_timer_(io),
      watchdog_timer_(io),
      rotate_timer_(io),
      frame_(64 * 1024 + kJsonPadding),
      jitter_state_(opt_.jitter_seed | 1) {}

WsClient::~WsClient() = default;

void WsClient::start() {
  stopping_ = false;
  connect_new();
  arm_watchdog();
}

void WsClient::stop() {
  stopping_ = true;
  retry_timer_.cancel();
  watchdog_timer_.cancel();
  rotate_timer_.cancel();
  if (current_) current_->close();
  if (previous_) previous_->close();
  current_.reset();
  previous_.reset();
}

void WsClient::rotate_now() {
  if (stopping_ || !current_ || previous_) return;
  previous_ = std::move(current_);
  connect_new();
}

void WsClient::connect_new() {
  if (stopping_) return;
  ++serial_;
  if (opt_.where.tls) {
    current_ = std::make_shared<ConnectionImpl<true>>(*this, serial_, io_, *tls_);
  } else {
    current_ = std::make_shared<ConnectionImpl<false>>(*this, serial_, io_);
  }
  current_->open();
}

void WsClient::on_open(Connection& c) {
  connects_.fetch_add(1, std::memory_order_relaxed);
  // The silence clock starts at the handshake: a feed that never sends is stale too.
  last_frame_ns_ = mono_now_ns();
  report(WsStatusKind::kConnected, c.serial());
  if (&c == current_.get()) arm_rotation();
}

void WsClient::on_frame(Connection& c, const char* data, std::size_t len) {
  const MonoNs received = mono_now_ns();
  last_frame_ns_ = received;
  if (!c.got_frame) {
    c.got_frame = true;
    if (&c == current_.get()) {
      attempt_ = 0;
      if (previous_) {  // the replacement delivers: retire the old connection
        previous_->close();
        previous_.reset();
        report(WsStatusKind::kRotated, c.serial());
      }
    }
  }
  if (is_stale_.load(std::memory_order_relaxed)) {
    is_stale_.store(false, std::memory_order_relaxed);
    report(WsStatusKind::kFresh, c.serial());
  }
  if (frame_.size() < len + kJsonPadding) frame_.resize(len + kJsonPadding);  // rare: grows once
  std::memcpy(frame_.data(), data, len);
  // Zeros after the frame, not the tail of the one before: simdjson 3.0.1 can take the byte
  // after a malformed message for a token (see BinanceMessageParser::parse_message), and
  // the parser copies a message followed by ',' ']' or '}' to be safe from that.
  std::memset(frame_.data() + len, 0, kJsonPadding);
  frames_.fetch_add(1, std::memory_order_relaxed);
  handler_.on_frame(frame_.data(), len, frame_.size(), received);
}

void WsClient::on_failure(Connection& c, const std::string& what) {
  if (stopping_) return;
  report(WsStatusKind::kDisconnected, c.serial(), what);
  if (&c == previous_.get()) {  // the old connection died during a rotation: fine
    previous_.reset();
    return;
  }
  if (&c != current_.get()) return;
  current_.reset();
  if (previous_) {  // the replacement failed: keep the old one, try again later
    current_ = std::move(previous_);
    rotate_timer_.expires_after(std::chrono::milliseconds(next_backoff_ms()));
    rotate_timer_.async_wait([this](error_code ec) {
      if (!ec) rotate_now();
    });
    return;
  }
  schedule_retry();
}

std::int64_t WsClient::next_backoff_ms() noexcept {
  // Exponential with "equal jitter": half fixed, half random, so a fleet of clients
  // cut off together does not reconnect together.
  const int shift = std::min(attempt_, 16);
  const std::int64_t cap =
      std::min(opt_.backoff_max_ms, opt_.backoff_initial_ms * (std::int64_t{1} << shift));
  ++attempt_;
  jitter_state_ ^= jitter_state_ << 13;
  jitter_state_ ^= jitter_state_ >> 7;
  jitter_state_ ^= jitter_state_ << 17;
  const auto half = std::max<std::int64_t>(cap / 2, 1);
  return half + static_cast<std::int64_t>(jitter_state_ % static_cast<std::uint64_t>(half));
}

void WsClient::schedule_retry() {
  const std::int64_t delay = next_backoff_ms();
  report(WsStatusKind::kRetrying, serial_ + 1, {}, delay);
  retry_timer_.expires_after(std::chrono::milliseconds(delay));
  retry_timer_.async_wait([this](error_code ec) {
    if (!ec) connect_new();
  });
}

void WsClient::arm_watchdog() {
  // A periodic check of the last frame time, not a timer reset per frame: re-arming a
  // timer on every frame would cost a timerfd syscall on the hot path.
  const auto period = std::max<std::int64_t>(opt_.stale_after_ms / 4, 20);
  watchdog_timer_.expires_after(std::chrono::milliseconds(period));
  watchdog_timer_.async_wait([this](error_code ec) {
    if (ec || stopping_) return;
    const MonoNs silent = mono_now_ns() - last_frame_ns_;
    if (current_ && last_frame_ns_ != 0 && silent > opt_.stale_after_ms * 1'000'000) {
      stale_.fetch_add(1, std::memory_order_relaxed);
      is_stale_.store(true, std::memory_order_relaxed);
      last_frame_ns_ = 0;  // one report per silence
      report(WsStatusKind::kStale, current_->serial(),
             "no frame for " + std::to_string(silent / 1'000'000) + " ms");
      auto dead = std::move(current_);
      dead->abort();
      if (previous_) {  // a rotation in progress: the old connection is as silent
        previous_->abort();
        previous_.reset();
      }
      schedule_retry();
    }
    arm_watchdog();
  });
}

void WsClient::arm_rotation() {
  rotate_timer_.expires_after(std::chrono::milliseconds(opt_.rotate_after_ms));
  rotate_timer_.async_wait([this](error_code ec) {
    if (!ec) rotate_now();
  });
}

void WsClient::report(WsStatusKind kind, std::uint64_t connection, std::string detail,
                      std::int64_t retry_in_ms) {
  WsStatus s;
  s.kind = kind;
  s.detail = std::move(detail);
  s.retry_in_ms = retry_in_ms;
  s.connection = connection;
  handler_.on_status(s);
}

}  // namespace exitbrain
