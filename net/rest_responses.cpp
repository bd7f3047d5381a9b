#include "net/rest_responses.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include "net/binance_errors.hpp"
#include "net/json_field_reader.hpp"

namespace exitbrain {
namespace od = simdjson::ondemand;

std::string RestResult::message() const {
  if (ok) return {};
  std::string out = "field '";
  out += field;
  out += '\'';
  if (index >= 0) out += " of element " + std::to_string(index);
  if (inner_index >= 0)
    out += (index >= 0 ? ", bracket " : " of bracket ") + std::to_string(inner_index);
  out += ": ";
  out += reason;
  return out;
}

const char* to_string(RestOrderStatus s) noexcept {
  switch (s) {
    case RestOrderStatus::kNew:
      return "NEW";
    case RestOrderStatus::kPartiallyFilled:
      return "PARTIALLY_FILLED";
    case RestOrderStatus::kFilled:
      return "FILLED";
    case RestOrderStatus::kCanceled:
      return "CANCELED";
    case RestOrderStatus::kRejected:
      return "REJECTED";
    case RestOrderStatus::kExpired:
      return "EXPIRED";
    case RestOrderStatus::kExpiredInMatch:
      return "EXPIRED_IN_MATCH";
    case RestOrderStatus::kOther:
      break;
  }
  return "OTHER";
}

namespace {

constexpr RestResult kOk{};

RestResult fail(const char* field, const char* reason) noexcept {
  return RestResult{false, field, reason, -1};
}

RestResult at_index(RestResult r, std::size_t index) noexcept {
  r.index = static_cast<std::int32_t>(std::min<std::size_t>(index, INT32_MAX));
  return r;
}

RestOrderStatus order_status(std::string_view s) noexcept {
  if (s == "NEW") return RestOrderStatus::kNew;
  if (s == "PARTIALLY_FILLED") return RestOrderStatus::kPartiallyFilled;
  if (s == "FILLED") return RestOrderStatus::kFilled;
  if (s == "CANCELED") return RestOrderStatus::kCanceled;
  if (s == "REJECTED") return RestOrderStatus::kRejected;
  if (s == "EXPIRED") return RestOrderStatus::kExpired;
  if (s == "EXPIRED_IN_MATCH") return RestOrderStatus::kExpiredInMatch;
  return RestOrderStatus::kOther;
}

// The readers' FieldResult as this parser's result.
RestResult rest_result(FieldResult r) noexcept {
  return r.ok() ? kOk : fail(r.field, r.reason);
}

FieldResult read_owned_string(od::value v, const char* field, std::string& out) {
  std::string_view s;
  if (FieldResult r = read_string(v, field, s); !r.ok()) return r;
  out.assign(s);
  return kFieldOk;
}

// Required fields are tracked as bits; the first one missing is named.
struct Required {
  std::uint32_t seen = 0;
  void mark(unsigned bit) noexcept { seen |= 1u << bit; }
  template <std::size_t N>
  RestResult check(const char* const (&names)[N]) const noexcept {
    for (std::size_t i = 0; i < N; ++i)
      if (!(seen & (1u << i))) return fail(names[i], "missing");
    return kOk;
  }
};

PositionSideField position_side(std::string_view s, bool& known) noexcept {
  known = true;
  if (s == "BOTH") return PositionSideField::kBoth;
  if (s == "LONG") return PositionSideField::kLong;
  if (s == "SHORT") return PositionSideField::kShort;
  known = false;
  return PositionSideField::kBoth;
}

// ---- answers --------------------------------------------------------------------------

RestResult read_position(od::object o, PositionRisk& p) {
  static constexpr const char* kNames[] = {"symbol", "positionAmt", "entryPrice", "markPrice"};
  Required req;
  const FieldResult r = each_field(o, "[]", [&](std::string_view key, od::value v) -> FieldResult {
    if (key == "symbol") {
      req.mark(0);
      return read_owned_string(v, "symbol", p.symbol);
    }
    if (key == "positionAmt") {
      req.mark(1);
      return read_decimal(v, "positionAmt", p.amount);
    }
    if (key == "entryPrice") {
      req.mark(2);
      return read_decimal(v, "entryPrice", p.entry_price);
    }
    if (key == "markPrice") {
      req.mark(3);
      return read_decimal(v, "markPrice", p.mark_price);
    }
    if (key == "positionSide") {
      std::string_view s;
      if (FieldResult rs = read_string(v, "positionSide", s); !rs.ok()) return rs;
      bool known = false;
      p.position_side = position_side(s, known);
      return known ? kFieldOk : field_fault("positionSide", "not BOTH, LONG or SHORT");
    }
    if (key == "liquidationPrice") return read_decimal(v, "liquidationPrice", p.liquidation_price);
    if (key == "unRealizedProfit") return read_double(v, "unRealizedProfit", p.unrealized_pnl);
    if (key == "leverage") return read_int_or_quoted(v, "leverage", p.leverage);
    if (key == "updateTime") return read_time(v, "updateTime", p.update_time);
    return kFieldOk;
  });
  return r.ok() ? req.check(kNames) : rest_result(r);
}

RestResult read_order(od::object o, OrderAnswer& a) noexcept {
  static constexpr const char* kNames[] = {"orderId", "clientOrderId", "status", "updateTime"};
  Required req;
  const FieldResult r =
      each_field(o, "json", [&](std::string_view key, od::value v) -> FieldResult {
        if (key == "orderId") {
          req.mark(0);
          return read_int64(v, "orderId", a.order_id);
        }
        if (key == "clientOrderId") {
          req.mark(1);
          return read_id(v, "clientOrderId", a.client_order_id);
        }
        if (key == "status") {
          req.mark(2);
          std::string_view s;
          if (FieldResult rs = read_string(v, "status", s); !rs.ok()) return rs;
          a.status = order_status(s);
          return kFieldOk;
        }
        if (key == "updateTime") {
          req.mark(3);
          return read_time(v, "updateTime", a.update_time);
        }
        if (key == "symbol") return read_id(v, "symbol", a.symbol);
        if (key == "origQty") return read_decimal(v, "origQty", a.orig_qty);
        if (key == "executedQty") return read_decimal(v, "executedQty", a.executed_qty);
        if (key == "avgPrice") return read_decimal(v, "avgPrice", a.avg_price);
        if (key == "price") return read_decimal(v, "price", a.price);
        return kFieldOk;
      });
  return r.ok() ? req.check(kNames) : rest_result(r);
}

// "" (or null) until the order has triggered into the matching engine.
FieldResult read_actual_order_id(od::value v, std::int64_t& out) noexcept {
  od::json_type type;
  if (v.type().get(type)) return field_fault("actualOrderId", "not valid JSON");
  if (type == od::json_type::null) return kFieldOk;
  if (type == od::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s)) return field_fault("actualOrderId", "not a string");
    if (s.empty() || parse_whole_int(s, out)) return kFieldOk;
    return field_fault("actualOrderId", "not an integer");
  }
  return read_int64(v, "actualOrderId", out);
}

