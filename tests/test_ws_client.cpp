// The market-data WebSocket client against the project's exchange simulator, in process
// and over real loopback sockets: routed paths, combined streams, rotation without a gap,
// reconnection after a drop, and TLS that verifies the server unless told which CA to trust.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "net/rest_client.hpp"
#include "net/tls_context.hpp"
#include "net/ws_client.hpp"
#include "tests/support/test_files.hpp"
#include "tools/sim/sim_server.hpp"
#include "tools/sim/test_certificates.hpp"

namespace exitbrain {
namespace {

// A simulator with a synthetic BTCUSDT market at 50 marks per second, on its own thread.
class LocalExchange {
 public:
  explicit LocalExchange(const std::string& tls_dir = {}) {
    sim::SimAccountConfig account;
    account.api_key = "k";
    account.api_secret = "s";
    account.symbols.push_back({"BTCUSDT", Decimal::from_units(10'000'000),  // tick 0.1
                               Decimal::from_units(100'000), Decimal::from_units(100'000),
                               Decimal::from_int(5)});
    exchange_ = std::make_unique<sim::SimExchange>(account);
    sim::SyntheticFeedOptions feed;
    feed.symbols = {{"BTCUSDT", 60000.0}};
    feed.start_ms = wall_clock_ms();
    sim::SimServerOptions o;
    o.speed = 50;
    o.shift_times = false;
    if (!tls_dir.empty()) {
      EXPECT_EQ(sim::generate_test_certificates(tls_dir, certs), "");
      o.tls_cert = certs.server_cert;
      o.tls_key = certs.server_key;
    }
    server_ = std::make_unique<sim::SimServer>(o, sim::make_synthetic_feed(feed),
                                               std::deque<sim::FeedMessage>{}, *exchange_);
    port = server_->listen();
    thread_ = std::thread([this] { server_->run(); });
  }
  ~LocalExchange() {
    server_->stop();
    thread_.join();
  }
  std::uint16_t port = 0;
  sim::CertificatePaths certs;

 private:
  std::unique_ptr<sim::SimExchange> exchange_;
  std::unique_ptr<sim::SimServer> server_;
  std::thread thread_;
};

// Counts frames and remembers the statuses, from the client's io thread.
class Recorder final : public WsHandler {
 public:
  void on_frame(const char* data, std::size_t len, std::size_t capacity, MonoNs) noexcept override {
    frames.fetch_add(1);
    padded_ok = padded_ok && capacity >= len + 64;
    const std::string_view text(data, len);
    if (text.find("\"stream\":\"btcusdt@markPrice@1s\"") == std::string_view::npos) unexpected++;
    const MonoNs now = mono_now_ns();
    if (last_ != 0) max_gap_ns = std::max(max_gap_ns.load(), now - last_);
    last_ = now;
  }
  void on_status(const WsStatus& s) override {
    std::lock_guard<std::mutex> lock(mu);
    statuses.push_back(s.kind);
    details.push_back(s.detail);
  }
  int count(WsStatusKind k) {
    std::lock_guard<std::mutex> lock(mu);
    return static_cast<int>(std::count(statuses.begin(), statuses.end(), k));
  }

  std::atomic<int> frames{0}, unexpected{0};
  std::atomic<MonoNs> max_gap_ns{0};
  bool padded_ok = true;
  std::mutex mu;
  std::vector<WsStatusKind> statuses;
  std::vector<std::string> details;

