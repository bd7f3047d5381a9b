#include "tools/sim/sim_exchange.hpp"

#include <algorithm>
#include <exception>
#include <string>

#include "net/hmac_signer.hpp"
#include "tools/sim/sim_internal.hpp"

namespace exitbrain::sim {

using detail::abs;
using detail::mul_sat;
using detail::ps_name;

namespace {

constexpr TimeMs kListenKeyLifetimeMs = 60 * 60 * 1000;
constexpr std::int64_t kDefaultRecvWindow = 5000;
constexpr std::int64_t kMaxRecvWindow = 60000;

// splitmix64: deterministic ids and listen keys.
std::uint64_t mix(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::string random_text(std::uint64_t seed, std::size_t n) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    seed = mix(seed + i);
    out += kChars[seed % 62];
  }
  return out;
}

bool parse_bool(std::string_view v, bool& out) noexcept {
  if (v == "true" || v == "TRUE" || v == "True") {
    out = true;
    return true;
  }
  if (v == "false" || v == "FALSE" || v == "False") {
    out = false;
    return true;
  }
  return false;
}

}  // namespace

SimExchange::SimExchange(SimAccountConfig cfg) : cfg_(std::move(cfg)), hedge_(cfg_.hedge_mode) {
  fee_rate_ = Decimal::from_double(cfg_.taker_fee).value_or(Decimal{});
  wallet_ = Decimal::from_double(cfg_.wallet_balance).value_or(Decimal{});
  std::int64_t base = 4'000'000'001;
  for (const SimSymbol& s : cfg_.symbols) {
    SymbolState st;
    st.cfg = s;
    // Filters must be usable as grids: a non-positive size falls back to 1e-8.
    if (!st.cfg.tick_size.is_positive()) st.cfg.tick_size = Decimal::from_units(1);
    if (!st.cfg.step_size.is_positive()) st.cfg.step_size = Decimal::from_units(1);
    st.next_order_id = base;
    base += 1'000'000'000;  // per-symbol id spaces, as Binance's per-symbol counters
    symbols_.push_back(std::move(st));
  }
}

// ---- small helpers -------------------------------------------------------------------------

SimExchange::SymbolState* SimExchange::find_symbol(std::string_view name) {
  for (SymbolState& s : symbols_)
    if (s.cfg.name == name) return &s;
  return nullptr;
}

const SimExchange::SymbolState* SimExchange::find_symbol(std::string_view name) const {
  for (const SymbolState& s : symbols_)
    if (s.cfg.name == name) return &s;
  return nullptr;
}

std::optional<Decimal> SimExchange::mark_price(std::string_view symbol) const {
  const SymbolState* s = find_symbol(symbol);
  if (!s || !s->has_mark) return std::nullopt;
  return s->mark;
}

Decimal SimExchange::position_amount(std::string_view symbol,
                                     std::string_view position_side) const {
  const SymbolState* s = find_symbol(symbol);
  if (!s) return {};
  const int ps = position_side == "LONG" ? kLong : position_side == "SHORT" ? kShort : kBoth;
  return s->pos[static_cast<std::size_t>(ps)].amount;
}

HttpAnswer SimExchange::error_answer(const Error& e) {
  HttpAnswer a;
  a.status = e.status;
  JsonWriter w;
  w.obj().i("code", e.code).s("msg", e.msg).end_obj();
  a.body = w.take();
  return a;
}

SimExchange::Error SimExchange::missing(std::string_view param) {
  return Error{-1102,
               "Mandatory parameter '" + std::string(param) +
                   "' was not sent, was empty/null, or malformed.",
               400};
}

SimExchange::Error SimExchange::bad_value(std::string_view param) {
  return Error{-1130, "Data sent for parameter '" + std::string(param) + "' is not valid.", 400};
}

std::string SimExchange::next_web_id() {
  return "web_" + random_text(++id_counter_, 20);
}

std::string SimExchange::next_auto_id() {
  return random_text(++id_counter_ ^ 0xA5A5u, 22);
}

bool SimExchange::account_flat() const {
  for (const SymbolState& s : symbols_)
    for (const Position& p : s.pos)
      if (!p.amount.is_zero()) return false;
  return true;
}

