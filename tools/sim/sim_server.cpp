#include "tools/sim/sim_server.hpp"

#include <simdjson.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cctype>
#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "core/clock.hpp"
#include "core/decimal.hpp"

namespace exitbrain::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using SteadyTime = std::chrono::steady_clock::time_point;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

enum class Route : std::uint8_t { kMarket, kPublic, kPrivate, kUnrouted };

// The value of `key` in a query string, or empty.
std::string_view query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.size() > key.size() && pair.substr(0, key.size()) == key && pair[key.size()] == '=')
      return pair.substr(key.size() + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto at = s.find(sep);
    if (at != 0) out.emplace_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

// Event times of a recording, moved by `shift` ms: every 13-digit number after "E":, "T":
// or "t": (exchange times are epoch milliseconds; trade ids there are far smaller).
void shift_epoch_ms(std::string& payload, std::int64_t shift) {
  if (shift == 0) return;
  for (std::size_t i = 0; i + 4 < payload.size(); ++i) {
    if (payload[i] != '"' || payload[i + 2] != '"' || payload[i + 3] != ':') continue;
    const char k = payload[i + 1];
    if (k != 'E' && k != 'T' && k != 't') continue;
    std::size_t j = i + 4;
    std::size_t end = j;
    while (end < payload.size() && payload[end] >= '0' && payload[end] <= '9') ++end;
    if (end - j != 13) continue;
    const std::int64_t v = std::stoll(payload.substr(j, end - j)) + shift;
    const std::string text = std::to_string(v);
    if (text.size() == 13) payload.replace(j, 13, text);
  }
}

// A one-minute candle built from mark prices, streamed as <symbol>@kline_1m.
struct MinuteCandle {
  TimeMs open_time = -1;
  Decimal o, h, l, c;
};

std::string kline_payload(std::string_view symbol, const MinuteCandle& k, TimeMs event_time,
                          bool closed) {
  std::string s;
  s.reserve(320);
  s += "{\"e\":\"kline\",\"E\":" + std::to_string(event_time) + ",\"s\":\"";
  s += symbol;
  s += "\",\"k\":{\"t\":" + std::to_string(k.open_time) +
       ",\"T\":" + std::to_string(k.open_time + 59'999) + ",\"s\":\"";
  s += symbol;
  s += "\",\"i\":\"1m\",\"f\":0,\"L\":0,\"o\":\"" + to_string(k.o) + "\",\"c\":\"" +
       to_string(k.c) + "\",\"h\":\"" + to_string(k.h) + "\",\"l\":\"" + to_string(k.l) +
       "\",\"v\":\"0\",\"n\":0,\"x\":" + (closed ? "true" : "false") +
       ",\"q\":\"0\",\"V\":\"0\",\"Q\":\"0\",\"B\":\"0\"}}";
  return s;
}

}  // namespace

// A WebSocket connection as the server's fan-out sees it.
struct WsPeer {
  virtual ~WsPeer() = default;
  virtual void send(std::shared_ptr<const std::string> message) = 0;
  virtual void drop() = 0;  // closes the socket at once (a dropped connection)
  Route route = Route::kMarket;
  std::set<std::string> streams;
  bool combined = false;
  std::string listen_key;
  bool expired_sent = false;
};

struct SimServer::Impl {
  Impl(SimServerOptions o, std::unique_ptr<MarketFeed> f, std::deque<FeedMessage> pre,
       SimExchange& e)
      : opt(std::move(o)), feed(std::move(f)), pending(std::move(pre)), ex(e) {}

  SimServerOptions opt;
  std::unique_ptr<MarketFeed> feed;
  std::deque<FeedMessage> pending;
  SimExchange& ex;
  asio::io_context io;
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor{io};
  asio::steady_timer pump_timer{io};
  asio::steady_timer housekeeping_timer{io};
  std::vector<std::weak_ptr<WsPeer>> peers;

  bool shift_known = false;
  std::int64_t shift = 0;
  TimeMs live_from = 0;  // feed time (shifted) at which streaming starts
  bool live = false;
  // --open specs whose symbol has had no mark yet (a synthetic feed has no marks in its
  // history): tried again after each message, given up after kOpenWaitMessages.
  std::vector<std::string> opens_waiting;
  std::uint64_t open_wait_messages = 0;
  static constexpr std::uint64_t kOpenWaitMessages = 100'000;
  TimeMs feed_base = 0;
  SteadyTime wall_base{};
  std::optional<FeedMessage> next_msg;
  SteadyTime silent_until{};
  SteadyTime refuse_market_until{};
  std::map<std::string, MinuteCandle> candles;
  std::set<std::string> symbols_with_klines;
  std::map<std::string, Price> held_marks;  // /sim/mark?hold=1: symbol -> the price that stands

  std::atomic<std::uint64_t> market_messages{0}, http_requests{0}, ws_sessions{0};
  std::atomic<bool> feed_done{false};

  void accept();
  void start_session(tcp::socket socket);
  template <class Stream>
  void upgrade(Stream stream, http::request<http::string_body> req);
  void on_client_message(WsPeer& peer, std::string_view text);
  void pump();
  void feed_exchange(FeedMessage& m);
  // `first_send_ns`: when given, set to mono_now_ns() just before the first socket gets the
  // frame (left alone when no socket is subscribed). Returns the number of sockets.
  int broadcast(const std::string& stream, const std::string& payload, Route route,
                MonoNs* first_send_ns = nullptr);
  void flush_user_events();
  void housekeeping();
  void apply_faults();
  void open_start_positions(TimeMs now);
  HttpAnswer inject_mark(std::string_view query);
  void apply_held_mark(FeedMessage& m) const;
  void log(const std::string& line) const {
    if (opt.verbose) std::cerr << "sim: " << line << "\n";
  }
};

// ---- WebSocket sessions ------------------------------------------------------------------

template <class Stream>
class WsSession final : public WsPeer, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(SimServer::Impl& srv, Stream&& stream) : srv_(srv), ws_(std::move(stream)) {}

  void accept(http::request<http::string_body> req) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(req, [self = this->shared_from_this()](error_code ec) {
      if (ec) return;
      self->srv_.peers.push_back(self);
      self->srv_.ws_sessions.fetch_add(1);
      self->read();
    });
  }

  void send(std::shared_ptr<const std::string> message) override {
    if (closed_) return;
    if (out_.size() > 50'000) return drop();  // a reader that stopped reading
    out_.push_back(std::move(message));
    if (!writing_) write_next();
  }

  void drop() override {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close();
  }

 private:
  void read() {
    ws_.async_read(buf_, [self = this->shared_from_this()](error_code ec, std::size_t) {
      if (ec) {
        self->closed_ = true;
        return;
      }
      const std::string text = beast::buffers_to_string(self->buf_.data());
      self->buf_.consume(self->buf_.size());
      self->srv_.on_client_message(*self, text);
      self->read();
    });
  }

  void write_next() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(*out_.front()),
                    [self = this->shared_from_this()](error_code ec, std::size_t) {
                      self->out_.pop_front();
                      if (ec) {
                        self->closed_ = true;
                        self->writing_ = false;
                        return;
                      }
                      if (!self->out_.empty()) return self->write_next();
                      self->writing_ = false;
                    });
  }

  SimServer::Impl& srv_;
  websocket::stream<Stream> ws_;
  beast::flat_buffer buf_;
  std::deque<std::shared_ptr<const std::string>> out_;
  bool writing_ = false;
  bool closed_ = false;
};

