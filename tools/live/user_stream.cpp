#include "tools/live/user_stream.hpp"

#include <boost/asio/post.hpp>

#include "net/order_format.hpp"
#include "net/server_clock.hpp"
#include "tools/common/json_line.hpp"

namespace exitbrain {

namespace asio = boost::asio;

UserStream::UserStream(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                       RestClient& rest, SymbolTable& symbols, EventLog& event_log,
                       SpscQueue<AccountChange>& to_decide, SpscQueue<UserEvent>& to_orders,
                       UserStreamSettings settings)
    : io_(io),
      tls_(std::move(tls)),
      rest_(rest),
      symbols_(symbols),
      event_log_(event_log),
      to_decide_(to_decide),
      to_orders_(to_orders),
      settings_(std::move(settings)),
      parser_(symbols),
      keepalive_timer_(io),
      catch_up_timer_(io) {}

UserStream::~UserStream() = default;

std::string UserStream::create_key() {
  const RestReply& r = rest_.request(HttpMethod::kPost, "/fapi/v1/listenKey", {}, true);
  if (r.outcome != RestReply::Outcome::kAnswered) return "listenKey: " + r.error;
  if (r.status != 200)
    return "listenKey: HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 200);
  std::string key;
  if (const auto res = rest_parser_.parse_listen_key(r.body, key); !res)
    return "listenKey: " + res.message();
  listen_key_ = std::move(key);
  return {};
}

std::string UserStream::start() {
  stopping_ = false;
  if (std::string err = create_key(); !err.empty()) return err;
  connect();
  arm_keepalive();
  return {};
}

void UserStream::stop() {
  stopping_ = true;
  keepalive_timer_.cancel();
  catch_up_timer_.cancel();
  if (ws_) ws_->stop();
}

void UserStream::connect() {
  if (ws_) ws_->stop();
  WsClientOptions o;
  o.where.tls = settings_.private_url.tls;
  o.where.host = settings_.private_url.host;
  o.where.port = std::to_string(settings_.private_url.port);
  o.where.target = settings_.private_url.path + "/ws/" + listen_key_;
  // Account events can be hours apart: silence is not staleness here.
  o.stale_after_ms = settings_.stale_after_ms > 0 ? settings_.stale_after_ms : 365LL * 86'400'000;
  o.jitter_seed = 0x05e7;
  ws_ = std::make_unique<WsClient>(io_, tls_, o, *this);
  ws_->start();
}

void UserStream::arm_keepalive() {
  keepalive_timer_.expires_after(std::chrono::milliseconds(settings_.keepalive_ms));
  keepalive_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopping_) keepalive();
  });
}

void UserStream::keepalive() {
  const RestReply& r = rest_.request(HttpMethod::kPut, "/fapi/v1/listenKey", {}, true);
  ErrorBody err;
  const ErrorAction action = rest_parser_.classify_response(r.status, r.body, &err);
  if (r.outcome == RestReply::Outcome::kAnswered && action != ErrorAction::kNone &&
      err.code == -1125) {  // the key is gone: a new key, a new connection
    event_log_.text(R"("event":"user_stream","state":"listen_key_recreated")");
    if (create_key().empty()) connect();
  } else if (r.outcome != RestReply::Outcome::kAnswered || action != ErrorAction::kNone) {
    event_log_.text(R"("event":"alert","alert":"listen_key_keepalive_failed","detail":)" +
                    JsonLine::quote(r.outcome == RestReply::Outcome::kAnswered
                                        ? std::to_string(r.status)
                                        : r.error));
  }
  arm_keepalive();
}

void UserStream::on_frame(const char* data, std::size_t len, std::size_t capacity,
                          MonoNs) noexcept {
  const ParseStatus status = parser_.parse(data, len, capacity, [this](const UserEvent& e) {
    ++events_;
    switch (e.kind) {
      case UserEventKind::kPosition: {
        AccountChange c;
        c.symbol = e.symbol;
        c.time = e.event_time;
        c.entry = e.position.entry;
        const Decimal a = e.position.amount;
        c.amount = a.is_negative() ? -a : a;
        switch (e.position.position_side) {
          case PositionSideField::kLong:
            c.side = Side::kLong;
            break;
          case PositionSideField::kShort:
            c.side = Side::kShort;
            break;
          case PositionSideField::kBoth:
            c.side_known = !a.is_zero();
            c.side = a.is_negative() ? Side::kShort : Side::kLong;
            break;
        }
        pass_on(c, static_cast<int>(e.position.position_side));
        break;
      }
      case UserEventKind::kOrder:
        if (!is_exitbrain_client_id(e.order.client_id.view()))
          event_log_.text(R"("event":"foreign_order","symbol":")" +
                          std::string(symbols_.name(e.symbol)) + R"(","client_id":)" +
                          JsonLine::quote(std::string(e.order.client_id.view())));
        to_orders_.push(e);
        break;
      case UserEventKind::kAlgo:
        to_orders_.push(e);
        break;
      case UserEventKind::kListenKeyExpired:
        event_log_.text(R"("event":"user_stream","state":"listen_key_expired")");
        asio::post(io_, [this] {
          if (!stopping_ && create_key().empty()) connect();
        });
        break;
    }
  });
  if (status == ParseStatus::kMalformed)
    event_log_.text(R"("event":"alert","alert":"user_stream_malformed","field":)" +
                    JsonLine::quote(parser_.last_error().field) + R"(,"reason":)" +
                    JsonLine::quote(parser_.last_error().reason));
}