std::size_t SimExchange::open_algo_count() const {
  return static_cast<std::size_t>(std::count_if(
      algos_.begin(), algos_.end(), [](const AlgoOrder& a) { return a.status == "NEW"; }));
}

void SimExchange::count_weight(Ctx& c, std::int64_t weight) {
  const std::int64_t minute = c.server / 60000;
  if (weight_1m_.index != minute) weight_1m_ = Window{minute, 0};
  weight_1m_.count += weight;
}

void SimExchange::count_order(Ctx& c) {
  const std::int64_t minute = c.server / 60000, ten = c.server / 10000;
  if (orders_1m_.index != minute) orders_1m_ = Window{minute, 0};
  if (orders_10s_.index != ten) orders_10s_ = Window{ten, 0};
  ++orders_1m_.count;
  ++orders_10s_.count;
}

// ---- authentication (binance-api.md §3.1) ---------------------------------------------------

std::optional<SimExchange::Error> SimExchange::check_api_key(const Ctx& c) const {
  if (c.req.api_key.empty() || c.req.api_key != cfg_.api_key)
    return Error{-2015, "Invalid API-key, IP, or permissions for action.", 401};
  return std::nullopt;
}

std::optional<SimExchange::Error> SimExchange::check_signed(Ctx& c) {
  if (faults_.ban_418_next > 0) {
    --faults_.ban_418_next;
    c.retry_after = true;
    return Error{-1003,
                 "Way too many requests; IP(127.0.0.1) banned until " +
                     std::to_string(c.server + 1000) +
                     ". Please use the websocket for live updates to avoid bans.",
                 418};
  }
  if (faults_.rate_limit_429_next > 0) {
    --faults_.rate_limit_429_next;
    c.retry_after = true;
    return Error{-1003,
                 "Too many requests; current limit of IP(127.0.0.1) is 2400 requests per minute. "
                 "Please use the websocket for live updates to avoid polling the API.",
                 429};
  }
  if (auto e = check_api_key(c)) return e;
  const SignedParts parts = split_signature(c.req.query, c.req.body);
  if (!parts.found || parts.signature.empty()) return missing("signature");
  const std::string* ts_text = c.params.get("timestamp");
  const std::optional<std::int64_t> ts = ts_text ? parse_int(*ts_text) : std::nullopt;
  if (!ts) return missing("timestamp");
  std::int64_t recv_window = kDefaultRecvWindow;
  if (const std::string* rw = c.params.get("recvWindow")) {
    const std::optional<std::int64_t> v = parse_int(*rw);
    if (!v || *v <= 0) return missing("recvWindow");
    if (*v > kMaxRecvWindow) return Error{-1131, "recvWindow must be less than 60000", 400};
    recv_window = *v;
  }
  char hex[HmacSha256Signer::kHexLength];
  HmacSha256Signer(cfg_.api_secret).sign(parts.payload, hex);
  if (!hex_equal(parts.signature, std::string_view(hex, sizeof hex)))
    return Error{-1022, "Signature for this request is not valid.", 400};
  // Accepted when timestamp < serverTime + 1000 && serverTime - timestamp <= recvWindow.
  if (*ts >= c.server + 1000)
    return Error{-1021, "Timestamp for this request was 1000ms ahead of the server's time.", 400};
  if (*ts < 0 || c.server - *ts > recv_window)
    return Error{-1021, "Timestamp for this request is outside of the recvWindow.", 400};
  return std::nullopt;
}

// ---- dispatch -------------------------------------------------------------------------------

HttpAnswer SimExchange::handle(const HttpRequestView& req, TimeMs now_ms) {
  Ctx c(req, now_ms, faults_.clock_skew_ms);
  HttpAnswer a;
  try {
    a = route(c);
  } catch (const std::exception& e) {
    // Nothing in the model throws but allocation; never let it reach the server's loop.
    a = error_answer(Error{-1000, std::string("Internal simulator error: ") + e.what(), 500});
  }
  if (!req.path.starts_with("/sim/")) {
    a.headers.emplace_back("X-MBX-USED-WEIGHT-1M", std::to_string(weight_1m_.count));
    if (c.order_endpoint) {
      a.headers.emplace_back("X-MBX-ORDER-COUNT-10S", std::to_string(orders_10s_.count));
      a.headers.emplace_back("X-MBX-ORDER-COUNT-1M", std::to_string(orders_1m_.count));
    }
    if (c.retry_after) a.headers.emplace_back("Retry-After", "1");
  }
  if (c.logged) {
    log_request(c, a);
  }
  return a;
}