// ---- HTTP sessions -----------------------------------------------------------------------

template <class Stream>
class HttpSession final : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(SimServer::Impl& srv, Stream&& stream)
      : srv_(srv), stream_(std::move(stream)), delay_(srv.io) {}

  void tls_handshake() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
    stream_.async_handshake(ssl::stream_base::server,
                            [self = this->shared_from_this()](error_code ec) {
                              if (!ec) self->read();
                            });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(1u << 20);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::minutes(30));
    http::async_read(stream_, buf_, *parser_,
                     [self = this->shared_from_this()](error_code ec, std::size_t) {
                       if (!ec) self->on_request();
                     });
  }

 private:
  void on_request() {
    // First thing once the request is read: the arrival stamp of an order (received_ns).
    const MonoNs received_ns = mono_now_ns();
    http::request<http::string_body> req = parser_->release();
    const std::string target(req.target());
    const auto qmark = target.find('?');
    const std::string path = target.substr(0, qmark);
    const std::string query = qmark == std::string::npos ? "" : target.substr(qmark + 1);
    if (websocket::is_upgrade(req)) {
      if (path.rfind("/private", 0) != 0 &&
          std::chrono::steady_clock::now() < srv_.refuse_market_until)
        return respond(503, R"x({"code":-1000,"msg":"market streams unavailable (sim fault)"})x",
                       false);
      if (path.rfind("/private", 0) == 0) {
        std::string key(query_value(query, "listenKey"));
        if (key.empty()) {
          const auto parts = split(path, '/');  // private, ws, <key>
          if (parts.size() == 3 && parts[1] == "ws") key = parts[2];
        }
        // Stream mode may connect first and SUBSCRIBE the listen key after (Binance's own
        // connector does: /private/stream?streams= then {"method":"SUBSCRIBE",
        // "params":["<listenKey>"]}); a key it names up front must be valid.
        const bool subscribe_later = key.empty() && path == "/private/stream";
        if (!subscribe_later && !srv_.ex.listen_key_valid(key, wall_clock_ms()))
          return respond(400, R"({"code":-1125,"msg":"This listenKey does not exist."})", false);
      }
      beast::get_lowest_layer(stream_).expires_never();
      srv_.upgrade(std::move(stream_), std::move(req));
      return;
    }
    srv_.http_requests.fetch_add(1);
    if (path == "/sim/mark") return respond(srv_.inject_mark(query), true);
    const std::string api_key(req["X-MBX-APIKEY"]);
    HttpRequestView view;
    view.method = req.method_string();
    view.path = path;
    view.query = query;
    view.body = req.body();
    view.api_key = api_key;
    view.received_ns = received_ns;
    HttpAnswer answer = srv_.ex.handle(view, wall_clock_ms());
    srv_.flush_user_events();
    srv_.apply_faults();
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(answer.status), req.version());
    res->set(http::field::content_type, "application/json");
    for (const auto& [name, value] : answer.headers) res->set(name, value);
    res->body() = std::move(answer.body);
    res->keep_alive(req.keep_alive());
    res->prepare_payload();
    // The delay models a slow exchange: the test's own /sim/ control answers at once, so a
    // test can look at the record while exitbrain waits.
    const int delay_ms = path.starts_with("/sim/") ? 0 : srv_.ex.faults().delay_ms;
    if (delay_ms > 0) {
      delay_.expires_after(std::chrono::milliseconds(delay_ms));
      delay_.async_wait([self = this->shared_from_this(), res](error_code) { self->write(res); });
    } else {
      write(res);
    }
  }

  void respond(HttpAnswer a, bool keep_alive) { respond(a.status, std::move(a.body), keep_alive); }

  void respond(int status, std::string body, bool keep_alive) {
    auto res =
        std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    res->set(http::field::content_type, "application/json");
    res->body() = std::move(body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    write(res);
  }

  void write(std::shared_ptr<http::response<http::string_body>> res) {
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](error_code ec, std::size_t) {
                        if (ec) return;
                        if (!res->keep_alive()) {
                          error_code ignored;
                          beast::get_lowest_layer(self->stream_)
                              .socket()
                              .shutdown(tcp::socket::shutdown_both, ignored);
                          return;
                        }
                        self->read();
                      });
  }

  SimServer::Impl& srv_;
  Stream stream_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
  asio::steady_timer delay_;
};