RestResult read_algo_order(od::object o, const char* where, AlgoOrderAnswer& a) noexcept {
  static constexpr const char* kNames[] = {"algoId", "clientAlgoId", "algoStatus"};
  Required req;
  const FieldResult r = each_field(o, where, [&](std::string_view key, od::value v) -> FieldResult {
    if (key == "algoId") {
      req.mark(0);
      return read_int64(v, "algoId", a.algo_id);
    }
    if (key == "clientAlgoId") {
      req.mark(1);
      return read_id(v, "clientAlgoId", a.client_algo_id);
    }
    if (key == "algoStatus") {
      req.mark(2);
      std::string_view s;
      if (FieldResult rs = read_string(v, "algoStatus", s); !rs.ok()) return rs;
      a.status = algo_status_from(s);
      return kFieldOk;
    }
    if (key == "symbol") return read_id(v, "symbol", a.symbol);
    if (key == "triggerPrice") return read_decimal_or_empty(v, "triggerPrice", a.trigger_price);
    if (key == "quantity") return read_decimal_or_empty(v, "quantity", a.quantity);
    if (key == "updateTime") return read_time(v, "updateTime", a.update_time);
    if (key == "actualOrderId") return read_actual_order_id(v, a.actual_order_id);
    if (key == "side") {
      std::string_view s;
      if (FieldResult rs = read_string(v, "side", s); !rs.ok()) return rs;
      if (s != "BUY" && s != "SELL") return field_fault("side", "not BUY or SELL");
      a.side = s == "BUY" ? AlgoOrderAnswer::OrderSide::kBuy : AlgoOrderAnswer::OrderSide::kSell;
      return kFieldOk;
    }
    if (key == "positionSide") {
      std::string_view s;
      if (FieldResult rs = read_string(v, "positionSide", s); !rs.ok()) return rs;
      bool known = false;
      a.position_side = position_side(s, known);
      return known ? kFieldOk : field_fault("positionSide", "not BOTH, LONG or SHORT");
    }
    return kFieldOk;
  });
  return r.ok() ? req.check(kNames) : rest_result(r);
}

