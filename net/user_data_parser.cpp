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

}  // namespace

AlgoStatus algo_status_from(std::string_view s) noexcept {
  if (s == "NEW") return AlgoStatus::kNew;
  if (s == "CANCELED") return AlgoStatus::kCanceled;
  if (s == "TRIGGERING") return AlgoStatus::kTriggering;
  if (s == "TRIGGERED") return AlgoStatus::kTriggered;
  if (s == "FINISHED") return AlgoStatus::kFinished;
  if (s == "REJECTED") return AlgoStatus::kRejected;
  if (s == "EXPIRED") return AlgoStatus::kExpired;
  return AlgoStatus::kOther;
}

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

// ---- field readers: each names the field on failure ------------------------------------

template <class OnField>
ParseStatus UserDataParser::each_field(od::object o, const char* where,
                                       OnField&& on_field) noexcept {
  for (auto field : o) {
    std::string_view key;
    od::value value;
    if (field.unescaped_key().get(key) || field.value().get(value))
      return fail(where, "not valid JSON");
    if (const ParseStatus st = on_field(key, value); st != ParseStatus::kOk) return st;
  }
  return ParseStatus::kOk;
}

ParseStatus UserDataParser::read_string(od::value v, const char* field,
                                        std::string_view& out) noexcept {
  return v.get_string().get(out) ? fail(field, "not a string") : ParseStatus::kOk;
}

ParseStatus UserDataParser::read_decimal(od::value v, const char* field, Decimal& out) noexcept {
  std::string_view s;
  if (v.get_string().get(s) || parse_decimal(s, out) != DecimalError::kOk)
    return fail(field, "not a decimal number");
  return ParseStatus::kOk;
}

ParseStatus UserDataParser::read_double(od::value v, const char* field, double& out) noexcept {
  std::string_view s;
  return v.get_string().get(s) || !to_double(s, out) ? fail(field, "not a number")
                                                     : ParseStatus::kOk;
}

ParseStatus UserDataParser::read_id(od::value v, const char* field, IdText& out) noexcept {
  std::string_view s;
  return v.get_string().get(s) || !copy_id(s, out) ? fail(field, "not a client id")
                                                   : ParseStatus::kOk;
}

ParseStatus UserDataParser::read_symbol(od::value v, const char* field, SymbolId& out) noexcept {
  std::string_view s;
  if (const ParseStatus st = read_string(v, field, s); st != ParseStatus::kOk) return st;
  return symbol_of(s, out) ? ParseStatus::kOk : ParseStatus::kUnknownSymbol;
}

// ---- events -------------------------------------------------------------------------------

ParseStatus UserDataParser::parse_order(od::object o, UserEvent& ev) noexcept {
  OrderUpdate& u = ev.order;
  bool have_symbol = false, have_id = false, have_status = false;
  const ParseStatus st = each_field(o, "o", [&](std::string_view key, od::value v) {
    std::string_view s;
    ParseStatus r = ParseStatus::kOk;
    if (key == "s") {
      r = read_symbol(v, "o.s", ev.symbol);
      have_symbol = true;
    } else if (key == "c") {
      r = read_id(v, "o.c", u.client_id);
      have_id = true;
    } else if (key == "S") {
      r = read_string(v, "o.S", s);
      u.buy = s == "BUY";
    } else if (key == "X") {
      r = read_string(v, "o.X", s);
      u.status = order_status(s);
      have_status = true;
    } else if (key == "i") {
      if (v.get_int64().get(u.order_id)) r = fail("o.i", "not an integer");
    } else if (key == "l") {
      r = read_decimal(v, "o.l", u.last_filled);
    } else if (key == "z") {
      r = read_decimal(v, "o.z", u.cumulative_filled);
    } else if (key == "L") {
      r = read_decimal(v, "o.L", u.last_price);
    } else if (key == "ap") {
      r = read_decimal(v, "o.ap", u.average_price);
    } else if (key == "rp") {
      r = read_double(v, "o.rp", u.realized_pnl);
    } else if (key == "n") {
      r = read_double(v, "o.n", u.commission);
    } else if (key == "R") {
      if (v.get_bool().get(u.reduce_only)) r = fail("o.R", "not a boolean");
    } else if (key == "ps") {
      r = read_string(v, "o.ps", s);
      u.position_side = position_side(s);
    }
    return r;
  });
  if (st != ParseStatus::kOk) return st;
  if (!have_symbol) return fail("o.s", "missing");
  if (!have_id) return fail("o.c", "missing");
  if (!have_status) return fail("o.X", "missing");
  return ParseStatus::kOk;
}

ParseStatus UserDataParser::parse_algo(od::object o, UserEvent& ev) noexcept {
  AlgoUpdate& u = ev.algo;
  bool have_symbol = false, have_id = false, have_status = false;
  const ParseStatus st = each_field(o, "o", [&](std::string_view key, od::value v) {
    std::string_view s;
    ParseStatus r = ParseStatus::kOk;
    if (key == "s") {
      r = read_symbol(v, "o.s", ev.symbol);
      have_symbol = true;
    } else if (key == "caid") {
      r = read_id(v, "o.caid", u.client_algo_id);
      have_id = true;
    } else if (key == "aid") {
      if (v.get_int64().get(u.algo_id)) r = fail("o.aid", "not an integer");
    } else if (key == "X") {
      r = read_string(v, "o.X", s);
      u.status = algo_status_from(s);
      have_status = true;
    } else if (key == "tp") {
      r = read_decimal(v, "o.tp", u.trigger);
    } else if (key == "aq") {
      r = read_decimal(v, "o.aq", u.executed);
    } else if (key == "ap") {
      r = read_decimal(v, "o.ap", u.average_price);
    } else if (key == "rm") {
      r = read_string(v, "o.rm", s);
      const std::size_t n = std::min(s.size(), u.reason.size() - 1);
      std::memcpy(u.reason.data(), s.data(), n);
      u.reason[n] = '\0';
    }
    return r;
  });
  if (st != ParseStatus::kOk) return st;
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
    const ParseStatus st = each_field(p, "a.P[]", [&](std::string_view key, od::value v) {
      std::string_view s;
      ParseStatus r = ParseStatus::kOk;
      if (key == "s") {
        // An unmanaged symbol skips this entry, not the whole update.
        r = read_symbol(v, "a.P[].s", ev.symbol);
        known = r == ParseStatus::kOk;
        if (r == ParseStatus::kUnknownSymbol) r = ParseStatus::kOk;
        have_symbol = true;
      } else if (key == "pa") {
        r = read_decimal(v, "a.P[].pa", ev.position.amount);
        have_amount = true;
      } else if (key == "ep") {
        r = read_decimal(v, "a.P[].ep", ev.position.entry);
      } else if (key == "up") {
        r = read_double(v, "a.P[].up", ev.position.unrealized_pnl);
      } else if (key == "ps") {
        r = read_string(v, "a.P[].ps", s);
        ev.position.position_side = position_side(s);
      }
      return r;
    });
    if (st != ParseStatus::kOk) return st;
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
