#include "tools/ops/ops_http_server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <optional>

namespace exitbrain {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kConnectionTimeout = std::chrono::seconds(10);

// One connection: read a request, answer it, again while the client keeps it alive.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket s, std::shared_ptr<HttpHandler> h)
      : stream_(std::move(s)), handler_(std::move(h)) {}

  void read() {
    request_ = {};
    // A scrape request is a few hundred bytes; anything much larger is not one.
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(16 * 1024);
    stream_.expires_after(kConnectionTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->answer();
                     });
  }

 private:
  void answer() {
    request_ = parser_->release();
    auto reply = std::make_shared<http::response<http::string_body>>();
    reply->version(request_.version());
    reply->set(http::field::server, "exitbrain");
    const bool head = request_.method() == http::verb::head;
    if (request_.method() != http::verb::get && !head) {
      reply->result(http::status::method_not_allowed);
      reply->set(http::field::allow, "GET, HEAD");
      reply->set(http::field::content_type, "text/plain; charset=utf-8");
      reply->body() = "GET or HEAD only\n";
    } else {
      std::string_view target(request_.target().data(), request_.target().size());
      if (const auto q = target.find('?'); q != std::string_view::npos)
        target = target.substr(0, q);
      HttpReply r = (*handler_)(target);
      reply->result(static_cast<unsigned>(r.status));
      reply->set(http::field::content_type, r.content_type);
      reply->body() = head ? std::string() : std::move(r.body);
      if (head) reply->content_length(r.body.size());
    }
    reply->keep_alive(request_.keep_alive());
    if (!head) reply->prepare_payload();
    stream_.expires_after(kConnectionTimeout);
    http::async_write(stream_, *reply,
                      [self = shared_from_this(), reply](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (reply->keep_alive())
                          self->read();
                        else
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<HttpHandler> handler_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
};

}  // namespace

OpsHttpServer::~OpsHttpServer() {
  close();
}

std::string OpsHttpServer::listen(const std::string& host, std::uint16_t port,
                                  HttpHandler handler) {
  boost::system::error_code ec;
  const asio::ip::address addr = asio::ip::make_address(host, ec);
  if (ec) return host + ": " + ec.message();
  if (!addr.is_loopback()) return host + " is not a loopback address";
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  const tcp::endpoint at(addr, port);
  acceptor->open(at.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(at, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return host + ":" + std::to_string(port) + ": " + ec.message();
  port_ = acceptor->local_endpoint().port();
  acceptor_ = std::move(acceptor);
  handler_ = std::make_shared<HttpHandler>(std::move(handler));
  accept();
  return {};
}

void OpsHttpServer::accept() {
  acceptor_->async_accept([this](boost::system::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted || !acceptor_ || !acceptor_->is_open()) return;
    if (!ec) {
      s.set_option(tcp::no_delay(true), ec);
      std::make_shared<HttpSession>(std::move(s), handler_)->read();
    }
    accept();
  });
}

void OpsHttpServer::close() {
  if (!acceptor_) return;
  boost::system::error_code ec;
  acceptor_->close(ec);
}

}  // namespace exitbrain