// The JSON name of a LeverageBracket field that validate_brackets() names.
const char* bracket_json_name(std::string_view field) noexcept {
  if (field == "notional_floor") return "notionalFloor";
  if (field == "notional_cap") return "notionalCap";
  if (field == "maint_margin_ratio") return "maintMarginRatio";
  if (field == "max_leverage") return "initialLeverage";
  return "cum";
}

RestResult read_bracket(od::object o, LeverageBracket& b) noexcept {
  static constexpr const char* kNames[] = {"initialLeverage", "notionalFloor", "notionalCap",
                                           "maintMarginRatio", "cum"};
  Required req;
  const FieldResult r =
      each_field(o, "brackets", [&](std::string_view key, od::value v) -> FieldResult {
        if (key == "initialLeverage") {
          req.mark(0);
          return read_int_or_quoted(v, "initialLeverage", b.max_leverage);
        }
        if (key == "notionalFloor") {
          req.mark(1);
          return read_number(v, "notionalFloor", b.notional_floor);
        }
        if (key == "notionalCap") {
          req.mark(2);
          return read_number(v, "notionalCap", b.notional_cap);
        }
        if (key == "maintMarginRatio") {
          req.mark(3);
          return read_number(v, "maintMarginRatio", b.maint_margin_ratio);
        }
        if (key == "cum") {
          req.mark(4);
          return read_number(v, "cum", b.cum);
        }
        return kFieldOk;  // "bracket" (its number) and anything Binance adds
      });
  return r.ok() ? req.check(kNames) : rest_result(r);
}

RestResult read_symbol_brackets(od::object o, const char* where, SymbolBrackets& s) {
  static constexpr const char* kNames[] = {"symbol", "brackets"};
  Required req;
  RestResult bad_bracket = kOk;
  std::int32_t bracket = 0;
  const FieldResult r = each_field(o, where, [&](std::string_view key, od::value v) -> FieldResult {
    if (key == "symbol") {
      req.mark(0);
      if (FieldResult rs = read_owned_string(v, "symbol", s.symbol); !rs.ok()) return rs;
      return s.symbol.empty() ? field_fault("symbol", "empty") : kFieldOk;
    }
    if (key == "notionalCoef") return read_number(v, "notionalCoef", s.notional_coef);
    if (key != "brackets") return kFieldOk;
    req.mark(1);
    od::array list;
    if (v.get_array().get(list)) return field_fault("brackets", "not an array");
    for (auto item : list) {
      od::object bo;
      LeverageBracket b;
      if (item.get_object().get(bo)) {
        bad_bracket = fail("brackets", "not an object");
      } else {
        bad_bracket = read_bracket(bo, b);
      }
      if (!bad_bracket.ok) {
        bad_bracket.inner_index = bracket;
        return field_fault(bad_bracket.field, bad_bracket.reason);
      }
      s.brackets.push_back(b);
      ++bracket;
    }
    return s.brackets.empty() ? field_fault("brackets", "empty") : kFieldOk;
  });
  if (!r.ok()) {
    RestResult out = rest_result(r);
    out.inner_index = bad_bracket.ok ? -1 : bad_bracket.inner_index;
    return out;
  }
  if (RestResult rq = req.check(kNames); !rq.ok) return rq;
  if (const BracketError e = validate_brackets(s.brackets); !e.ok()) {
    RestResult out = fail(bracket_json_name(e.field), e.reason);
    out.inner_index = e.index;
    return out;
  }
  return kOk;
}