HttpAnswer SimExchange::route(Ctx& c) {
  const std::string_view m = c.req.method, p = c.req.path;
  const auto is = [&](std::string_view method, std::string_view path) {
    return m == method && p == path;
  };
  if (p.starts_with("/sim/")) return sim_control(c);

  // Public market data.
  if (is("GET", "/fapi/v1/time")) return count_weight(c, 1), get_time(c);
  if (is("GET", "/fapi/v1/ping")) return count_weight(c, 1), HttpAnswer{200, "{}", {}};
  if (is("GET", "/fapi/v1/exchangeInfo")) return count_weight(c, 1), get_exchange_info(c);
  if (is("GET", "/fapi/v1/premiumIndex"))
    return count_weight(c, c.params.has("symbol") ? 1 : 10), get_premium_index(c);
  if (is("GET", "/fapi/v1/klines")) {
    const std::int64_t limit = parse_int(c.params.value_or("limit", "500")).value_or(500);
    count_weight(c, limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10);
    return get_klines(c);
  }
  // USER_STREAM: API key only.
  if (p == "/fapi/v1/listenKey" && (m == "POST" || m == "PUT" || m == "DELETE")) {
    count_weight(c, 1);
    return listen_key(c);
  }

  // Signed endpoints.
  struct Route {
    std::string_view method, path;
    std::int64_t weight;
    bool order_count;  // counts on the order limits, logged in orders_json
    bool logged;
    HttpAnswer (SimExchange::*fn)(Ctx&);
  };
  static const Route kRoutes[] = {
      {"GET", "/fapi/v1/positionSide/dual", 30, false, false, &SimExchange::get_position_mode},
      {"POST", "/fapi/v1/positionSide/dual", 1, false, false, &SimExchange::post_position_mode},
      {"POST", "/fapi/v1/leverage", 1, false, true, &SimExchange::post_leverage},
      {"GET", "/fapi/v1/leverageBracket", 1, false, false, &SimExchange::get_leverage_brackets},
      {"POST", "/fapi/v1/order", 0, true, true, &SimExchange::post_order},
      {"GET", "/fapi/v1/order", 1, false, false, &SimExchange::get_order},
      {"DELETE", "/fapi/v1/order", 1, false, true, &SimExchange::delete_order},
      {"POST", "/fapi/v1/algoOrder", 0, true, true, &SimExchange::post_algo_order},
      {"GET", "/fapi/v1/algoOrder", 1, false, false, &SimExchange::get_algo_order},
      {"DELETE", "/fapi/v1/algoOrder", 1, false, true, &SimExchange::delete_algo_order},
      {"GET", "/fapi/v1/openAlgoOrders", 1, false, false, &SimExchange::get_open_algo_orders},
      {"DELETE", "/fapi/v1/algoOpenOrders", 1, false, true, &SimExchange::delete_algo_open_orders},
      {"GET", "/fapi/v2/account", 5, false, false, &SimExchange::get_account_v2},
      {"GET", "/fapi/v3/account", 5, false, false, &SimExchange::get_account_v3},
      {"GET", "/fapi/v2/balance", 5, false, false, &SimExchange::get_balance},
      {"GET", "/fapi/v3/balance", 5, false, false, &SimExchange::get_balance},
      {"GET", "/fapi/v1/userTrades", 5, false, false, &SimExchange::get_user_trades},
  };
  const Route* r = nullptr;
  for (const Route& x : kRoutes)
    if (x.method == m && x.path == p) r = &x;
  const bool is_position_risk =
      m == "GET" && (p == "/fapi/v2/positionRisk" || p == "/fapi/v3/positionRisk");
  const bool open_orders = m == "GET" && p == "/fapi/v1/openOrders";
  const bool cancel_all = m == "DELETE" && p == "/fapi/v1/allOpenOrders";
  if (!r && !is_position_risk && !open_orders && !cancel_all) {
    return error_answer(
        Error{-5000, "Path " + std::string(p) + ", Method " + std::string(m) + " is invalid", 404});
  }

  std::int64_t weight = r ? r->weight : is_position_risk ? 5 : 1;
  if (open_orders && !c.params.has("symbol")) weight = 40;
  if (r && r->path == "/fapi/v1/openAlgoOrders" && !c.params.has("symbol")) weight = 40;
  count_weight(c, weight);
  c.logged = (r && r->logged) || cancel_all;
  if (r && r->order_count) {
    c.order_endpoint = true;
    count_order(c);
  }
  if (auto e = check_signed(c)) return error_answer(*e);

  if (is_position_risk) return position_risk(c, p == "/fapi/v2/positionRisk" ? 2 : 3);
  if (open_orders || cancel_all) {
    if (const std::string* sym = c.params.get("symbol")) {
      if (!find_symbol(*sym)) return error_answer(Error{-1121, "Invalid symbol.", 400});
    } else if (cancel_all) {
      return error_answer(missing("symbol"));
    }
    if (open_orders) return HttpAnswer{200, "[]", {}};  // MARKET orders fill at once
    c.outcome = "CANCELED";
    return HttpAnswer{
        200, R"({"code":200,"msg":"The operation of cancel all open order is done."})", {}};
  }

  const bool order_post = r->order_count;
  if (order_post && faults_.unavailable_503_next > 0) {
    --faults_.unavailable_503_next;
    c.outcome = "UNAVAILABLE";
    return error_answer(Error{-1001, "Service Unavailable.", 503});
  }
  HttpAnswer a = (this->*(r->fn))(c);
  if (order_post && faults_.unknown_503_next > 0) {
    --faults_.unknown_503_next;
    HttpAnswer unknown = error_answer(
        Error{-1000, "Unknown error, please check your request or try again later.", 503});
    return unknown;
  }
  return a;
}