// ---- the server --------------------------------------------------------------------------

void SimServer::Impl::accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (!ec) start_session(std::move(socket));
    if (acceptor.is_open()) accept();
  });
}

void SimServer::Impl::start_session(tcp::socket socket) {
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (tls) {
    auto s = std::make_shared<HttpSession<TlsStream>>(
        *this, TlsStream(beast::tcp_stream(std::move(socket)), *tls));
    s->tls_handshake();
  } else {
    auto s = std::make_shared<HttpSession<beast::tcp_stream>>(*this,
                                                              beast::tcp_stream(std::move(socket)));
    s->read();
  }
}

template <class Stream>
void SimServer::Impl::upgrade(Stream stream, http::request<http::string_body> req) {
  const std::string target(req.target());
  const auto qmark = target.find('?');
  std::string_view path = std::string_view(target).substr(0, qmark);
  const std::string_view query =
      qmark == std::string::npos ? std::string_view{} : std::string_view(target).substr(qmark + 1);
  auto session = std::make_shared<WsSession<Stream>>(*this, std::move(stream));
  Route route = Route::kUnrouted;
  for (const auto& [prefix, r] : {std::pair{std::string_view("/market"), Route::kMarket},
                                  std::pair{std::string_view("/public"), Route::kPublic},
                                  std::pair{std::string_view("/private"), Route::kPrivate}}) {
    if (path.substr(0, prefix.size()) == prefix) {
      route = r;
      path.remove_prefix(prefix.size());
      break;
    }
  }
  session->route = route;
  if (route == Route::kPrivate) {
    session->combined = path == "/stream";
    session->listen_key = std::string(query_value(query, "listenKey"));
    if (session->listen_key.empty() && path.substr(0, 4) == "/ws/")
      session->listen_key = std::string(path.substr(4));
  } else if (path == "/stream") {
    session->combined = true;
    for (auto& s : split(query_value(query, "streams"), '/')) session->streams.insert(s);
  } else if (path.substr(0, 4) == "/ws/") {
    for (auto& s : split(path.substr(4), '/')) session->streams.insert(s);
  }
  log("websocket " + target);
  session->accept(std::move(req));
}