void copy_message(std::string_view s, ErrorBody& out) noexcept {
  const std::size_t n = std::min(s.size(), out.msg_chars.size());
  if (n != 0) std::memcpy(out.msg_chars.data(), s.data(), n);
  out.msg_len = static_cast<std::uint16_t>(n);
  out.msg_truncated = n < s.size();
}

bool looks_like_json_object(std::string_view body) noexcept {
  const std::size_t start = body.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos && body[start] == '{';
}

}  // namespace

RestResponseParser::RestResponseParser(std::size_t initial_capacity) {
  const std::size_t capacity = initial_capacity + simdjson::SIMDJSON_PADDING;
  buffer_.reset(new (std::nothrow) char[capacity]);
  buffer_capacity_ = buffer_ ? capacity : 0;
  // Sized now so the first answers do not allocate. A failure only means the first parse
  // allocates (iterate() sizes the parser itself).
  [[maybe_unused]] const auto sized = json_.allocate(initial_capacity);
}

RestResult RestResponseParser::load(std::string_view body, od::document& doc) noexcept {
  if (body.empty()) return fail("json", "empty body");
  const std::size_t need = body.size() + simdjson::SIMDJSON_PADDING;
  if (need > buffer_capacity_) {
    const std::size_t capacity = std::max(need, buffer_capacity_ * 2);
    std::unique_ptr<char[]> grown(new (std::nothrow) char[capacity]);
    if (!grown) return fail("json", "out of memory");
    buffer_ = std::move(grown);
    buffer_capacity_ = capacity;
  }
  std::memcpy(buffer_.get(), body.data(), body.size());
  std::memset(buffer_.get() + body.size(), 0, simdjson::SIMDJSON_PADDING);
  if (json_.iterate(buffer_.get(), body.size(), buffer_capacity_).get(doc))
    return fail("json", "not valid JSON");
  return kOk;
}

RestResult RestResponseParser::parse_server_time(std::string_view body,
                                                 TimeMs& server_time) noexcept {
  od::document doc;
  if (RestResult loaded = load(body, doc); !loaded.ok) return loaded;
  od::object root;
  if (doc.get_object().get(root)) return fail("json", "not a JSON object");
  bool seen = false;
  TimeMs t = 0;
  const FieldResult r =
      each_field(root, "json", [&](std::string_view key, od::value v) -> FieldResult {
        if (key != "serverTime") return kFieldOk;
        seen = true;
        if (FieldResult rt = read_time(v, "serverTime", t); !rt.ok()) return rt;
        return t > 0 ? kFieldOk : field_fault("serverTime", "not positive");
      });
  if (!r.ok()) return rest_result(r);
  if (!seen) return fail("serverTime", "missing");
  server_time = t;
  return kOk;
}

RestResult RestResponseParser::parse_position_mode(std::string_view body,
                                                   bool& dual_side) noexcept {
  od::document doc;
  if (RestResult loaded = load(body, doc); !loaded.ok) return loaded;
  od::object root;
  if (doc.get_object().get(root)) return fail("json", "not a JSON object");
  bool seen = false, value = false;
  const FieldResult r =
      each_field(root, "json", [&](std::string_view key, od::value v) -> FieldResult {
        if (key != "dualSidePosition") return kFieldOk;
        seen = true;
        return read_bool(v, "dualSidePosition", value);
      });
  if (!r.ok()) return rest_result(r);
  if (!seen) return fail("dualSidePosition", "missing");
  dual_side = value;
  return kOk;
}

RestResult RestResponseParser::parse_positions(std::string_view body,
                                               std::vector<PositionRisk>& out, bool nonzero_only) {
  out.clear();
  od::document doc;
  if (RestResult loaded = load(body, doc); !loaded.ok) return loaded;
  od::array list;
  if (doc.get_array().get(list)) return fail("json", "not a JSON array");
  std::size_t index = 0;
  for (auto item : list) {
    od::object o;
    if (item.get_object().get(o)) return at_index(fail("[]", "not an object"), index);
    PositionRisk p;
    if (RestResult r = read_position(o, p); !r.ok) {
      out.clear();
      return at_index(r, index);
    }
    if (!nonzero_only || !p.amount.is_zero()) out.push_back(std::move(p));
    ++index;
  }
  return kOk;
}