// ---- orders_json / positions_json -----------------------------------------------------------

void SimExchange::log_request(const Ctx& c, const HttpAnswer& a) {
  int code = 0;
  std::string msg;
  if (a.status != 200) {
    // Our own error bodies: {"code":N,"msg":"..."} (msg unescaped back only for \\ and \").
    const std::string_view body = a.body;
    const std::size_t k = body.find("\"code\":");
    const std::size_t comma = k == std::string_view::npos ? k : body.find(',', k);
    if (comma != std::string_view::npos)
      code = static_cast<int>(parse_int(body.substr(k + 7, comma - (k + 7))).value_or(0));
    const std::size_t mk = body.find("\"msg\":\"");
    if (mk != std::string_view::npos && body.size() >= mk + 7 + 2) {
      const std::string_view raw = body.substr(mk + 7, body.size() - 2 - (mk + 7));
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == '\\' || raw[i + 1] == '"')) ++i;
        msg += raw[i];
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> params;
  for (const Param& p : c.params.all())
    if (p.key != "signature") params.emplace_back(p.key, p.value);
  const bool done = a.status == 200 || a.status == 503;
  log_entry(c.server, std::string(c.req.method) + " " + std::string(c.req.path), params, a.status,
            code, msg, done ? std::string_view(c.outcome) : std::string_view("REJECTED"),
            c.executed, c.id_key, c.id_value, c.req.received_ns);
}

void SimExchange::log_entry(TimeMs t, std::string_view endpoint,
                            const std::vector<std::pair<std::string, std::string>>& params,
                            int http_status, int code, std::string_view msg,
                            std::string_view outcome, Decimal executed, std::string_view id_key,
                            std::int64_t id_value, std::int64_t received_ns) {
  JsonWriter w;
  w.obj().i("seq", static_cast<std::int64_t>(log_.size() + 1)).i("time", t).s("endpoint", endpoint);
  w.key("params").obj();
  for (const auto& [k, v] : params) w.s(k, v);
  w.end_obj();
  w.i("http_status", http_status).i("code", code).s("msg", msg).s("outcome", outcome);
  w.d("executed_qty", executed);
  if (!id_key.empty()) w.i(id_key, id_value);
  if (received_ns > 0) w.i("received_ns", received_ns);
  w.end_obj();
  log_.push_back(w.take());
}