void SimServer::Impl::on_client_message(WsPeer& peer, std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string reply;
  if (parser.parse(text.data(), text.size()).get(doc)) {
    reply = R"({"code":3,"msg":"Invalid JSON: )" + std::string("not a JSON object") + "\"}";
  } else {
    std::string_view method;
    // The request id comes back as it was sent: an unsigned integer, or a string (Binance's
    // own connector sends 32 hex digits on the futures streams), or null.
    std::string id;
    simdjson::dom::element id_element;
    std::uint64_t id_number = 0;
    std::string_view id_text;
    if (doc["id"].get(id_element)) {
      // absent: refused below
    } else if (!id_element.get(id_number)) {
      id = std::to_string(id_number);
    } else if (!id_element.get(id_text) && id_text.size() <= 64 &&
               std::all_of(id_text.begin(), id_text.end(), [](char ch) {
                 return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
               })) {
      id = "\"" + std::string(id_text) + "\"";
    } else if (id_element.is_null()) {
      id = "null";
    }
    const bool has_id = !id.empty();
    if (doc["method"].get(method)) {
      reply = R"({"code":2,"msg":"Invalid request: missing method"})";
    } else if (!has_id) {
      reply =
          R"({"code":2,"msg":"Invalid request: request ID must be an unsigned integer or a string"})";
    } else if (method == "SUBSCRIBE" || method == "UNSUBSCRIBE") {
      simdjson::dom::array params;
      if (doc["params"].get(params)) {
        reply = R"({"code":2,"msg":"Invalid request: missing params"})";
      } else {
        for (auto p : params) {
          std::string_view s;
          if (p.get(s)) continue;
          if (method == "SUBSCRIBE")
            peer.streams.insert(std::string(s));
          else
            peer.streams.erase(std::string(s));
          // On /private a listen key is the stream: its events flow from now on (an unknown
          // or expired key is taken like an unknown market stream: nothing flows).
          if (peer.route == Route::kPrivate) {
            if (method == "SUBSCRIBE" && ex.listen_key_valid(s, wall_clock_ms())) {
              peer.listen_key = std::string(s);
              peer.expired_sent = false;
            } else if (method == "UNSUBSCRIBE" && s == peer.listen_key) {
              peer.listen_key.clear();
            }
          }
        }
        reply = R"({"result":null,"id":)" + id + "}";
      }
    } else if (method == "LIST_SUBSCRIPTIONS") {
      reply = R"({"result":[)";
      bool first = true;
      for (const auto& s : peer.streams) {
        reply += (first ? "\"" : ",\"") + s + "\"";
        first = false;
      }
      reply += "],\"id\":" + id + "}";
    } else {
      reply = R"({"code":2,"msg":"Invalid request: unknown method"})";
    }
  }
  peer.send(std::make_shared<const std::string>(std::move(reply)));
}