RestResult RestResponseParser::parse_klines(std::string_view body, TimeMs server_time,
                                            KlineCandles& out) {
  out.candles.clear();
  out.last_closed = true;
  od::document doc;
  if (RestResult loaded = load(body, doc); !loaded.ok) return loaded;
  od::array rows;
  if (doc.get_array().get(rows)) return fail("json", "not a JSON array");
  // Field names as Binance's commented kline page has them.
  static constexpr const char* kNames[] = {"openTime", "open",   "high",     "low",
                                           "close",    "volume", "closeTime"};
  std::size_t index = 0;
  TimeMs last_close = 0;
  auto bad = [&](RestResult r) {
    out.candles.clear();
    return at_index(r, index);
  };
  for (auto item : rows) {
    od::array row;
    if (item.get_array().get(row)) return bad(fail("[]", "not an array"));
    Candle c;
    TimeMs close_time = 0;
    std::size_t column = 0;
    for (auto cell : row) {
      od::value v;
      if (cell.get(v)) return bad(fail("[]", "not valid JSON"));
      FieldResult r = kFieldOk;
      switch (column) {
        case 0:
          r = read_time(v, kNames[0], c.open_time);
          break;
        case 1:
          r = read_decimal(v, kNames[1], c.open);
          break;
        case 2:
          r = read_decimal(v, kNames[2], c.high);
          break;
        case 3:
          r = read_decimal(v, kNames[3], c.low);
          break;
        case 4:
          r = read_decimal(v, kNames[4], c.close);
          break;
        case 6:
          r = read_time(v, kNames[6], close_time);
          break;
        default:
          break;
      }
      if (!r.ok()) return bad(rest_result(r));
      ++column;
    }
    if (column < 7) return bad(fail(kNames[column], "missing"));
    if (close_time < c.open_time) return bad(fail("closeTime", "before openTime"));
    // A candle that is not one would seed the ATR with nonsense (found by
    // fuzz/fuzz_rest_answers): positive prices, the low below and the high above the rest.
    if (!c.low.is_positive()) return bad(fail("low", "not positive"));
    if (c.high < c.open || c.high < c.close || c.high < c.low)
      return bad(fail("high", "below the open, close or low"));
    if (c.low > c.open || c.low > c.close) return bad(fail("low", "above the open or close"));
    if (!out.candles.empty() && c.open_time <= out.candles.back().open_time)
      return bad(fail("openTime", "not after the previous kline's"));
    c.interval_ms = close_time - c.open_time + 1;
    last_close = close_time;
    out.candles.push_back(c);
    ++index;
  }
  out.last_closed = out.candles.empty() || last_close < server_time;
  return kOk;
}

RestResult RestResponseParser::parse_premium_index(std::string_view body, PremiumIndex& out) {
  od::document doc;
  if (RestResult loaded = load(body, doc); !loaded.ok) return loaded;
  od::object root;
  if (doc.get_object().get(root))
    return fail("json", "not a JSON object (premiumIndex without a symbol answers an array)");
  static constexpr const char* kNames[] = {"markPrice", "time"};
  Required req;
  PremiumIndex p;
  const FieldResult r =
      each_field(root, "json", [&](std::string_view key, od::value v) -> FieldResult {
        if (key == "markPrice") {
          req.mark(0);
          return read_decimal(v, "markPrice", p.mark_price);
        }
        if (key == "time") {
          req.mark(1);
          return read_time(v, "time", p.time);
        }
        if (key == "symbol") return read_owned_string(v, "symbol", p.symbol);
        if (key == "indexPrice") return read_decimal_or_empty(v, "indexPrice", p.index_price);
        return kFieldOk;
      });
  if (!r.ok()) return rest_result(r);
  if (RestResult rq = req.check(kNames); !rq.ok) return rq;
  // Found by fuzz/fuzz_rest_answers: a mark at or below zero is no price to set a stop by.
  if (!p.mark_price.is_positive()) return fail("markPrice", "not positive");
  out = std::move(p);
  return kOk;
}

