#pragma once
// One kept-alive HTTP/1.1 connection to the exchange's REST API, used synchronously by the
// thread that owns it (the order sender, the start-up and user-stream keepers each have
// their own). https:// with certificate and host-name verification and SNI, or http://
// for loopback tests; TCP_NODELAY; pre-connected with connect(); reconnected when the
// exchange closes an idle connection.
//
// Every parameter travels in the query string (the exchange accepts that for every
// method, binance-api.md §2.1), so the signed bytes are exactly the bytes sent. The request
// is written from a buffer reused across requests. The answer is parsed after the order
// bytes are out, off the tick-to-order path.
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace exitbrain {

struct HttpTarget {
  bool tls = false;
  std::string host;
  std::string port;
};

enum class HttpMethod : std::uint8_t { kGet, kPost, kPut, kDelete };
const char* to_string(HttpMethod m) noexcept;

struct HttpHeaderField {
  std::string name;  // lower case
  std::string value;
};

struct RestReply {
  enum class Outcome : std::uint8_t {
    kAnswered,  // an HTTP answer (any status)
    kNotSent,   // no byte of the request reached the exchange: safe to send again
    kUnknown,   // sent, but no answer (timeout, connection lost): look it up before resending
  };
  Outcome outcome = Outcome::kNotSent;
  int status = 0;
  std::string body;
  std::vector<HttpHeaderField> headers;  // only x-mbx-* and retry-after
  std::string error;                     // kNotSent / kUnknown: what happened
  MonoNs bytes_out = 0;                  // when the request bytes were handed to the socket
  MonoNs answered = 0;
  std::string_view header(std::string_view lower_name) const noexcept;
};

// The wait an answer asks for (its Retry-After, on a 429 or 418), in ms; 0 without one.
inline std::int64_t retry_after_ms(const RestReply& r) noexcept {
  for (const HttpHeaderField& h : r.headers)
    if (h.name == "retry-after")
      return std::max<std::int64_t>(std::atoll(h.value.c_str()), 0) * 1000;
  return 0;
}

struct RestClientOptions {
  std::int64_t timeout_ms = 5'000;
  std::string api_key;  // sent as X-MBX-APIKEY when a request asks for it
  std::string user_agent = "exitbrain";
};

class RestClient {
 public:
  // `tls` is required for https targets.
  RestClient(HttpTarget target, std::shared_ptr<boost::asio::ssl::context> tls,
             RestClientOptions options);
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // Opens the connection now (DNS, TCP, TLS) so the first order does not pay for it.
  // Returns an error text, empty on success.
  std::string connect();
  // `path`: "/fapi/v1/order"; `query`: "symbol=...&signature=..." (may be empty). Blocks
  // until the answer, the timeout or a failure. The reply is valid until the next request.
  const RestReply& request(HttpMethod method, std::string_view path, std::string_view query,
                           bool with_api_key);

  bool connected() const noexcept;
  std::uint64_t connects() const noexcept { return connects_; }

 private:
  struct Session;
  template <class Stream>
  void exchange(Stream& stream, bool& keep_alive);

  boost::asio::io_context io_;
  HttpTarget target_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  RestClientOptions opt_;
  std::unique_ptr<Session> session_;
  std::string out_;  // request bytes, capacity kept
  std::string host_header_;
  RestReply reply_;
  std::uint64_t connects_ = 0;
};

}  // namespace exitbrain