void SimServer::Impl::pump() {
  int budget = 2000;  // messages per turn, so sockets are served between turns
  while (budget-- > 0) {
    if (!next_msg) {
      if (!pending.empty()) {
        next_msg = std::move(pending.front());
        pending.pop_front();
      } else {
        next_msg = feed->next();
      }
      if (!next_msg) {
        feed_done = true;
        log("feed finished");
        return;
      }
      if (!shift_known) {
        shift_known = true;
        const TimeMs first_live = next_msg->time + opt.history_ms;
        shift = opt.shift_times ? wall_clock_ms() - first_live : 0;
        live_from = first_live + shift;
      }
      next_msg->time += shift;
      shift_epoch_ms(next_msg->payload, shift);
    }
    FeedMessage& m = *next_msg;
    if (m.time < live_from) {  // history: klines only
      feed_exchange(m);
      next_msg.reset();
      continue;
    }
    const SteadyTime now = std::chrono::steady_clock::now();
    if (!live) {
      live = true;
      feed_base = m.time;
      wall_base = now;
      log("streaming");
      opens_waiting = opt.open_at_start;
    }
    if (opt.speed > 0) {
      const auto due =
          wall_base + std::chrono::microseconds(static_cast<std::int64_t>(
                          static_cast<double>(m.time - feed_base) * 1000.0 / opt.speed));
      if (due > now) {
        pump_timer.expires_at(due);
        pump_timer.async_wait([this](error_code ec) {
          if (!ec) pump();
        });
        return;
      }
    }
    apply_held_mark(m);  // when it goes out, not when it was read: a hold may end meanwhile
    feed_exchange(m);
    if (!opens_waiting.empty()) open_start_positions(m.time);
    const int receivers = broadcast(m.stream, m.payload,
                                    m.stream.find("@bookTicker") != std::string::npos ||
                                            m.stream.find("@depth") != std::string::npos
                                        ? Route::kPublic
                                        : Route::kMarket);
    if (m.is_mark && receivers > 0) ex.note_streamed_mark(m.symbol, m.mark, wall_clock_ms());
    market_messages.fetch_add(1);
    next_msg.reset();
    flush_user_events();
  }
  asio::post(io, [this] { pump(); });
}

void SimServer::Impl::open_start_positions(TimeMs now) {
  ++open_wait_messages;
  std::vector<std::string> still_waiting;
  for (const std::string& spec : opens_waiting) {
    const auto parts = split(spec, ':');
    std::string error = "not SYMBOL:LONG|SHORT:QTY";
    if (parts.size() == 3 && (parts[1] == "LONG" || parts[1] == "SHORT")) {
      Decimal qty;
      if (parse_decimal(parts[2], qty) == DecimalError::kOk && qty.is_positive()) {
        const auto err =
            ex.open_position(parts[0], parts[1] == "LONG" ? Side::kLong : Side::kShort, qty, now);
        if (!err) {
          std::cerr << "sim: opened " << spec << "\n";
          continue;
        }
        error = *err;
        // Its symbol's first mark may still be coming (every market source works).
        if (error.starts_with("no mark price") && open_wait_messages < kOpenWaitMessages) {
          still_waiting.push_back(spec);
          continue;
        }
      }
    }
    std::cerr << "sim: cannot open " << spec << ": " << error << "\n";
  }
  opens_waiting = std::move(still_waiting);
  flush_user_events();
}

// POST /sim/mark?symbol=X&price=P[&hold=1]: a mark price now, streamed and applied like a
// feed message (tests and demos use it to breach a stop at a known price). With hold=1 the
// price stands until the next /sim/mark of the symbol: the feed's own marks go on streaming,
// so the feed is not stale, but carry the held price; a test that walks the price step by
// step is then not overtaken by a streamed mark between two steps. Without hold (or hold=0)
// the feed's prices resume. The answer carries sent_ns, the CLOCK_MONOTONIC ns at which the
// markPrice frame went to the first subscribed socket (0 with no subscriber), and receivers:
// exitbrain-bench's breach-to-order start stamp, on the same clock as the orders' received_ns.
HttpAnswer SimServer::Impl::inject_mark(std::string_view query) {
  const std::string symbol(query_value(query, "symbol"));
  Decimal price;
  if (symbol.empty() || parse_decimal(query_value(query, "price"), price) != DecimalError::kOk ||
      !price.is_positive())
    return HttpAnswer{
        400, R"({"code":-1102,"msg":"symbol and a positive price are required"})", {}};
  const std::string_view hold = query_value(query, "hold");
  if (hold != "" && hold != "0" && hold != "1")
    return HttpAnswer{400, R"({"code":-1102,"msg":"hold must be 0 or 1"})", {}};
  if (hold == "1") {
    held_marks[symbol] = price;
    log("holding " + symbol + " at " + to_string(price));
  } else if (held_marks.erase(symbol) > 0) {
    log("released " + symbol);
  }
  FeedMessage m;
  m.time = wall_clock_ms();
  m.symbol = symbol;
  m.is_mark = true;
  m.mark = price;
  m.payload = mark_price_payload(symbol, m.time, price, price);
  const std::string base = lower_symbol(symbol) + "@markPrice";
  const auto saved = silent_until;
  silent_until = {};  // an injected price is delivered even during a silence fault
  // The mark frame goes out before feed_exchange() streams the kline it updates: a socket
  // with no write pending writes the frame inside send() (Asio writes speculatively), so
  // sent_ns is the write's time; behind the kline's write it would wait for that write's
  // completion. The exchange applies the mark in this same handler, before any request
  // that the frame provokes can be read.
  MonoNs sent_ns = 0;
  int receivers = broadcast(base + "@1s", m.payload, Route::kMarket, &sent_ns);
  receivers += broadcast(base, m.payload, Route::kMarket, sent_ns ? nullptr : &sent_ns);
  silent_until = saved;
  if (receivers > 0) ex.note_streamed_mark(symbol, price, m.time);
  feed_exchange(m);
  flush_user_events();
  return HttpAnswer{200,
                    R"({"symbol":")" + symbol + R"(","markPrice":")" + to_string(price) +
                        R"(","sent_ns":)" + std::to_string(sent_ns) + R"(,"receivers":)" +
                        std::to_string(receivers) + "}",
                    {}};
}