RestResult RestResponseParser::parse_order(std::string_view body, OrderAnswer& out) noexcept {
  od::document doc;
  if (RestResult loaded = load(body, doc); !loaded.ok) return loaded;
  od::object root;
  if (doc.get_object().get(root)) return fail("json", "not a JSON object");
  OrderAnswer a;
  if (RestResult r = read_order(root, a); !r.ok) return r;
  // Found by fuzz/fuzz_rest_answers: a negative quantity is no quantity.
  if (a.orig_qty.is_negative()) return fail("origQty", "negative");
  if (a.executed_qty.is_negative()) return fail("executedQty", "negative");
  out = a;
  return kOk;
}

RestResult RestResponseParser::parse_algo_order(std::string_view body,
                                                AlgoOrderAnswer& out) noexcept {
  od::document doc;
  if (RestResult loaded = load(body, doc); !loaded.ok) return loaded;
  od::object root;
  if (doc.get_object().get(root)) return fail("json", "not a JSON object");
  AlgoOrderAnswer a;
  if (RestResult r = read_algo_order(root, "json", a); !r.ok) return r;
  out = a;
  return kOk;
}

RestResult RestResponseParser::parse_algo_cancel(std::string_view body,
                                                 AlgoCancelAnswer& out) noexcept {
  od::document doc;
  if (RestResult loaded = load(body, doc); !loaded.ok) return loaded;
  od::object root;
  if (doc.get_object().get(root)) return fail("json", "not a JSON object");
  static constexpr const char* kNames[] = {"algoId", "clientAlgoId", "code"};
  Required req;
  AlgoCancelAnswer a;
  std::int64_t code = 0;
  const FieldResult r =
      each_field(root, "json", [&](std::string_view key, od::value v) -> FieldResult {
        if (key == "algoId") {
          req.mark(0);
          return read_int64(v, "algoId", a.algo_id);
        }
        if (key == "clientAlgoId") {
          req.mark(1);
          return read_id(v, "clientAlgoId", a.client_algo_id);
        }
        if (key == "code") {
          req.mark(2);
          return read_int_or_quoted(v, "code", code);  // "200" as a string in the docs' example
        }
        return kFieldOk;
      });
  if (!r.ok()) return rest_result(r);
  if (RestResult rq = req.check(kNames); !rq.ok) return rq;
  if (code != 200) return fail("code", "not 200 (the cancel did not succeed)");
  out = a;
  return kOk;
}

RestResult RestResponseParser::parse_open_algo_orders(std::string_view body,
                                                      std::vector<AlgoOrderAnswer>& out) {
  out.clear();
  od::document doc;
  if (RestResult loaded = load(body, doc); !loaded.ok) return loaded;
  od::array list;
  if (doc.get_array().get(list)) return fail("json", "not a JSON array");
  std::size_t index = 0;
  for (auto item : list) {
    od::object o;
    if (item.get_object().get(o)) return at_index(fail("[]", "not an object"), index);
    AlgoOrderAnswer a;
    if (RestResult r = read_algo_order(o, "[]", a); !r.ok) {
      out.clear();
      return at_index(r, index);
    }
    out.push_back(a);
    ++index;
  }
  return kOk;
}

RestResult RestResponseParser::parse_error_body(std::string_view body, ErrorBody& out) noexcept {
  od::document doc;
  if (RestResult loaded = load(body, doc); !loaded.ok) return loaded;
  od::object root;
  if (doc.get_object().get(root)) return fail("json", "not a JSON object");
  bool seen_code = false;
  ErrorBody e;
  const FieldResult r =
      each_field(root, "json", [&](std::string_view key, od::value v) -> FieldResult {
        if (key == "code") {
          seen_code = true;
          return read_int_or_quoted(v, "code", e.code);
        }
        if (key == "msg") {
          std::string_view s;
          if (FieldResult rs = read_string(v, "msg", s); !rs.ok()) return rs;
          copy_message(s, e);
        }
        return kFieldOk;
      });
  if (!r.ok()) return rest_result(r);
  if (!seen_code) return fail("code", "missing");
  out = e;
  return kOk;
}

