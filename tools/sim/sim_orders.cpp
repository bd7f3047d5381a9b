// Orders of the simulated exchange: POST/GET/DELETE /fapi/v1/order (MARKET fills at the
// mark), the algo endpoints (STOP_MARKET / TAKE_PROFIT_MARKET on the mark price), position
// and wallet arithmetic, and the user-data events they cause (binance-api.md §2.3-2.5, §4).
#include <algorithm>
#include <array>

#include "tools/sim/sim_exchange.hpp"
#include "tools/sim/sim_internal.hpp"

namespace exitbrain::sim {

using detail::abs;
using detail::mul;
using detail::mul_sat;
using detail::ps_name;
using detail::weighted_price;

namespace {

constexpr std::string_view kClientIdRange = R"('^[\.A-Z\:/a-z0-9_-]{1,36}$')";
const Decimal kMaxQty = Decimal::from_int(100'000'000);

constexpr std::array<std::string_view, 22> kOrderParams = {
    "symbol",           "side",
    "positionSide",     "type",
    "timeInForce",      "quantity",
    "reduceOnly",       "price",
    "newClientOrderId", "stopPrice",
    "closePosition",    "activationPrice",
    "callbackRate",     "workingType",
    "priceProtect",     "newOrderRespType",
    "priceMatch",       "selfTradePreventionMode",
    "goodTillDate",     "recvWindow",
    "timestamp",        "signature"};
constexpr std::array<std::string_view, 23> kAlgoParams = {"algoType",
                                                          "symbol",
                                                          "side",
                                                          "positionSide",
                                                          "type",
                                                          "timeInForce",
                                                          "quantity",
                                                          "price",
                                                          "triggerPrice",
                                                          "workingType",
                                                          "priceMatch",
                                                          "closePosition",
                                                          "priceProtect",
                                                          "reduceOnly",
                                                          "activatePrice",
                                                          "callbackRate",
                                                          "clientAlgoId",
                                                          "newOrderRespType",
                                                          "selfTradePreventionMode",
                                                          "goodTillDate",
                                                          "recvWindow",
                                                          "timestamp",
                                                          "signature"};

template <std::size_t N>
std::optional<std::string> unread_params(const Params& params,
                                         const std::array<std::string_view, N>& known) {
  std::size_t read = 0;
  for (const Param& p : params.all())
    if (std::find(known.begin(), known.end(), p.key) != known.end()) ++read;
  if (read == params.all().size()) return std::nullopt;
  return "Not all sent parameters were read; read '" + std::to_string(read) +
         "' parameter(s) but was sent '" + std::to_string(params.all().size()) + "'.";
}

bool parse_bool(std::string_view v, bool& out) noexcept {
  if (v == "true" || v == "TRUE" || v == "True") return out = true, true;
  if (v == "false" || v == "FALSE" || v == "False") return out = false, true;
  return false;
}

std::string illegal_characters(std::string_view param, std::string_view range) {
  return "Illegal characters found in parameter '" + std::string(param) + "'; legal range is " +
         std::string(range) + ".";
}

// "5" -> "5.0", as in Binance's -4164 message.
std::string notional_text(Decimal d) {
  std::string s = to_string(d);
  if (s.find('.') == std::string::npos) s += ".0";
  return s;
}

// Applies a signed fill to a position at `price`; returns the realised PnL.
Decimal apply_to_position(Decimal& amount, Decimal& entry, Decimal delta, Price price) {
  if (amount.is_zero() || amount.is_positive() == delta.is_positive()) {
    entry = weighted_price(abs(amount), entry, abs(delta), price);
    amount += delta;
    return {};
  }
  const Decimal closing = std::min(abs(delta), abs(amount));
  const Decimal pnl = mul_sat(price - entry, amount.is_positive() ? closing : -closing);
  const Decimal before = amount;
  amount += delta;
  if (amount.is_zero())
    entry = Decimal{};
  else if (amount.is_positive() != before.is_positive())
    entry = price;  // flipped: the remainder opened at this price
  return pnl;
}

}  // namespace

// ---- shared checks ----------------------------------------------------------------------------

std::optional<SimExchange::Error> SimExchange::parse_qty(const SymbolState& s,
                                                         std::string_view text, Qty& out) const {
  const DecimalError e = parse_decimal(text, out);
  if (e == DecimalError::kPrecision)
    return Error{-1111, "Precision is over the maximum defined for this asset.", 400};
  if (e != DecimalError::kOk)
    return Error{-1100, illegal_characters("quantity", R"('^([0-9]{1,20})(\.[0-9]{1,20})?$')"),
                 400};
  if (!out.is_positive()) return Error{-4003, "Quantity less than or equal to zero.", 400};
  if (!out.is_multiple_of(s.cfg.step_size))
    return Error{-1111, "Precision is over the maximum defined for this asset.", 400};
  if (out < s.cfg.min_qty) return Error{-4004, "Quantity less than min quantity.", 400};
  if (out > kMaxQty) return Error{-4005, "Quantity greater than max quantity.", 400};
  return std::nullopt;
}

SimExchange::FillPlan SimExchange::plan_fill(const SymbolState& s, bool buy, int ps, Qty qty,
                                             bool reduce_only) const {
  FillPlan f;
  f.qty = qty;
  const Position& p = s.pos[static_cast<std::size_t>(ps)];
  if (ps == kBoth) {
    f.reducing = reduce_only;
    if (reduce_only) {
      // Must reduce an existing position: opposite side, and never more than it holds.
      if (p.amount.is_zero() || p.amount.is_positive() == buy) {
        f.error = Error{-2022, "ReduceOnly Order is rejected.", 400};
        return f;
      }
      f.qty = std::min(qty, abs(p.amount));
    }
  } else {
    // Hedge mode: SELL on LONG and BUY on SHORT close, and behave as reduce-only.
    f.reducing = (ps == kLong) != buy;
    if (f.reducing) {
      if (p.amount.is_zero()) {
        f.error = Error{-2022, "ReduceOnly Order is rejected.", 400};
        return f;
      }
      f.qty = std::min(qty, abs(p.amount));
    }
  }
  const std::optional<Decimal> notional = mul(f.qty, s.mark);
  std::int64_t grown = 0;
  if (!notional || __builtin_add_overflow(abs(p.amount).units(), f.qty.units(), &grown) ||
      !mul(Decimal::from_units(grown), s.mark)) {
    f.error = Error{-2027, "Exceeded the maximum allowable position at current leverage.", 400};
    return f;
  }
  if (!f.reducing && *notional < s.cfg.min_notional) {
    f.error = Error{-4164,
                    "Order's notional must be no smaller than " +
                        notional_text(s.cfg.min_notional) + " (unless you choose reduce only)",
                    400};
  }
  return f;
}

// ---- execution and events --------------------------------------------------------------------

SimExchange::Order& SimExchange::execute_fill(SymbolState& s, bool buy, int ps, Qty qty,
                                              Qty requested, bool reduce_only, bool close_position,
                                              std::string client_id, std::string_view working_type,
                                              TimeMs t) {
  (void)requested;
  Order o;
  o.symbol = s.cfg.name;
  o.order_id = s.next_order_id++;
  o.client_id = std::move(client_id);
  o.buy = buy;
  o.ps = ps;
  o.reduce_only = reduce_only;
  o.close_position = close_position;
  o.orig_qty = qty;
  o.status = "NEW";
  o.working_type = std::string(working_type);
  o.time = o.update_time = t;
  emit_order_event(o, "NEW", Decimal{}, Decimal{}, Decimal{}, Decimal{}, t, 0);

  Position& p = s.pos[static_cast<std::size_t>(ps)];
  const Price price = s.mark;
  const Decimal realized = apply_to_position(p.amount, p.entry, buy ? qty : -qty, price);
  const Decimal notional = mul_sat(qty, price);
  const Decimal fee = mul_sat(notional, fee_rate_);
  p.realized += realized;
  p.fees += fee;
  p.update_time = t;
  wallet_ += realized - fee;

  o.executed_qty = qty;
  o.avg_price = price;
  o.cum_quote = notional;
  o.status = "FILLED";
  emit_account_update(s, ps, t);
  Trade trade;
  trade.id = next_trade_id_++;
  trade.order_id = o.order_id;
  trade.symbol = static_cast<std::size_t>(&s - symbols_.data());
  trade.buy = buy;
  trade.ps = ps;
  trade.price = price;
  trade.qty = qty;
  trade.quote = notional;
  trade.commission = fee;
  trade.realized = realized;
  trade.time = t;
  trades_.push_back(trade);
  emit_order_event(o, "TRADE", qty, price, fee, realized, t, trade.id);

  orders_.push_back(std::move(o));
  order_by_client_[orders_.back().symbol + "|" + orders_.back().client_id] = orders_.size() - 1;
  return orders_.back();
}

void SimExchange::emit_order_event(const Order& o, std::string_view exec_type, Qty last_qty,
                                   Price last_price, Decimal commission, Decimal realized, TimeMs t,
                                   std::int64_t trade_id) {
  JsonWriter w;
  w.obj().s("e", "ORDER_TRADE_UPDATE").i("E", t).i("T", t).key("o").obj();
  w.s("s", o.symbol).s("c", o.client_id).s("S", o.buy ? "BUY" : "SELL").s("o", "MARKET");
  w.s("f", "GTC").d("q", o.orig_qty).s("p", "0").d("ap", o.avg_price).s("sp", "0");
  w.s("x", exec_type).s("X", o.status).i("i", o.order_id).d("l", last_qty);
  w.d("z", o.executed_qty).d("L", last_price);
  if (exec_type == "TRADE") w.s("N", "USDT").d("n", commission);
  w.i("T", t).i("t", trade_id).s("b", "0").s("a", "0").b("m", false).b("R", o.reduce_only);
  w.s("wt", o.working_type).s("ot", "MARKET").s("ps", ps_name(o.ps)).b("cp", o.close_position);
  w.b("pP", false).i("si", 0).i("ss", 0).d("rp", realized).s("V", "EXPIRE_MAKER");
  w.s("pm", "NONE").i("gtd", 0).s("er", "0");
  w.end_obj().end_obj();
  events_.push_back(w.take());
}

void SimExchange::emit_account_update(const SymbolState& s, int ps, TimeMs t) {
  const Position& p = s.pos[static_cast<std::size_t>(ps)];
  JsonWriter w;
  w.obj().s("e", "ACCOUNT_UPDATE").i("E", t).i("T", t).key("a").obj().s("m", "ORDER");
  w.key("B").arr().obj().s("a", "USDT").d("wb", wallet_).d("cw", wallet_).s("bc", "0");
  w.end_obj().end_arr();
  Decimal break_even{};
  if (!p.amount.is_zero()) {
    const Decimal one = Decimal::from_int(1);
    break_even = mul_sat(p.entry, p.amount.is_positive() ? one + fee_rate_ : one - fee_rate_);
  }
  w.key("P").arr().obj().s("s", s.cfg.name).d("pa", p.amount).d("ep", p.entry);
  w.d("bep", break_even).d("cr", p.realized).d("up", mul_sat(s.mark - p.entry, p.amount));
  w.s("mt", "cross").s("iw", "0").s("ps", ps_name(ps)).end_obj().end_arr();
  w.end_obj().end_obj();
  events_.push_back(w.take());
}

void SimExchange::emit_algo_event(const AlgoOrder& a, TimeMs t) {
  const bool triggered = a.actual_order_id != 0;
  JsonWriter w;
  w.obj().s("e", "ALGO_UPDATE").i("T", t).i("E", t).key("o").obj();
  w.s("caid", a.client_algo_id).i("aid", a.algo_id).s("at", "CONDITIONAL").s("o", a.type);
  w.s("s", a.symbol).s("S", a.buy ? "BUY" : "SELL").s("ps", ps_name(a.ps)).s("f", "GTC");
  w.d("q", a.quantity).s("X", a.status);
  w.s("ai", triggered ? std::to_string(a.actual_order_id) : std::string());
  w.d("ap", a.actual_price).d("aq", a.executed).s("act", triggered ? "MARKET" : "0");
  w.d("tp", a.trigger).s("p", "0").s("V", "EXPIRE_MAKER").s("wt", a.working_type);
  w.s("pm", "NONE").b("cp", a.close_position).b("pP", a.price_protect).b("R", a.reduce_only);
  w.i("tt", a.trigger_time).i("gtd", 0).s("rm", a.reason);
  w.end_obj().end_obj();
  events_.push_back(w.take());
}

void SimExchange::fire_algo(SymbolState& s, AlgoOrder& a, TimeMs t) {
  a.status = "TRIGGERING";
  a.trigger_time = a.update_time = t;
  emit_algo_event(a, t);

  // What it closes or trades now.
  Qty qty = a.quantity;
  bool reduce = a.reduce_only || a.close_position;
  if (a.close_position) {
    const Position& p = s.pos[static_cast<std::size_t>(a.ps)];
    // SELL closes a long, BUY a short (hedge mode: LONG / SHORT by positionSide).
    const bool matches = a.ps == kBoth ? (!p.amount.is_zero() && p.amount.is_positive() != a.buy)
                                       : !p.amount.is_zero();
    qty = matches ? abs(p.amount) : Decimal{};
  }
  FillPlan plan;
  if (qty.is_zero()) {
    plan.error = Error{-2022, "ReduceOnly Order is rejected.", 400};
  } else {
    plan = plan_fill(s, a.buy, a.ps, qty, reduce);
  }
  std::vector<std::pair<std::string, std::string>> params = {
      {"algoId", std::to_string(a.algo_id)},
      {"clientAlgoId", a.client_algo_id},
      {"symbol", a.symbol},
      {"side", a.buy ? "BUY" : "SELL"},
      {"positionSide", std::string(ps_name(a.ps))},
      {"type", a.type},
      {"triggerPrice", to_string(a.trigger)},
      {"closePosition", a.close_position ? "true" : "false"},
      {"reduceOnly", a.reduce_only ? "true" : "false"},
      {"markPrice", to_string(s.mark)}};
  if (plan.error) {
    // Nothing to close (already flat) or a reduce-only conflict: expired by the system.
    const bool nothing = plan.error->code == -2022;
    a.status = nothing ? "EXPIRED" : "REJECTED";
    a.reason = nothing ? "Reduce Only reject" : plan.error->msg;
    emit_algo_event(a, t);
    log_entry(t, "TRIGGER algoOrder", params, 200, plan.error->code, plan.error->msg, a.status,
              Decimal{}, "algo_id", a.algo_id);
    return;
  }
  a.actual_order_id = s.next_order_id;
  a.status = "TRIGGERED";
  emit_algo_event(a, t);
  // The engine order carries the clientAlgoId as its client id (exitbrain recognises "xbs-").
  const Order& o = execute_fill(s, a.buy, a.ps, plan.qty, qty, reduce && a.ps == kBoth,
                                a.close_position, a.client_algo_id, a.working_type, t);
  a.actual_price = o.avg_price;
  a.executed = o.executed_qty;
  a.status = "FINISHED";
  emit_algo_event(a, t);
  log_entry(t, "TRIGGER algoOrder", params, 200, 0, "", "FILLED", o.executed_qty, "order_id",
            o.order_id);
}

void SimExchange::cancel_algo(AlgoOrder& a, std::string_view status, TimeMs t) {
  a.status = std::string(status);
  a.update_time = t;
  emit_algo_event(a, t);
}

std::optional<std::string> SimExchange::open_position(std::string_view symbol, Side side, Qty qty,
                                                      TimeMs now) {
  SymbolState* s = find_symbol(symbol);
  if (!s) return "unknown symbol '" + std::string(symbol) + "'";
  if (!s->has_mark) return "no mark price for " + std::string(symbol) + " yet";
  if (!qty.is_positive()) return "quantity must be positive";
  if (!qty.is_multiple_of(s->cfg.step_size))
    return "quantity " + to_string(qty) + " is not a multiple of the step size " +
           to_string(s->cfg.step_size);
  if (qty > kMaxQty) return "quantity greater than max quantity";
  const bool buy = side == Side::kLong;
  const int ps = hedge_ ? (buy ? kLong : kShort) : kBoth;
  const FillPlan plan = plan_fill(*s, buy, ps, qty, false);
  if (plan.error) return plan.error->msg;
  const TimeMs t = now + faults_.clock_skew_ms;
  const Order& o =
      execute_fill(*s, buy, ps, plan.qty, qty, false, false, next_web_id(), "CONTRACT_PRICE", t);
  log_entry(t, "SIM open",
            {{"symbol", s->cfg.name},
             {"side", buy ? "BUY" : "SELL"},
             {"positionSide", std::string(ps_name(ps))},
             {"quantity", to_string(qty)},
             {"clientOrderId", o.client_id}},
            200, 0, "", "FILLED", o.executed_qty, "order_id", o.order_id);
  return std::nullopt;
}

// ---- /fapi/v1/order -----------------------------------------------------------------------------

void SimExchange::order_object(JsonWriter& w, const Order& o, bool with_time) const {
  w.obj().i("orderId", o.order_id).s("symbol", o.symbol).s("status", o.status);
  w.s("clientOrderId", o.client_id).s("price", "0").d("avgPrice", o.avg_price);
  w.d("origQty", o.orig_qty).d("executedQty", o.executed_qty);
  if (!with_time) w.d("cumQty", o.executed_qty);
  w.d("cumQuote", o.cum_quote).s("timeInForce", "GTC").s("type", "MARKET");
  w.b("reduceOnly", o.reduce_only).b("closePosition", o.close_position);
  w.s("side", o.buy ? "BUY" : "SELL").s("positionSide", ps_name(o.ps)).s("stopPrice", "0");
  w.s("workingType", o.working_type).b("priceProtect", false).s("origType", "MARKET");
  w.s("priceMatch", "NONE").s("selfTradePreventionMode", "EXPIRE_MAKER").i("goodTillDate", 0);
  if (with_time) w.i("time", o.time);
  w.i("updateTime", o.update_time).end_obj();
}

HttpAnswer SimExchange::post_order(Ctx& c) {
  const Params& P = c.params;
  if (auto msg = unread_params(P, kOrderParams)) return error_answer(Error{-1104, *msg, 400});
  for (const char* k : {"symbol", "side", "type"})
    if (!P.has(k)) return error_answer(missing(k));
  SymbolState* s = find_symbol(*P.get("symbol"));
  if (!s) return error_answer(Error{-1121, "Invalid symbol.", 400});
  const std::string& side = *P.get("side");
  if (side != "BUY" && side != "SELL") return error_answer(Error{-1117, "Invalid side.", 400});
  const bool buy = side == "BUY";
  const std::string& type = *P.get("type");
  if (type == "STOP" || type == "STOP_MARKET" || type == "TAKE_PROFIT" ||
      type == "TAKE_PROFIT_MARKET" || type == "TRAILING_STOP_MARKET")
    return error_answer(Error{-4120,
                              "Order type not supported for this endpoint. Please use the Algo "
                              "Order API endpoints instead.",
                              400});
  if (type != "MARKET") return error_answer(Error{-1116, "Invalid orderType.", 400});

  // positionSide against the account's mode.
  const std::string_view ps_text = P.value_or("positionSide", "");
  int ps = kBoth;
  if (ps_text == "LONG")
    ps = kLong;
  else if (ps_text == "SHORT")
    ps = kShort;
  else if (!ps_text.empty() && ps_text != "BOTH")
    return error_answer(Error{-4060, "Invalid position side.", 400});
  if (hedge_ == (ps == kBoth))
    return error_answer(Error{-4061, "Order's position side does not match user's setting.", 400});

  bool reduce_only = false;
  if (const std::string* ro = P.get("reduceOnly")) {
    if (hedge_)
      return error_answer(Error{-1106, "Parameter 'reduceOnly' sent when not required.", 400});
    if (!parse_bool(*ro, reduce_only)) return error_answer(bad_value("reduceOnly"));
  }
  for (const char* k : {"price", "stopPrice", "closePosition", "activationPrice", "callbackRate"})
    if (P.get(k))
      return error_answer(
          Error{-1106, "Parameter '" + std::string(k) + "' sent when not required.", 400});
  const std::string_view resp_type = P.value_or("newOrderRespType", "ACK");
  if (resp_type != "ACK" && resp_type != "RESULT")
    return error_answer(bad_value("newOrderRespType"));

  std::string client_id;
  if (const std::string* id = P.get("newClientOrderId")) {
    if (!valid_client_id(*id))
      return error_answer(
          Error{-1100, illegal_characters("newClientOrderId", kClientIdRange), 400});
    if (order_by_client_.count(s->cfg.name + "|" + *id))
      return error_answer(Error{-4116, "ClientOrderId is duplicated.", 400});
    client_id = *id;
  } else {
    client_id = next_auto_id();
  }

  if (!P.has("quantity")) return error_answer(missing("quantity"));
  Qty qty;
  if (auto e = parse_qty(*s, *P.get("quantity"), qty)) return error_answer(*e);
  if (!s->has_mark)
    return error_answer(Error{-1000,
                              "An unknown error occurred while processing the request. (sim: "
                              "no mark price for " +
                                  s->cfg.name + " yet)",
                              400});
  const FillPlan plan = plan_fill(*s, buy, ps, qty, reduce_only);
  if (plan.error) return error_answer(*plan.error);

  Order& o = execute_fill(*s, buy, ps, plan.qty, qty, reduce_only, false, std::move(client_id),
                          "CONTRACT_PRICE", c.server);
  c.outcome = o.status;
  c.executed = o.executed_qty;
  c.id_key = "order_id";
  c.id_value = o.order_id;
  JsonWriter w;
  if (resp_type == "RESULT") {
    order_object(w, o, false);
  } else {
    // ACK: the answer leaves before the fill.
    Order ack = o;
    ack.status = "NEW";
    ack.executed_qty = ack.avg_price = ack.cum_quote = Decimal{};
    order_object(w, ack, false);
  }
  return HttpAnswer{200, w.take(), {}};
}

const SimExchange::Order* SimExchange::find_order(const Ctx& c, const SymbolState& s,
                                                  std::optional<Error>& err) const {
  const Params& P = c.params;
  if (P.has("orderId")) {
    const std::optional<std::int64_t> id = parse_int(*P.get("orderId"));
    if (!id) {
      err = missing("orderId");
      return nullptr;
    }
    for (const Order& o : orders_)
      if (o.order_id == *id && o.symbol == s.cfg.name) return &o;
    return nullptr;
  }
  if (P.has("origClientOrderId")) {
    auto it = order_by_client_.find(s.cfg.name + "|" + *P.get("origClientOrderId"));
    return it == order_by_client_.end() ? nullptr : &orders_[it->second];
  }
  err = Error{
      -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!", 400};
  return nullptr;
}

HttpAnswer SimExchange::get_order(Ctx& c) {
  if (!c.params.has("symbol")) return error_answer(missing("symbol"));
  const SymbolState* s = find_symbol(*c.params.get("symbol"));
  if (!s) return error_answer(Error{-1121, "Invalid symbol.", 400});
  std::optional<Error> err;
  const Order* o = find_order(c, *s, err);
  if (err) return error_answer(*err);
  if (!o) return error_answer(Error{-2013, "Order does not exist.", 400});
  JsonWriter w;
  order_object(w, *o, true);
  return HttpAnswer{200, w.take(), {}};
}

HttpAnswer SimExchange::delete_order(Ctx& c) {
  if (!c.params.has("symbol")) return error_answer(missing("symbol"));
  const SymbolState* s = find_symbol(*c.params.get("symbol"));
  if (!s) return error_answer(Error{-1121, "Invalid symbol.", 400});
  std::optional<Error> err;
  const Order* o = find_order(c, *s, err);
  if (err) return error_answer(*err);
  // Every order here is a filled MARKET order: nothing is ever open to cancel.
  if (o) {
    c.id_key = "order_id";
    c.id_value = o->order_id;
  }
  return error_answer(Error{-2011, "Unknown order sent.", 400});
}

// ---- /fapi/v1/algoOrder -----------------------------------------------------------------------

void SimExchange::algo_object(JsonWriter& w, const AlgoOrder& a, bool query_fields) const {
  w.obj().i("algoId", a.algo_id).s("clientAlgoId", a.client_algo_id).s("algoType", "CONDITIONAL");
  w.s("orderType", a.type).s("symbol", a.symbol).s("side", a.buy ? "BUY" : "SELL");
  w.s("positionSide", ps_name(a.ps)).s("timeInForce", "GTC").d("quantity", a.quantity);
  w.s("algoStatus", a.status);
  if (query_fields) {
    w.s("actualOrderId", a.actual_order_id ? std::to_string(a.actual_order_id) : std::string());
    w.d("actualPrice", a.actual_price);
  }
  w.d("triggerPrice", a.trigger).s("price", "0").key("icebergQuantity").null();
  w.s("selfTradePreventionMode", "EXPIRE_MAKER").s("workingType", a.working_type);
  w.s("priceMatch", "NONE").b("closePosition", a.close_position);
  w.b("priceProtect", a.price_protect).b("reduceOnly", a.reduce_only).s("activatePrice", "");
  w.s("callbackRate", "").i("createTime", a.create_time).i("updateTime", a.update_time);
  w.i("triggerTime", a.trigger_time).i("goodTillDate", 0);
  if (query_fields) {
    w.s("tpTriggerPrice", "0").s("tpPrice", "0").s("slTriggerPrice", "0").s("slPrice", "0");
    w.s("tpOrderType", "");
  }
  w.end_obj();
}

HttpAnswer SimExchange::post_algo_order(Ctx& c) {
  const Params& P = c.params;
  if (auto msg = unread_params(P, kAlgoParams)) return error_answer(Error{-1104, *msg, 400});
  for (const char* k : {"algoType", "symbol", "side", "type"})
    if (!P.has(k)) return error_answer(missing(k));
  if (*P.get("algoType") != "CONDITIONAL") return error_answer(bad_value("algoType"));
  SymbolState* s = find_symbol(*P.get("symbol"));
  if (!s) return error_answer(Error{-1121, "Invalid symbol.", 400});
  const std::string& side = *P.get("side");
  if (side != "BUY" && side != "SELL") return error_answer(Error{-1117, "Invalid side.", 400});
  const bool buy = side == "BUY";
  const std::string& type = *P.get("type");
  if (type != "STOP_MARKET" && type != "TAKE_PROFIT_MARKET")
    return error_answer(Error{-1116, "Invalid orderType.", 400});

  const std::string_view ps_text = P.value_or("positionSide", "");
  int ps = kBoth;
  if (ps_text == "LONG")
    ps = kLong;
  else if (ps_text == "SHORT")
    ps = kShort;
  else if (!ps_text.empty() && ps_text != "BOTH")
    return error_answer(Error{-4060, "Invalid position side.", 400});
  if (hedge_ == (ps == kBoth))
    return error_answer(Error{-4061, "Order's position side does not match user's setting.", 400});

  const auto not_required = [](std::string_view k) {
    return error_answer(
        Error{-1106, "Parameter '" + std::string(k) + "' sent when not required.", 400});
  };
  bool reduce_only = false, close_position = false, price_protect = false;
  if (const std::string* ro = P.get("reduceOnly")) {
    if (hedge_) return not_required("reduceOnly");
    if (!parse_bool(*ro, reduce_only)) return error_answer(bad_value("reduceOnly"));
  }
  if (const std::string* cp = P.get("closePosition"))
    if (!parse_bool(*cp, close_position)) return error_answer(bad_value("closePosition"));
  if (const std::string* pp = P.get("priceProtect"))
    if (!parse_bool(*pp, price_protect)) return error_answer(bad_value("priceProtect"));
  if (close_position) {
    if (P.get("quantity")) return not_required("quantity");
    if (P.get("reduceOnly")) return not_required("reduceOnly");
    // Hedge mode: closePosition closes LONG with SELL and SHORT with BUY only.
    if ((ps == kLong && buy) || (ps == kShort && !buy))
      return error_answer(
          Error{-4061, "Order's position side does not match user's setting.", 400});
  }
  for (const char* k : {"price", "activatePrice", "callbackRate"})
    if (P.get(k)) return not_required(k);
  const std::string_view working = P.value_or("workingType", "CONTRACT_PRICE");
  if (working != "MARK_PRICE" && working != "CONTRACT_PRICE")
    return error_answer(bad_value("workingType"));
  const std::string_view tif = P.value_or("timeInForce", "GTC");
  if (tif != "GTC" && tif != "IOC" && tif != "FOK" && tif != "GTX")
    return error_answer(bad_value("timeInForce"));
  const std::string_view resp_type = P.value_or("newOrderRespType", "ACK");
  if (resp_type != "ACK" && resp_type != "RESULT")
    return error_answer(bad_value("newOrderRespType"));

  std::string client_id;
  if (const std::string* id = P.get("clientAlgoId")) {
    if (!valid_client_id(*id))
      return error_answer(Error{-1100, illegal_characters("clientAlgoId", kClientIdRange), 400});
    for (const AlgoOrder& a : algos_)
      if (a.status == "NEW" && a.client_algo_id == *id)
        return error_answer(Error{-4116, "ClientOrderId is duplicated.", 400});
    client_id = *id;
  } else {
    client_id = next_auto_id();
  }

  if (!P.has("triggerPrice")) return error_answer(missing("triggerPrice"));
  Price trigger;
  const DecimalError te = parse_decimal(*P.get("triggerPrice"), trigger);
  if (te == DecimalError::kPrecision)
    return error_answer(Error{-1111, "Precision is over the maximum defined for this asset.", 400});
  if (te != DecimalError::kOk)
    return error_answer(Error{
        -1100, illegal_characters("triggerPrice", R"('^([0-9]{1,20})(\.[0-9]{1,20})?$')"), 400});
  if (!trigger.is_positive())
    return error_answer(Error{-4006, "Stop price less than or equal to zero.", 400});
  if (!trigger.is_multiple_of(s->cfg.tick_size))
    return error_answer(Error{-4014, "Price not increased by tick size.", 400});

  Qty qty{};
  if (!close_position) {
    if (!P.has("quantity")) return error_answer(missing("quantity"));
    if (auto e = parse_qty(*s, *P.get("quantity"), qty)) return error_answer(*e);
  }
  if (!s->has_mark)
    return error_answer(Error{-1000,
                              "An unknown error occurred while processing the request. (sim: "
                              "no mark price for " +
                                  s->cfg.name + " yet)",
                              400});
  // The sim has one price: the mark stands in for CONTRACT_PRICE too.
  const bool stop = type == "STOP_MARKET";
  const bool up = stop == buy;  // fires on a rise
  if (up ? s->mark >= trigger : s->mark <= trigger)
    return error_answer(Error{-2021, "Order would immediately trigger.", 400});
  if (open_algo_count() >= cfg_.max_algo_orders)
    return error_answer(Error{-4045, "Reach max stop order limit.", 400});

  AlgoOrder a;
  a.algo_id = next_algo_id_++;
  a.client_algo_id = std::move(client_id);
  a.symbol = s->cfg.name;
  a.buy = buy;
  a.ps = ps;
  a.type = type;
  a.trigger = trigger;
  a.quantity = qty;
  a.close_position = close_position;
  a.reduce_only = reduce_only;
  a.price_protect = price_protect;
  a.working_type = std::string(working);
  a.create_time = a.update_time = c.server;
  algos_.push_back(std::move(a));
  const AlgoOrder& placed = algos_.back();
  emit_algo_event(placed, c.server);
  c.outcome = "NEW";
  c.id_key = "algo_id";
  c.id_value = placed.algo_id;
  JsonWriter w;
  algo_object(w, placed, false);
  return HttpAnswer{200, w.take(), {}};
}

SimExchange::AlgoOrder* SimExchange::find_algo(const Ctx& c, std::optional<Error>& err) {
  const Params& P = c.params;
  if (P.has("algoId")) {
    const std::optional<std::int64_t> id = parse_int(*P.get("algoId"));
    if (!id) {
      err = missing("algoId");
      return nullptr;
    }
    for (AlgoOrder& a : algos_)
      if (a.algo_id == *id) return &a;
    return nullptr;
  }
  if (P.has("clientAlgoId")) {
    // A live order with that id, else the most recent one.
    AlgoOrder* found = nullptr;
    for (AlgoOrder& a : algos_) {
      if (a.client_algo_id != *P.get("clientAlgoId")) continue;
      if (a.status == "NEW") return &a;
      found = &a;
    }
    return found;
  }
  err =
      Error{-1102, "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!", 400};
  return nullptr;
}

HttpAnswer SimExchange::get_algo_order(Ctx& c) {
  std::optional<Error> err;
  const AlgoOrder* a = find_algo(c, err);
  if (err) return error_answer(*err);
  if (!a) return error_answer(Error{-2013, "Order does not exist.", 400});
  JsonWriter w;
  algo_object(w, *a, true);
  return HttpAnswer{200, w.take(), {}};
}

HttpAnswer SimExchange::delete_algo_order(Ctx& c) {
  std::optional<Error> err;
  AlgoOrder* a = find_algo(c, err);
  if (err) return error_answer(*err);
  if (a) {
    c.id_key = "algo_id";
    c.id_value = a->algo_id;
  }
  if (!a || a->status != "NEW") return error_answer(Error{-2011, "Unknown order sent.", 400});
  cancel_algo(*a, "CANCELED", c.server);
  c.outcome = "CANCELED";
  JsonWriter w;
  w.obj().i("algoId", a->algo_id).s("clientAlgoId", a->client_algo_id).s("code", "200");
  w.s("msg", "success").end_obj();
  return HttpAnswer{200, w.take(), {}};
}

HttpAnswer SimExchange::get_open_algo_orders(Ctx& c) {
  const std::string* sym = c.params.get("symbol");
  if (sym && !sym->empty() && !find_symbol(*sym))
    return error_answer(Error{-1121, "Invalid symbol.", 400});
  std::optional<std::int64_t> only_id;
  if (c.params.has("algoId")) {
    only_id = parse_int(*c.params.get("algoId"));
    if (!only_id) return error_answer(missing("algoId"));
  }
  JsonWriter w;
  w.arr();
  for (const AlgoOrder& a : algos_) {
    if (a.status != "NEW") continue;
    if (sym && !sym->empty() && a.symbol != *sym) continue;
    if (only_id && a.algo_id != *only_id) continue;
    algo_object(w, a, false);
  }
  w.end_arr();
  return HttpAnswer{200, w.take(), {}};
}

HttpAnswer SimExchange::delete_algo_open_orders(Ctx& c) {
  if (!c.params.has("symbol")) return error_answer(missing("symbol"));
  const SymbolState* s = find_symbol(*c.params.get("symbol"));
  if (!s) return error_answer(Error{-1121, "Invalid symbol.", 400});
  for (AlgoOrder& a : algos_)
    if (a.status == "NEW" && a.symbol == s->cfg.name) cancel_algo(a, "CANCELED", c.server);
  c.outcome = "CANCELED";
  return HttpAnswer{
      200, R"({"code":200,"msg":"The operation of cancel all open order is done."})", {}};
}

}  // namespace exitbrain::sim