void SimServer::Impl::apply_held_mark(FeedMessage& m) const {
  if (!m.is_mark) return;
  const auto held = held_marks.find(m.symbol);
  if (held == held_marks.end()) return;
  m.mark = held->second;
  m.payload = mark_price_payload(m.symbol, m.time, m.mark, m.mark);
}

void SimServer::Impl::feed_exchange(FeedMessage& m) {
  if (m.stream.find("@kline_") != std::string::npos) symbols_with_klines.insert(m.symbol);
  if (!m.is_mark) return;
  ex.on_mark_price(m.symbol, m.mark, m.time);
  if (!live || symbols_with_klines.count(m.symbol)) return;
  MinuteCandle& k = candles[m.symbol];
  const TimeMs minute = m.time - m.time % 60'000;
  const std::string stream = lower_symbol(m.symbol) + "@kline_1m";
  if (k.open_time >= 0 && minute != k.open_time)
    broadcast(stream, kline_payload(m.symbol, k, m.time, true), Route::kMarket);
  if (minute != k.open_time) {
    k.open_time = minute;
    k.o = k.h = k.l = k.c = m.mark;
  } else {
    k.h = std::max(k.h, m.mark);
    k.l = std::min(k.l, m.mark);
    k.c = m.mark;
  }
  broadcast(stream, kline_payload(m.symbol, k, m.time, false), Route::kMarket);
}

int SimServer::Impl::broadcast(const std::string& stream, const std::string& payload, Route route,
                               MonoNs* first_send_ns) {
  if (std::chrono::steady_clock::now() < silent_until) return 0;
  int receivers = 0;
  std::shared_ptr<const std::string> raw, wrapped;
  for (auto it = peers.begin(); it != peers.end();) {
    auto peer = it->lock();
    if (!peer) {
      it = peers.erase(it);
      continue;
    }
    ++it;
    const bool route_ok =
        peer->route == route || (peer->route == Route::kUnrouted && route == Route::kPublic);
    if (!route_ok || !peer->streams.count(stream)) continue;
    std::shared_ptr<const std::string>& frame = peer->combined ? wrapped : raw;
    if (!frame)
      frame = std::make_shared<const std::string>(peer->combined ? wrap_combined(stream, payload)
                                                                 : payload);
    if (first_send_ns && receivers == 0) *first_send_ns = mono_now_ns();
    ++receivers;
    peer->send(frame);
  }
  return receivers;
}

void SimServer::Impl::flush_user_events() {
  const std::vector<std::string> events = ex.take_user_events();
  if (events.empty()) return;
  for (const auto& e : events) {
    auto msg = std::make_shared<const std::string>(e);
    for (auto& w : peers) {
      auto peer = w.lock();
      if (!peer || peer->route != Route::kPrivate || peer->expired_sent) continue;
      if (peer->listen_key.empty()) continue;  // stream mode, no key subscribed yet
      // Stream mode names the listen key as the stream, as market streams are named.
      peer->send(peer->combined
                     ? std::make_shared<const std::string>(wrap_combined(peer->listen_key, e))
                     : msg);
    }
  }
}