std::string SimExchange::orders_json() const {
  std::string out = "[";
  for (std::size_t i = 0; i < log_.size(); ++i) {
    if (i) out += ',';
    out += log_[i];
  }
  out += ']';
  return out;
}

void SimExchange::note_streamed_mark(std::string_view symbol, Decimal mark, TimeMs t) {
  const SymbolState* s = find_symbol(symbol);
  if (!s) return;
  if (marks_.size() >= kMaxMarks) {
    ++marks_dropped_;
    return;
  }
  marks_.push_back({t, static_cast<std::uint32_t>(s - symbols_.data()), mark});
}

std::string SimExchange::marks_json() const {
  JsonWriter w;
  w.obj().i("marks_dropped", static_cast<std::int64_t>(marks_dropped_)).key("marks").arr();
  for (const StreamedMark& m : marks_)
    w.obj().i("t", m.time).s("s", symbols_[m.symbol].cfg.name).d("p", m.price).end_obj();
  w.end_arr().end_obj();
  return w.take();
}

std::string SimExchange::positions_json() const {
  JsonWriter w;
  Decimal realized{}, fees{};
  for (const SymbolState& s : symbols_)
    for (const Position& p : s.pos) {
      realized += p.realized;
      fees += p.fees;
    }
  w.obj().d("walletBalance", wallet_).d("totalRealizedPnl", realized).d("totalFees", fees);
  w.b("hedgeMode", hedge_);
  w.i("openAlgoOrders", static_cast<std::int64_t>(open_algo_count()));
  w.key("positions").arr();
  for (const SymbolState& s : symbols_) {
    for (int ps : {kBoth, kLong, kShort}) {
      if ((ps == kBoth) == hedge_) continue;
      const Position& p = s.pos[static_cast<std::size_t>(ps)];
      w.obj().s("symbol", s.cfg.name).s("positionSide", ps_name(ps)).d("positionAmt", p.amount);
      w.d("entryPrice", p.entry).d("markPrice", s.mark);
      w.d("unRealizedProfit", position_margin(s, p).unrealized);
      w.d("realizedPnl", p.realized).d("fees", p.fees).end_obj();
    }
  }
  w.end_arr().end_obj();
  return w.take();
}

std::vector<std::string> SimExchange::take_user_events() {
  std::vector<std::string> out;
  out.swap(events_);
  return out;
}

// ---- account --------------------------------------------------------------------------------

HttpAnswer SimExchange::get_position_mode(Ctx&) {
  JsonWriter w;
  w.obj().b("dualSidePosition", hedge_).end_obj();
  return HttpAnswer{200, w.take(), {}};
}

HttpAnswer SimExchange::post_position_mode(Ctx& c) {
  const std::string* v = c.params.get("dualSidePosition");
  if (!v || v->empty()) return error_answer(missing("dualSidePosition"));
  bool want = false;
  if (!parse_bool(*v, want)) return error_answer(bad_value("dualSidePosition"));
  if (want == hedge_) return error_answer(Error{-4059, "No need to change position side.", 400});
  if (open_algo_count() > 0)
    return error_answer(
        Error{-4067, "Position side cannot be changed if there exists open orders.", 400});
  if (!account_flat())
    return error_answer(
        Error{-4068, "Position side cannot be changed if there exists position.", 400});
  hedge_ = want;
  return HttpAnswer{200, R"({"code":200,"msg":"success"})", {}};
}

// The sim keeps no margin per position: the liquidation price is the isolated-margin one at
// the symbol's leverage and the 0.4 % maintenance rate positionRisk reports (entry × (1 −
// 1/leverage + 0.004) for a LONG, the mirror for a SHORT), on the tick grid, away from the
// entry. "0" for no position, as Binance answers.
Decimal SimExchange::liquidation_price(const SymbolState& s, const Position& p) const {
  if (p.amount.is_zero() || !p.entry.is_positive()) return Decimal{};
  const double room = 1.0 / std::max(1, s.leverage) - 0.004;
  const bool long_side = p.amount.is_positive();
  const double v = p.entry.to_double() * (long_side ? 1.0 - room : 1.0 + room);
  const Decimal d = Decimal::from_double(std::max(v, 0.0)).value_or(Decimal{});
  return long_side ? d.floor_to(s.cfg.tick_size) : d.ceil_to(s.cfg.tick_size);
}

