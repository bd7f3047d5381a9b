#include "net/user_data_parser.hpp"

#include <charconv>
#include <cstring>

namespace exitbrain {
namespace od = simdjson::ondemand;

namespace {

bool copy_id(std::string_view s, IdText& out) noexcept {
  if (s.size() > out.chars.size()) return false;
  std::memcpy(out.chars.data(), s.data(), s.size());
  out.len = static_cast<std::uint8_t>(s.size());
  return true;
}

bool to_double(std::string_view s, double& out) noexcept {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

PositionSideField position_side(std::string_view s) noexcept {
  return s == "LONG"    ? PositionSideField::kLong
         : s == "SHORT" ? PositionSideField::kShort
                        : PositionSideField::kBoth;
}

OrderStatus order_status(std::string_view s) noexcept {
  if (s == "NEW") return OrderStatus::kNew;
  if (s == "PARTIALLY_FILLED") return OrderStatus::kPartiallyFilled;
  if (s == "FILLED") return OrderStatus::kFilled;
  if (s == "CANCELED") return OrderStatus::kCanceled;
  if (s == "EXPIRED") return OrderStatus::kExpired;
  if (s == "EXPIRED_IN_MATCH") return OrderStatus::kExpiredInMatch;
  return OrderStatus::kOther;
}

AlgoStatus algo_status(std::string_view s) noexcept {
  if (s == "NEW") return AlgoStatus::kNew;
  if (s == "CANCELED") return AlgoStatus::kCanceled;
  if (s == "TRIGGERING") return AlgoStatus::kTriggering;
  if (s == "TRIGGERED") return AlgoStatus::kTriggered;
  if (s == "FINISHED") return AlgoStatus::kFinished;
  if (s == "REJECTED") return AlgoStatus::kRejected;
  if (s == "EXPIRED") return AlgoStatus::kExpired;
  return AlgoStatus::kOther;
}

}  // namespace

UserDataParser::UserDataParser(SymbolTable& symbols, bool intern_unknown_symbols)
    : symbols_(symbols), intern_unknown_(intern_unknown_symbols) {
  // Sized now so the first messages do not allocate. A failure here only means the first
  // parse allocates (iterate() sizes the parser itself), so it is not an error.
  [[maybe_unused]] const auto sized = json_.allocate(BinanceMessageParser::kDefaultCapacity);
}

ParseStatus UserDataParser::fail(const char* field, const char* reason) noexcept {
  error_ = ParseError{field, reason};
  return ParseStatus::kMalformed;
}

bool UserDataParser::symbol_of(std::string_view name, SymbolId& out) noexcept {
  if (auto id = symbols_.find(name)) {
    out = *id;
    return true;
  }
  if (!intern_unknown_) return false;
  auto id = symbols_.intern(name);  // replay / tests only: may allocate
  if (!id) return false;
  out = *id;
  return true;
}

// Reads one field as a decimal string, naming the field on failure.
#define EB_DECIMAL(field_name, target)                                                \
  do {                                                                                \
    std::string_view s_;                                                              \
    if (value.get_string().get(s_) || parse_decimal(s_, target) != DecimalError::kOk) \
      return fail(field_name, "not a decimal number");                                \
  } while (0)

ParseStatus UserDataParser::parse_order(od::object o, UserEvent& ev) noexcept {
  OrderUpdate& u = ev.order;
  bool have_symbol = false, have_id = false, have_status = false;
  for (auto field : o) {
    std::string_view key;
    od::value value;
    if (field.unescaped_key().get(key) || field.value().get(value))
      return fail("o", "not valid JSON");
    std::string_view s;
    if (key == "s") {
      if (value.get_string().get(s)) return fail("o.s", "not a string");
      if (!symbol_of(s, ev.symbol)) return ParseStatus::kUnknownSymbol;
      have_symbol = true;
    } else if (key == "c") {
      if (value.get_string().get(s) || !copy_id(s, u.client_id))
        return fail("o.c", "not a client order id");
      have_id = true;
    } else if (key == "S") {
      if (value.get_string().get(s)) return fail("o.S", "not a string");
      u.buy = s == "BUY";
    } else if (key == "X") {
      if (value.get_string().get(s)) return fail("o.X", "not a string");
      u.status = order_status(s);
      have_status = true;
    } else if (key == "i") {
      if (value.get_int64().get(u.order_id)) return fail("o.i", "not an integer");
    } else if (key == "l") {
      EB_DECIMAL("o.l", u.last_filled);
    } else if (key == "z") {
      EB_DECIMAL("o.z", u.cumulative_filled);
    } else if (key == "L") {
      EB_DECIMAL("o.L", u.last_price);
    } else if (key == "ap") {
      EB_DECIMAL("o.ap", u.average_price);
    } else if (key == "rp" || key == "n") {
      double& target = key == "rp" ? u.realized_pnl : u.commission;
      if (value.get_string().get(s) || !to_double(s, target))
        return fail(key == "rp" ? "o.rp" : "o.n", "not a number");
    } else if (key == "R") {
      if (value.get_bool().get(u.reduce_only)) return fail("o.R", "not a boolean");
    } else if (key == "ps") {
      if (value.get_string().get(s)) return fail("o.ps", "not a string");
      u.position_side = position_side(s);
    }
  }
  if (!have_symbol) return fail("o.s", "missing");
  if (!have_id) return fail("o.c", "missing");
  if (!have_status) return fail("o.X", "missing");
  return ParseStatus::kOk;
}

ParseStatus UserDataParser::parse_algo(od::object o, UserEvent& ev) noexcept {
  AlgoUpdate& u = ev.algo;
  bool have_symbol = false, have_id = false, have_status = false;
  for (auto field : o) {
    std::string_view key;
    od::value value;
    if (field.unescaped_key().get(key) || field.value().get(value))
      return fail("o", "not valid JSON");
    std::string_view s;
    if (key == "s") {
      if (value.get_string().get(s)) return fail("o.s", "not a string");
      if (!symbol_of(s, ev.symbol)) return ParseStatus::kUnknownSymbol;
      have_symbol = true;
    } else if (key == "caid") {
      if (value.get_string().get(s) || !copy_id(s, u.client_algo_id))
        return fail("o.caid", "not a client algo id");
      have_id = true;
    } else if (key == "aid") {
      if (value.get_int64().get(u.algo_id)) return fail("o.aid", "not an integer");
    } else if (key == "X") {
      if (value.get_string().get(s)) return fail("o.X", "not a string");
      u.status = algo_status(s);
      have_status = true;
    } else if (key == "tp") {
      EB_DECIMAL("o.tp", u.trigger);
    } else if (key == "aq") {
      EB_DECIMAL("o.aq", u.executed);
    } else if (key == "ap") {
      EB_DECIMAL("o.ap", u.average_price);
    } else if (key == "rm") {
      if (value.get_string().get(s)) return fail("o.rm", "not a string");
      const std::size_t n = std::min(s.size(), u.reason.size() - 1);
      std::memcpy(u.reason.data(), s.data(), n);
      u.reason[n] = '\0';
    }
  }
  if (!have_symbol) return fail("o.s", "missing");
  if (!have_id) return fail("o.caid", "missing");
  if (!have_status) return fail("o.X", "missing");
  return ParseStatus::kOk;
}

ParseStatus UserDataParser::parse_account(od::object a, TimeMs t, UserEventSink& sink) noexcept {
  od::array positions;
  if (a.find_field_unordered("P").get_array().get(positions))
    return ParseStatus::kIgnored;  // balances only
  ParseStatus status = ParseStatus::kIgnored;
  for (auto item : positions) {
    od::object p;
    if (item.get_object().get(p)) return fail("a.P[]", "not an object");
    UserEvent ev;
    ev.kind = UserEventKind::kPosition;
    ev.event_time = t;
    bool have_symbol = false, have_amount = false, known = true;
    for (auto field : p) {
      std::string_view key;
      od::value value;
      if (field.unescaped_key().get(key) || field.value().get(value))
        return fail("a.P[]", "not valid JSON");
      std::string_view s;
      if (key == "s") {
        if (value.get_string().get(s)) return fail("a.P[].s", "not a string");
        known = symbol_of(s, ev.symbol);
        have_symbol = true;
      } else if (key == "pa") {
        EB_DECIMAL("a.P[].pa", ev.position.amount);
        have_amount = true;
      } else if (key == "ep") {
        EB_DECIMAL("a.P[].ep", ev.position.entry);
      } else if (key == "up") {
        if (value.get_string().get(s) || !to_double(s, ev.position.unrealized_pnl))
          return fail("a.P[].up", "not a number");
      } else if (key == "ps") {
        if (value.get_string().get(s)) return fail("a.P[].ps", "not a string");
        ev.position.position_side = position_side(s);
      }
    }
    if (!have_symbol) return fail("a.P[].s", "missing");
    if (!have_amount) return fail("a.P[].pa", "missing");
    if (!known) {
      if (status == ParseStatus::kIgnored) status = ParseStatus::kUnknownSymbol;
      continue;
    }
    sink(ev);
    status = ParseStatus::kOk;
  }
  return status;
}

#undef EB_DECIMAL

ParseStatus UserDataParser::parse(const char* data, std::size_t len, std::size_t capacity,
                                  UserEventSink sink) noexcept {
  error_ = ParseError{};
  if (capacity < padded_capacity(len)) return fail("json", "buffer lacks simdjson padding");
  od::document doc;
  if (json_.iterate(data, len, capacity).get(doc)) return fail("json", "not valid JSON");
  od::object root;
  if (doc.get_object().get(root)) return fail("json", "not a JSON object");
  // Combined streams wrap the event: {"stream":"<listenKey>","data":{...}}.
  od::object payload = root;
  od::value wrapped;
  if (root.find_field_unordered("data").get(wrapped) == simdjson::SUCCESS) {
    if (wrapped.get_object().get(payload)) return fail("data", "not an object");
  }
  std::string_view type;
  if (payload.find_field_unordered("e").get_string().get(type)) return fail("e", "missing");
  TimeMs t = 0;
  if (payload.find_field_unordered("E").get_int64().get(t)) return fail("E", "missing");
  UserEvent ev;
  ev.event_time = t;
  if (type == "ORDER_TRADE_UPDATE" || type == "ALGO_UPDATE") {
    od::object o;
    if (payload.find_field_unordered("o").get_object().get(o)) return fail("o", "missing");
    ev.kind = type == "ALGO_UPDATE" ? UserEventKind::kAlgo : UserEventKind::kOrder;
    const ParseStatus st = ev.kind == UserEventKind::kAlgo ? parse_algo(o, ev) : parse_order(o, ev);
    if (st == ParseStatus::kOk) sink(ev);
    return st;
  }
  if (type == "ACCOUNT_UPDATE") {
    od::object a;
    if (payload.find_field_unordered("a").get_object().get(a)) return fail("a", "missing");
    return parse_account(a, t, sink);
  }
  if (type == "listenKeyExpired") {
    ev.kind = UserEventKind::kListenKeyExpired;
    sink(ev);
    return ParseStatus::kOk;
  }
  return ParseStatus::kIgnored;
}

}  // namespace exitbrain