void SimServer::Impl::apply_faults() {
  Faults& f = ex.faults();
  if (f.refuse_market_ws_ms > 0) {
    refuse_market_until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(f.refuse_market_ws_ms);
    log("fault: market connections refused for " + std::to_string(f.refuse_market_ws_ms) + " ms");
    f.refuse_market_ws_ms = 0;
    f.drop_market_ws = true;  // and the open ones closed, below
  }
  if (f.drop_market_ws) {
    f.drop_market_ws = false;
    int dropped = 0;
    for (auto& w : peers) {
      auto peer = w.lock();
      if (peer && peer->route != Route::kPrivate) {
        peer->drop();
        ++dropped;
      }
    }
    log("fault: dropped " + std::to_string(dropped) + " market connections");
  }
  if (f.drop_user_ws) {
    f.drop_user_ws = false;
    int dropped = 0;
    for (auto& w : peers) {
      auto peer = w.lock();
      if (peer && peer->route == Route::kPrivate) {
        peer->drop();
        ++dropped;
      }
    }
    log("fault: dropped " + std::to_string(dropped) + " user-data connections");
  }
  if (f.expire_listen_key) {
    f.expire_listen_key = false;
    ex.expire_listen_key(wall_clock_ms());  // housekeeping below sends listenKeyExpired
    log("fault: the listen key expired");
  }
  if (f.silence_ms > 0) {
    silent_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(f.silence_ms);
    log("fault: silent for " + std::to_string(f.silence_ms) + " ms");
    f.silence_ms = 0;
  }
}

void SimServer::Impl::housekeeping() {
  apply_faults();
  flush_user_events();
  const TimeMs now = wall_clock_ms();
  for (auto& w : peers) {
    auto peer = w.lock();
    if (!peer || peer->route != Route::kPrivate || peer->expired_sent) continue;
    if (peer->listen_key.empty()) continue;
    if (!ex.listen_key_valid(peer->listen_key, now)) {
      peer->expired_sent = true;
      const std::string event = R"({"e":"listenKeyExpired","E":)" + std::to_string(now) +
                                R"(,"listenKey":")" + peer->listen_key + "\"}";
      peer->send(std::make_shared<const std::string>(
          peer->combined ? wrap_combined(peer->listen_key, event) : event));
    }
  }
  housekeeping_timer.expires_after(std::chrono::milliseconds(100));
  housekeeping_timer.async_wait([this](error_code ec) {
    if (!ec) housekeeping();
  });
}

SimServer::SimServer(SimServerOptions options, std::unique_ptr<MarketFeed> feed,
                     std::deque<FeedMessage> prefetched, SimExchange& exchange)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(feed), std::move(prefetched),
                                   exchange)) {}

SimServer::~SimServer() = default;

std::uint16_t SimServer::listen() {
  Impl& s = *impl_;
  if (!s.opt.tls_cert.empty()) {
    s.tls.emplace(ssl::context::tls_server);
    error_code ec;
    s.tls->use_certificate_chain_file(s.opt.tls_cert, ec);
    if (ec) throw std::runtime_error("tls_cert " + s.opt.tls_cert + ": " + ec.message());
    s.tls->use_private_key_file(s.opt.tls_key, ssl::context::pem, ec);
    if (ec) throw std::runtime_error("tls_key " + s.opt.tls_key + ": " + ec.message());
  }
  const tcp::endpoint ep(asio::ip::make_address(s.opt.bind_address), s.opt.port);
  s.acceptor.open(ep.protocol());
  s.acceptor.set_option(tcp::acceptor::reuse_address(true));
  error_code ec;
  s.acceptor.bind(ep, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + s.opt.bind_address + ":" +
                             std::to_string(s.opt.port) + ": " + ec.message());
  s.acceptor.listen();
  s.accept();
  return s.acceptor.local_endpoint().port();
}

void SimServer::run() {
  Impl& s = *impl_;
  asio::post(s.io, [&s] {
    s.pump();
    s.housekeeping();
  });
  s.io.run();
}

void SimServer::stop() {
  impl_->io.stop();
}

SimServerStats SimServer::stats() const {
  SimServerStats st;
  st.market_messages = impl_->market_messages.load();
  st.http_requests = impl_->http_requests.load();
  st.ws_sessions = impl_->ws_sessions.load();
  st.feed_done = impl_->feed_done.load();
  return st;
}

}  // namespace exitbrain::sim