HttpAnswer SimExchange::position_risk(Ctx& c, int version) {
  const std::string* sym = c.params.get("symbol");
  if (sym && !sym->empty() && !find_symbol(*sym))
    return error_answer(Error{-1121, "Invalid symbol.", 400});
  JsonWriter w;
  w.arr();
  for (const SymbolState& s : symbols_) {
    if (sym && !sym->empty() && s.cfg.name != *sym) continue;
    for (int ps : {kBoth, kLong, kShort}) {
      if ((ps == kBoth) == hedge_) continue;
      const Position& p = s.pos[static_cast<std::size_t>(ps)];
      if (version == 3 && p.amount.is_zero()) continue;
      const Margin m = position_margin(s, p);
      const Decimal notional = m.notional, unrealized = m.unrealized;
      Decimal break_even{};
      if (!p.amount.is_zero()) {
        const Decimal one = Decimal::from_int(1);
        break_even = mul_sat(p.entry, p.amount.is_positive() ? one + fee_rate_ : one - fee_rate_);
      }
      const Decimal initial = m.initial, maint = m.maint;
      const std::int64_t max_notional = 100'000'000 / std::max(1, s.leverage);
      w.obj().s("symbol", s.cfg.name);
      if (version == 3) w.s("positionSide", ps_name(ps));
      w.d("positionAmt", p.amount).d("entryPrice", p.entry).d("breakEvenPrice", break_even);
      w.d("markPrice", s.mark).d("unRealizedProfit", unrealized);
      w.d("liquidationPrice", liquidation_price(s, p));
      if (version == 2) {
        w.s("leverage", std::to_string(s.leverage))
            .s("maxNotionalValue", std::to_string(max_notional))
            .s("marginType", "cross")
            .s("isolatedMargin", "0.00000000")
            .s("isAutoAddMargin", "false")
            .s("positionSide", ps_name(ps))
            .d("notional", notional)
            .s("isolatedWallet", "0");
      } else {
        w.s("isolatedMargin", "0")
            .d("notional", notional)
            .s("marginAsset", "USDT")
            .s("isolatedWallet", "0")
            .d("initialMargin", initial)
            .d("maintMargin", maint)
            .d("positionInitialMargin", initial)
            .s("openOrderInitialMargin", "0")
            .i("adl", p.amount.is_zero() ? 0 : 2)
            .s("bidNotional", "0")
            .s("askNotional", "0");
      }
      w.i("updateTime", p.update_time).end_obj();
    }
  }
  w.end_arr();
  return HttpAnswer{200, w.take(), {}};
}

HttpAnswer SimExchange::post_leverage(Ctx& c) {
  if (!c.params.has("symbol")) return error_answer(missing("symbol"));
  SymbolState* s = find_symbol(*c.params.get("symbol"));
  if (!s) return error_answer(Error{-1121, "Invalid symbol.", 400});
  if (!c.params.has("leverage")) return error_answer(missing("leverage"));
  const std::string& text = *c.params.get("leverage");
  const std::optional<std::int64_t> lev = parse_int(text);
  if (!lev) return error_answer(missing("leverage"));
  if (*lev < 1 || *lev > 125)
    return error_answer(Error{-4028, "Leverage " + text + " is not valid", 400});
  s->leverage = static_cast<int>(*lev);
  JsonWriter w;
  w.obj().i("leverage", *lev).s("maxNotionalValue", std::to_string(100'000'000 / *lev));
  w.s("symbol", s->cfg.name).end_obj();
  return HttpAnswer{200, w.take(), {}};
}