void UserStream::pass_on(const AccountChange& c, int position_side) {
  passed_on_[{c.symbol, position_side}] = c;
  to_decide_.push(c);
}

void UserStream::catch_up_positions() {
  if (!settings_.signer || stopping_) return;
  RestResponseParser parser;
  ServerClock clock;
  const TimeMs sent = wall_clock_ms();
  const RestReply& t = rest_.request(HttpMethod::kGet, "/fapi/v1/time", {}, false);
  TimeMs server = 0;
  if (t.outcome == RestReply::Outcome::kAnswered && t.status == 200 &&
      parser.parse_server_time(t.body, server))
    clock.add_sample(sent, server, wall_clock_ms());
  QueryWriter q;
  q.add("recvWindow", settings_.recv_window_ms);
  q.add("timestamp", clock.server_now(wall_clock_ms()));
  q.sign(*settings_.signer);
  const RestReply& r = rest_.request(HttpMethod::kGet, "/fapi/v3/positionRisk", q.view(), true);
  std::vector<PositionRisk> all;
  if (r.outcome != RestReply::Outcome::kAnswered || r.status != 200 ||
      !parser.parse_positions(r.body, all, true)) {
    // Tried again in 2 s (or the Retry-After): the soak saw catch-ups refused by 429s and 418s, and
    // what they would have found waited for the next reconnect. The stream's events still flow.
    event_log_.text(R"("event":"alert","alert":"user_stream_catch_up_failed","detail":)" +
                    JsonLine::quote(r.outcome == RestReply::Outcome::kAnswered
                                        ? "HTTP " + std::to_string(r.status)
                                        : r.error) +
                    R"(,"retry_ms":)" +
                    std::to_string(std::max<std::int64_t>(2000, retry_after_ms(r))));
    catch_up_timer_.expires_after(
        std::chrono::milliseconds(std::max<std::int64_t>(2000, retry_after_ms(r))));
    catch_up_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && !stopping_) catch_up_positions();
    });
    return;
  }
  std::map<std::pair<SymbolId, int>, AccountChange> now;
  for (const PositionRisk& pr : all) {
    const std::optional<SymbolId> sym = symbols_.find(pr.symbol);
    if (!sym) continue;
    AccountChange c;
    c.symbol = *sym;
    c.time = pr.update_time;
    c.entry = pr.entry_price;
    c.amount = pr.amount.is_negative() ? -pr.amount : pr.amount;
    c.side = pr.position_side == PositionSideField::kShort || pr.amount.is_negative() ? Side::kShort
                                                                                      : Side::kLong;
    c.side_known = pr.position_side != PositionSideField::kBoth || !pr.amount.is_zero();
    now[{c.symbol, static_cast<int>(pr.position_side)}] = c;
  }
  // v3 lists open positions only: one passed on as open and now absent is flat.
  for (const auto& [key, last] : passed_on_) {
    if (now.count(key) || !last.amount.is_positive()) continue;
    AccountChange flat = last;
    flat.amount = Qty{};
    flat.time = clock.server_now(wall_clock_ms());
    flat.side_known = key.second != static_cast<int>(PositionSideField::kBoth);
    now[key] = flat;
  }
  int changed = 0;
  for (const auto& [key, c] : now) {
    const auto it = passed_on_.find(key);
    if (it != passed_on_.end() && it->second.amount == c.amount) continue;
    if (it == passed_on_.end() && !c.amount.is_positive()) continue;
    pass_on(c, key.second);
    ++changed;
  }
  event_log_.text(R"("event":"user_stream","state":"caught_up","positions":)" +
                  std::to_string(all.size()) + R"(,"changed":)" + std::to_string(changed));
}

void UserStream::on_status(const WsStatus& s) {
  last_status_.store(static_cast<std::uint8_t>(s.kind), std::memory_order_relaxed);
  // Every connection may have missed events: a reconnect those sent while it was down, the
  // first one those between start-up's positions and its opening (the soak found an
  // intent's entry filled in that gap, and no stop for it). Catch up once it is open.
  if (s.kind == WsStatusKind::kConnected) asio::post(io_, [this] { catch_up_positions(); });
  if (s.kind == WsStatusKind::kConnected || s.kind == WsStatusKind::kFresh ||
      s.kind == WsStatusKind::kRotated)
    up_.store(true, std::memory_order_relaxed);
  else if (s.kind == WsStatusKind::kDisconnected || s.kind == WsStatusKind::kStale)
    up_.store(false, std::memory_order_relaxed);
  event_log_.text(R"("event":"user_stream","state":")" + std::string(to_string(s.kind)) +
                  R"(","detail":)" + JsonLine::quote(s.detail));
}

}  // namespace exitbrain