RestResult RestResponseParser::parse_listen_key(std::string_view body, std::string& out,
                                                bool allow_empty) {
  od::document doc;
  if (RestResult loaded = load(body, doc); !loaded.ok) return loaded;
  od::object root;
  if (doc.get_object().get(root)) return fail("json", "not a JSON object");
  bool seen = false;
  std::string key_text;
  const FieldResult r =
      each_field(root, "json", [&](std::string_view key, od::value v) -> FieldResult {
        if (key != "listenKey") return kFieldOk;
        seen = true;
        return read_owned_string(v, "listenKey", key_text);
      });
  if (!r.ok()) return rest_result(r);
  if (!seen && !allow_empty) return fail("listenKey", "missing");
  if (seen && key_text.empty()) return fail("listenKey", "empty");
  out = std::move(key_text);
  return kOk;
}

RestResult RestResponseParser::parse_leverage(std::string_view body, LeverageAnswer& out) {
  od::document doc;
  if (RestResult loaded = load(body, doc); !loaded.ok) return loaded;
  od::object root;
  if (doc.get_object().get(root)) return fail("json", "not a JSON object");
  static constexpr const char* kNames[] = {"leverage", "symbol"};
  Required req;
  LeverageAnswer a;
  const FieldResult r =
      each_field(root, "json", [&](std::string_view key, od::value v) -> FieldResult {
        if (key == "leverage") {
          req.mark(0);
          if (FieldResult rl = read_int_or_quoted(v, "leverage", a.leverage); !rl.ok()) return rl;
          return a.leverage >= 1 ? kFieldOk : field_fault("leverage", "not positive");
        }
        if (key == "symbol") {
          req.mark(1);
          return read_owned_string(v, "symbol", a.symbol);
        }
        if (key == "maxNotionalValue") {
          std::string_view s;
          if (FieldResult rs = read_string(v, "maxNotionalValue", s); !rs.ok()) return rs;
          if (s == "INF") {
            a.max_notional.reset();
            return kFieldOk;
          }
          Decimal d;
          if (parse_decimal(s, d) != DecimalError::kOk)
            return field_fault("maxNotionalValue", "not a decimal number");
          a.max_notional = d;
        }
        return kFieldOk;
      });
  if (!r.ok()) return rest_result(r);
  if (RestResult rq = req.check(kNames); !rq.ok) return rq;
  out = std::move(a);
  return kOk;
}

RestResult RestResponseParser::parse_leverage_brackets(std::string_view body,
                                                       std::vector<SymbolBrackets>& out) {
  out.clear();
  od::document doc;
  if (RestResult loaded = load(body, doc); !loaded.ok) return loaded;
  od::json_type type;
  if (doc.type().get(type)) return fail("json", "not valid JSON");
  if (type == od::json_type::object) {
    od::object root;
    if (doc.get_object().get(root)) return fail("json", "not a JSON object");
    SymbolBrackets s;
    if (RestResult r = read_symbol_brackets(root, "json", s); !r.ok) return r;
    out.push_back(std::move(s));
    return kOk;
  }
  od::array list;
  if (type != od::json_type::array || doc.get_array().get(list))
    return fail("json", "not a JSON array or object");
  std::size_t index = 0;
  for (auto item : list) {
    od::object o;
    SymbolBrackets s;
    RestResult r =
        item.get_object().get(o) ? fail("[]", "not an object") : read_symbol_brackets(o, "[]", s);
    if (!r.ok) {
      out.clear();
      return at_index(r, index);
    }
    out.push_back(std::move(s));
    ++index;
  }
  return kOk;
}

ErrorAction RestResponseParser::classify_response(int http_status, std::string_view body,
                                                  ErrorBody* error) noexcept {
  ErrorBody local;
  ErrorBody& e = error != nullptr ? *error : local;
  e = ErrorBody{};
  if (http_status >= 200 && http_status < 300) return ErrorAction::kNone;
  // Only a JSON object is worth the parser; an HTML WAF page or a bare text line is the
  // message itself (503 "Service Unavailable" vs "Unknown error" is told by its text).
  if (!looks_like_json_object(body) || !parse_error_body(body, e).ok) {
    e = ErrorBody{};
    copy_message(body, e);
  }
  return classify_exchange_error(http_status, e.code, e.msg());
}

}  // namespace exitbrain