HttpAnswer SimExchange::listen_key(Ctx& c) {
  if (auto e = check_api_key(c)) return error_answer(*e);
  const bool active = !listen_key_.empty() && c.now < listen_key_expiry_;
  const std::string_view m = c.req.method;
  if (m == "POST") {
    if (!active) listen_key_ = random_text(mix(++id_counter_ + 0x5157), 64);
    listen_key_expiry_ = c.now + kListenKeyLifetimeMs;
    JsonWriter w;
    w.obj().s("listenKey", listen_key_).end_obj();
    return HttpAnswer{200, w.take(), {}};
  }
  // PUT / DELETE may name the key; a different or expired one does not exist.
  const std::string* named = c.params.get("listenKey");
  if (!active || (named && !named->empty() && *named != listen_key_))
    return error_answer(Error{-1125, "This listenKey does not exist.", 400});
  if (m == "PUT") {
    listen_key_expiry_ = c.now + kListenKeyLifetimeMs;
    JsonWriter w;
    w.obj().s("listenKey", listen_key_).end_obj();
    return HttpAnswer{200, w.take(), {}};
  }
  listen_key_.clear();
  listen_key_expiry_ = 0;
  return HttpAnswer{200, "{}", {}};
}

bool SimExchange::listen_key_valid(std::string_view key, TimeMs now) const {
  return !listen_key_.empty() && key == listen_key_ && now < listen_key_expiry_;
}

// ---- /sim/* control ---------------------------------------------------------------------------