 private:
  MonoNs last_ = 0;
};

template <class Pred>
bool eventually(Pred p, int timeout_ms = 10'000) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < until) {
    if (p()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return p();
}

WsClientOptions options(std::uint16_t port, bool tls, const std::string& path) {
  WsClientOptions o;
  o.where = WsTarget{tls, tls ? "localhost" : "127.0.0.1", std::to_string(port), path};
  o.backoff_initial_ms = 20;
  o.backoff_max_ms = 200;
  o.stale_after_ms = 2000;
  return o;
}

// The client on its own io thread for the life of the test.
struct ClientThread {
  ClientThread(std::shared_ptr<boost::asio::ssl::context> tls, WsClientOptions o, WsHandler& h)
      : client(io, std::move(tls), std::move(o), h) {
    client.start();
    thread = std::thread([this] {
      while (!stop) io.run_for(std::chrono::milliseconds(20));
    });
  }
  ~ClientThread() {
    stop = true;
    thread.join();
    client.stop();
  }
  void post(std::function<void()> f) { boost::asio::post(io, std::move(f)); }

  boost::asio::io_context io;
  WsClient client;
  std::atomic<bool> stop{false};
  std::thread thread;
};

TEST(WsClient, CombinedStreamOnTheMarketRouteDeliversPaddedFrames) {
  LocalExchange ex;
  Recorder rec;
  ClientThread c(nullptr, options(ex.port, false, "/market/stream?streams=btcusdt@markPrice@1s"),
                 rec);
  ASSERT_TRUE(eventually([&] { return rec.frames >= 20; })) << rec.frames;
  EXPECT_EQ(rec.unexpected, 0);
  EXPECT_TRUE(rec.padded_ok);
  EXPECT_EQ(rec.count(WsStatusKind::kConnected), 1);
}

TEST(WsClient, AMarkStreamOnAnUnroutedPathDeliversNothing) {
  // binance-api.md: since 2026-04-23 a connection without /market gets only /public data.
  LocalExchange ex;
  Recorder rec;
  ClientThread c(nullptr, options(ex.port, false, "/stream?streams=btcusdt@markPrice@1s"), rec);
  ASSERT_TRUE(eventually([&] { return rec.count(WsStatusKind::kConnected) == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(rec.frames, 0);
}

TEST(WsClient, RotationOpensTheNewConnectionFirstSoNoFrameIsMissed) {
  LocalExchange ex;
  Recorder rec;
  // A long back-off: were the rotation a close and a reconnect, the hole would show.
  WsClientOptions o = options(ex.port, false, "/market/stream?streams=btcusdt@markPrice@1s");
  o.backoff_initial_ms = 2000;
  o.backoff_max_ms = 4000;
  ClientThread c(nullptr, o, rec);
  ASSERT_TRUE(eventually([&] { return rec.frames >= 10; }));
  rec.max_gap_ns = 0;
  c.post([&] { c.client.rotate_now(); });
  ASSERT_TRUE(eventually([&] { return rec.count(WsStatusKind::kRotated) == 1; }));
  const int at_rotation = rec.frames;
  ASSERT_TRUE(eventually([&] { return rec.frames >= at_rotation + 10; }));
  EXPECT_EQ(rec.count(WsStatusKind::kConnected), 2);
  EXPECT_EQ(rec.count(WsStatusKind::kDisconnected), 0);
  EXPECT_EQ(rec.count(WsStatusKind::kRetrying), 0);
  // 50 marks a second: a reconnect after a close would leave a hole of a back-off and a
  // handshake; a rotation leaves none longer than the normal spacing (20 ms, with slack).
  EXPECT_LT(rec.max_gap_ns.load(), 500'000'000) << rec.max_gap_ns.load();
}

TEST(WsClient, ADroppedConnectionIsReopenedAfterABackOff) {
  LocalExchange ex;
  Recorder rec;
  ClientThread c(nullptr, options(ex.port, false, "/market/stream?streams=btcusdt@markPrice@1s"),
                 rec);
  ASSERT_TRUE(eventually([&] { return rec.frames >= 5; }));
  // Through the control endpoint, as an operator would (the server thread owns the faults).
  RestClient control(HttpTarget{false, "127.0.0.1", std::to_string(ex.port)}, nullptr, {});
  ASSERT_EQ(control.request(HttpMethod::kPost, "/sim/faults", "drop_market_ws=1", false).status,
            200);
  ASSERT_TRUE(eventually([&] { return rec.count(WsStatusKind::kConnected) == 2; }));
  EXPECT_GE(rec.count(WsStatusKind::kDisconnected), 1);
  EXPECT_GE(rec.count(WsStatusKind::kRetrying), 1);
  const int after = rec.frames;
  EXPECT_TRUE(eventually([&] { return rec.frames >= after + 5; }));
}

TEST(WsClient, TlsWithTheTestCaVerifiesAndDelivers) {
  const std::string dir = testing::make_test_dir("ws_client_tls");
  LocalExchange ex(dir);
  std::string err;
  auto tls = make_client_tls_context(ex.certs.ca_cert, err);
  ASSERT_TRUE(tls) << err;
  Recorder rec;
  ClientThread c(tls, options(ex.port, true, "/market/stream?streams=btcusdt@markPrice@1s"), rec);
  EXPECT_TRUE(eventually([&] { return rec.frames >= 10; })) << rec.frames;
}

TEST(WsClient, TlsRefusesAServerItCannotVerify) {
  const std::string dir = testing::make_test_dir("ws_client_tls_refused");
  LocalExchange ex(dir);
  std::string err;
  auto system_store = make_client_tls_context("", err);  // does not know the test CA
  ASSERT_TRUE(system_store) << err;
  Recorder rec;
  ClientThread c(system_store,
                 options(ex.port, true, "/market/stream?streams=btcusdt@markPrice@1s"), rec);
  ASSERT_TRUE(eventually([&] { return rec.count(WsStatusKind::kDisconnected) >= 1; }));
  EXPECT_EQ(rec.frames, 0);
  EXPECT_EQ(rec.count(WsStatusKind::kConnected), 0);
  std::lock_guard<std::mutex> lock(rec.mu);
  EXPECT_NE(rec.details[0].find("tls handshake"), std::string::npos) << rec.details[0];
}

TEST(TlsContext, AMissingCaFileIsAnErrorNamingIt) {
  std::string err;
  EXPECT_FALSE(make_client_tls_context("/nonexistent/ca.pem", err));
  EXPECT_NE(err.find("/nonexistent/ca.pem"), std::string::npos) << err;
}

}  // namespace
}  // namespace exitbrain
