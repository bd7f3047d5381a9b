#include "net/rest_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <variant>

namespace exitbrain {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

const char* to_string(HttpMethod m) noexcept {
  switch (m) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kPost:
      return "POST";
    case HttpMethod::kPut:
      return "PUT";
    case HttpMethod::kDelete:
      return "DELETE";
  }
  return "GET";
}

std::string_view RestReply::header(std::string_view lower_name) const noexcept {
  for (const auto& h : headers)
    if (h.name == lower_name) return h.value;
  return {};
}

struct RestClient::Session {
  std::variant<std::monostate, beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  bool open = false;
};

namespace {

// Runs the io_context until the pending operation completes (each has a deadline).
void run_until_done(asio::io_context& io) {
  io.restart();
  io.run();
}

}  // namespace

RestClient::RestClient(HttpTarget target, std::shared_ptr<ssl::context> tls,
                       RestClientOptions options)
    : target_(std::move(target)),
      tls_(std::move(tls)),
      opt_(std::move(options)),
      session_(std::make_unique<Session>()) {
  out_.reserve(2048);
  const bool default_port = target_.port == (target_.tls ? "443" : "80");
  host_header_ = default_port ? target_.host : target_.host + ":" + target_.port;
}

RestClient::~RestClient() = default;

bool RestClient::connected() const noexcept {
  return session_->open;
}

std::string RestClient::connect() {
  session_ = std::make_unique<Session>();
  session_->buffer.reserve(64 * 1024);
  const auto timeout = std::chrono::milliseconds(opt_.timeout_ms);
  tcp::resolver resolver(io_);
  error_code ec;
  tcp::resolver::results_type endpoints;
  resolver.async_resolve(target_.host, target_.port,
                         [&](error_code e, tcp::resolver::results_type r) {
                           ec = e;
                           endpoints = std::move(r);
                         });
  run_until_done(io_);
  if (ec) return "resolve " + target_.host + ": " + ec.message();

  auto connect_tcp = [&](beast::tcp_stream& s) {
    s.expires_after(timeout);
    s.async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
    run_until_done(io_);
    if (!ec) s.socket().set_option(tcp::no_delay(true), ec);
  };
  if (target_.tls) {
    if (!tls_) return "https target without a TLS context";
    auto& s = session_->stream.emplace<beast::ssl_stream<beast::tcp_stream>>(io_, *tls_);
    connect_tcp(beast::get_lowest_layer(s));
    if (ec) return "connect " + host_header_ + ": " + ec.message();
    if (!SSL_ctrl(s.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(target_.host.c_str())))
      return "tls: cannot set SNI for " + target_.host;
    s.set_verify_callback(ssl::host_name_verification(target_.host));
    beast::get_lowest_layer(s).expires_after(timeout);
    s.async_handshake(ssl::stream_base::client, [&](error_code e) { ec = e; });
    run_until_done(io_);
    if (ec) return "tls handshake with " + host_header_ + ": " + ec.message();
  } else {
    auto& s = session_->stream.emplace<beast::tcp_stream>(io_);
    connect_tcp(s);
    if (ec) return "connect " + host_header_ + ": " + ec.message();
  }
  session_->open = true;
  ++connects_;
  return {};
}

template <class Stream>
void RestClient::exchange(Stream& stream, bool& keep_alive) {
  auto& lowest = beast::get_lowest_layer(stream);
  const auto timeout = std::chrono::milliseconds(opt_.timeout_ms);
  error_code ec;
  std::size_t written = 0;
  lowest.expires_after(timeout);
  asio::async_write(stream, asio::buffer(out_), [&](error_code e, std::size_t n) {
    ec = e;
    written = n;
  });
  run_until_done(io_);
  reply_.bytes_out = mono_now_ns();
  if (ec) {
    // A kept-alive connection the exchange had closed fails here before anything went
    // out; a partial write may have reached it.
    reply_.outcome = written == 0 ? RestReply::Outcome::kNotSent : RestReply::Outcome::kUnknown;
    reply_.error = "write: " + ec.message();
    keep_alive = false;
    return;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(256u << 20);
  // Reuse the reply's buffer (its capacity) for this answer's body.
  parser.get().body().swap(reply_.body);
  parser.get().body().clear();
  lowest.expires_after(timeout);
  http::async_read(stream, session_->buffer, parser, [&](error_code e, std::size_t) { ec = e; });
  run_until_done(io_);
  reply_.answered = mono_now_ns();
  if (ec) {
    reply_.outcome = RestReply::Outcome::kUnknown;
    reply_.error = ec == beast::error::timeout
                       ? "no answer within " + std::to_string(opt_.timeout_ms) + " ms"
                       : "read: " + ec.message();
    keep_alive = false;
    return;
  }
  auto& res = parser.get();
  reply_.outcome = RestReply::Outcome::kAnswered;
  reply_.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.rfind("x-mbx-", 0) == 0 || name == "retry-after")
      reply_.headers.push_back({std::move(name), std::string(field.value())});
  }
  keep_alive = res.keep_alive();
  res.body().swap(reply_.body);
}

const RestReply& RestClient::request(HttpMethod method, std::string_view path,
                                     std::string_view query, bool with_api_key) {
  reply_.outcome = RestReply::Outcome::kNotSent;
  reply_.status = 0;
  reply_.headers.clear();
  reply_.error.clear();
  reply_.bytes_out = reply_.answered = 0;

  out_.clear();
  out_ += to_string(method);
  out_ += ' ';
  out_ += path;
  if (!query.empty()) {
    out_ += '?';
    out_ += query;
  }
  out_ += " HTTP/1.1\r\nHost: ";
  out_ += host_header_;
  out_ += "\r\nUser-Agent: ";
  out_ += opt_.user_agent;
  if (with_api_key) {
    out_ += "\r\nX-MBX-APIKEY: ";
    out_ += opt_.api_key;
  }
  out_ += "\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n";

  // One retry, only when nothing was sent (a stale kept-alive connection).
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!session_->open) {
      if (std::string err = connect(); !err.empty()) {
        reply_.outcome = RestReply::Outcome::kNotSent;
        reply_.error = std::move(err);
        return reply_;
      }
    }
    bool keep_alive = true;
    std::visit(
        [&](auto& s) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, std::monostate>)
            exchange(s, keep_alive);
        },
        session_->stream);
    if (!keep_alive) {
      session_->open = false;
      std::visit(
          [](auto& s) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, std::monostate>) {
              error_code ignored;
              beast::get_lowest_layer(s).socket().close(ignored);
            }
          },
          session_->stream);
    }
    if (reply_.outcome != RestReply::Outcome::kNotSent) break;
  }
  return reply_;
}

}  // namespace exitbrain