HttpAnswer SimExchange::sim_control(Ctx& c) {
  const std::string_view m = c.req.method, p = c.req.path;
  const auto fail = [](std::string msg) { return error_answer(Error{-1, std::move(msg), 400}); };
  if (m == "GET" && p == "/sim/orders") return HttpAnswer{200, orders_json(), {}};
  if (m == "GET" && p == "/sim/positions") return HttpAnswer{200, positions_json(), {}};
  if (m == "GET" && p == "/sim/marks") return HttpAnswer{200, marks_json(), {}};
  // The conditional orders standing on a symbol, unsigned (the soak aims a price between
  // the engine's stop and the exchange's): [{"clientAlgoId","side","triggerPrice"}].
  if (m == "GET" && p == "/sim/algos") {
    const SymbolState* s = find_symbol(c.params.value_or("symbol", ""));
    if (!s) return fail("unknown symbol");
    JsonWriter w;
    w.arr();
    for (const AlgoOrder& a : algos_)
      if (a.status == "NEW" && a.symbol == s->cfg.name)
        w.obj()
            .s("clientAlgoId", a.client_algo_id)
            .s("side", a.buy ? "BUY" : "SELL")
            .d("triggerPrice", a.trigger)
            .end_obj();
    w.end_arr();
    return HttpAnswer{200, w.take(), {}};
  }
  if (p == "/sim/faults" && (m == "GET" || m == "POST")) {
    if (m == "POST") {
      Faults f = faults_;
      bool ok = true;
      // Reads `key` when sent: an integer in [lo, hi].
      const auto read = [&](std::string_view key, std::int64_t lo, std::int64_t hi,
                            std::int64_t current) -> std::int64_t {
        const std::string* v = c.params.get(key);
        if (!v) return current;
        const std::optional<std::int64_t> n = parse_int(*v);
        if (!n || *n < lo || *n > hi) {
          ok = false;
          return current;
        }
        return *n;
      };
      constexpr std::int64_t kIntMax = 1'000'000'000;
      constexpr std::int64_t kDay = 86'400'000;
      f.unknown_503_next = static_cast<int>(read("unknown_503", 0, kIntMax, f.unknown_503_next));
      f.unavailable_503_next =
          static_cast<int>(read("unavailable_503", 0, kIntMax, f.unavailable_503_next));
      f.rate_limit_429_next =
          static_cast<int>(read("rate_limit_429", 0, kIntMax, f.rate_limit_429_next));
      f.ban_418_next = static_cast<int>(read("ban_418", 0, kIntMax, f.ban_418_next));
      f.clock_skew_ms = read("clock_skew_ms", -kDay, kDay, f.clock_skew_ms);
      f.delay_ms = static_cast<int>(read("delay_ms", 0, kDay, f.delay_ms));
      f.drop_market_ws = read("drop_market_ws", 0, 1, f.drop_market_ws ? 1 : 0) != 0;
      f.silence_ms = read("silence_ms", 0, kDay, f.silence_ms);
      f.refuse_market_ws_ms = read("refuse_market_ws_ms", 0, kDay, f.refuse_market_ws_ms);
      f.drop_user_ws = read("drop_user_ws", 0, 1, f.drop_user_ws ? 1 : 0) != 0;
      f.expire_listen_key = read("expire_listen_key", 0, 1, f.expire_listen_key ? 1 : 0) != 0;
      if (!ok) return fail("bad fault value");
      faults_ = f;
    }
    JsonWriter w;
    w.obj()
        .i("unknown_503", faults_.unknown_503_next)
        .i("unavailable_503", faults_.unavailable_503_next)
        .i("rate_limit_429", faults_.rate_limit_429_next)
        .i("ban_418", faults_.ban_418_next)
        .i("clock_skew_ms", faults_.clock_skew_ms)
        .i("delay_ms", faults_.delay_ms)
        .b("drop_market_ws", faults_.drop_market_ws)
        .i("silence_ms", faults_.silence_ms)
        .i("refuse_market_ws_ms", faults_.refuse_market_ws_ms)
        .b("drop_user_ws", faults_.drop_user_ws)
        .b("expire_listen_key", faults_.expire_listen_key)
        .end_obj();
    return HttpAnswer{200, w.take(), {}};
  }
  if (m == "POST" && p == "/sim/open") {
    const std::string_view side = c.params.value_or("side", "");
    if (side != "LONG" && side != "SHORT") return fail("side must be LONG or SHORT");
    Decimal qty;
    if (parse_decimal(c.params.value_or("qty", ""), qty) != DecimalError::kOk)
      return fail("qty is not a decimal number");
    if (auto err = open_position(c.params.value_or("symbol", ""),
                                 side == "LONG" ? Side::kLong : Side::kShort, qty, c.now))
      return fail(*err);
    return HttpAnswer{200, positions_json(), {}};
  }
  if (m == "POST" && p == "/sim/mark") {
    Decimal price;
    if (parse_decimal(c.params.value_or("price", ""), price) != DecimalError::kOk ||
        !price.is_positive())
      return fail("price is not a positive decimal number");
    const std::string symbol(c.params.value_or("symbol", ""));
    if (!find_symbol(symbol)) return fail("unknown symbol");
    double funding = 0.0;
    if (const std::string* f = c.params.get("funding")) {
      Decimal fd;
      if (parse_decimal(*f, fd) != DecimalError::kOk) return fail("funding is not a number");
      funding = fd.to_double();
    }
    on_mark_price(symbol, price, c.server, funding);
    return HttpAnswer{200, positions_json(), {}};
  }
  // Someone cancels the symbol's open algo orders by hand (the exchange's web page): the
  // user-data stream says CANCELED; nothing goes to the order record, no client sent it.
  if (m == "POST" && p == "/sim/cancel_algo") {
    const SymbolState* s = find_symbol(c.params.value_or("symbol", ""));
    if (!s) return fail("unknown symbol");
    int n = 0;
    for (AlgoOrder& a : algos_)
      if (a.status == "NEW" && a.symbol == s->cfg.name) {
        cancel_algo(a, "CANCELED", c.now);
        ++n;
      }
    JsonWriter w;
    w.obj().i("cancelled", n).end_obj();
    return HttpAnswer{200, w.take(), {}};
  }
  if (m == "POST" && p == "/sim/mode") {
    bool hedge = false;
    if (!parse_bool(c.params.value_or("hedge", ""), hedge)) return fail("hedge must be true/false");
    if (hedge != hedge_) {
      if (!account_flat() || open_algo_count() > 0)
        return error_answer(
            Error{-4068, "Position side cannot be changed if there exists position.", 400});
      hedge_ = hedge;
    }
    JsonWriter w;
    w.obj().b("hedge", hedge_).end_obj();
    return HttpAnswer{200, w.take(), {}};
  }
  return error_answer(
      Error{-5000, "Path " + std::string(p) + ", Method " + std::string(m) + " is invalid", 404});
}

}  // namespace exitbrain::sim
