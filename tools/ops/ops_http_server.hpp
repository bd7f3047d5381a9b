#pragma once
// The operations endpoint's HTTP server (/metrics, /health): Boost.Beast over plain TCP on
// a loopback address only, on the io_context of the ops thread (tools/ops/ops_thread.hpp).
// One request per read, keep-alive honoured, every connection bounded by a timeout so a
// stalled client cannot hold the thread. Nothing here is on the hot path: the handler
// reads the counters the pipeline threads keep.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace exitbrain {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};
// GET and HEAD only (others get 405 before the handler is asked); `target` is the path.
using HttpHandler = std::function<HttpReply(std::string_view target)>;

class OpsHttpServer {
 public:
  explicit OpsHttpServer(boost::asio::io_context& io) : io_(io) {}
  ~OpsHttpServer();
  // Binds and listens: "" or the error (address in use, not loopback...). Port 0: any free
  // port, see port().
  std::string listen(const std::string& host, std::uint16_t port, HttpHandler handler);
  std::uint16_t port() const noexcept { return port_; }
  // Stops accepting; the ops thread's io_context closes what is open when it stops.
  void close();

 private:
  void accept();

  boost::asio::io_context& io_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::shared_ptr<HttpHandler> handler_;
  std::uint16_t port_ = 0;
};

}  // namespace exitbrain
