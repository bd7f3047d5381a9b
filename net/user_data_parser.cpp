#include "net/user_data_parser.hpp"

#include <algorithm>
#include <cstring>

#include "net/json_balance.hpp"
#include "net/json_field_reader.hpp"

namespace exitbrain {
namespace od = simdjson::ondemand;

namespace {

// A user-data error gives one reason per kind of value, whatever was wrong with it: "o.l: not a
// decimal number" for 5 as for "0,5". The shared readers tell "not a string" apart, as REST
// answers report it; these keep the event errors as they have always read.
FieldResult with_one_reason(FieldResult r, const char* reason) noexcept {
  return r.ok() ? r : field_fault(r.field, reason);
}

FieldResult read_event_decimal(od::value v, const char* field, Decimal& out) noexcept {
  return with_one_reason(read_decimal(v, field, out), "not a decimal number");
}

FieldResult read_event_double(od::value v, const char* field, double& out) noexcept {
  return with_one_reason(read_double(v, field, out), "not a number");
}

FieldResult read_client_id(od::value v, const char* field, IdText& out) noexcept {
  return with_one_reason(read_id(v, field, out), "not a client id");
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

// A field of an event: read, at fault (the reader's FieldResult), or naming a symbol
// exitbrain does not manage. That last stops the walk as a fault does, but the event is then
// kUnknownSymbol, not malformed.
struct UserDataParser::FieldOutcome {
  FieldResult read = kFieldOk;
  bool unmanaged_symbol = false;

  FieldOutcome(FieldResult r) noexcept : read(r) {}  // implicit: what every reader returns
  static FieldOutcome unmanaged() noexcept {
    FieldOutcome out(kFieldOk);
    out.unmanaged_symbol = true;
    return out;
  }
  bool ok() const noexcept { return read.ok() && !unmanaged_symbol; }
};

ParseStatus UserDataParser::status_of(const FieldOutcome& r) noexcept {
  if (r.unmanaged_symbol) return ParseStatus::kUnknownSymbol;
  return r.read.ok() ? ParseStatus::kOk : fail(r.read.field, r.read.reason);
}

UserDataParser::FieldOutcome UserDataParser::read_symbol(od::value v, const char* field,
                                                         SymbolId& out) noexcept {
  std::string_view s;
  if (FieldResult r = read_string(v, field, s); !r.ok()) return r;
  return symbol_of(s, out) ? FieldOutcome(kFieldOk) : FieldOutcome::unmanaged();
}

// ---- events -------------------------------------------------------------------------------

ParseStatus UserDataParser::parse_order(od::object o, UserEvent& ev) noexcept {
  OrderUpdate& u = ev.order;
  bool have_symbol = false, have_id = false, have_status = false;
  const FieldOutcome walk = each_field(o, "o", [&](std::string_view key, od::value v) {
    std::string_view s;
    FieldOutcome r = kFieldOk;
    if (key == "s") {
      r = read_symbol(v, "o.s", ev.symbol);
      have_symbol = true;
    } else if (key == "c") {
      r = read_client_id(v, "o.c", u.client_id);
      have_id = true;
    } else if (key == "S") {
      r = read_string(v, "o.S", s);
      u.buy = s == "BUY";
    } else if (key == "X") {
      r = read_string(v, "o.X", s);
      u.status = order_status(s);
      have_status = true;
    } else if (key == "i") {
      r = read_int64(v, "o.i", u.order_id);
    } else if (key == "l") {
      r = read_event_decimal(v, "o.l", u.last_filled);
    } else if (key == "z") {
      r = read_event_decimal(v, "o.z", u.cumulative_filled);
    } else if (key == "L") {
      r = read_event_decimal(v, "o.L", u.last_price);
    } else if (key == "ap") {
      r = read_event_decimal(v, "o.ap", u.average_price);
    } else if (key == "rp") {
      r = read_event_double(v, "o.rp", u.realized_pnl);
    } else if (key == "n") {
      r = read_event_double(v, "o.n", u.commission);
    } else if (key == "R") {
      r = read_bool(v, "o.R", u.reduce_only);
    } else if (key == "ps") {
      r = read_string(v, "o.ps", s);
      u.position_side = position_side(s);
    }
    return r;
  });
  if (!walk.ok()) return status_of(walk);
  if (!have_symbol) return fail("o.s", "missing");
  if (!have_id) return fail("o.c", "missing");
  if (!have_status) return fail("o.X", "missing");
  // The fills feed the order tracker's arithmetic: an event that contradicts itself is
  // refused, not half believed (found by fuzz/fuzz_user_data).
  if (u.last_filled.is_negative()) return fail("o.l", "negative");
  if (u.cumulative_filled.is_negative()) return fail("o.z", "negative");
  if (u.cumulative_filled < u.last_filled) return fail("o.z", "less than the last fill o.l");
  return ParseStatus::kOk;
}

ParseStatus UserDataParser::parse_algo(od::object o, UserEvent& ev) noexcept {
  AlgoUpdate& u = ev.algo;
  bool have_symbol = false, have_id = false, have_status = false;
  const FieldOutcome walk = each_field(o, "o", [&](std::string_view key, od::value v) {
    std::string_view s;
    FieldOutcome r = kFieldOk;
    if (key == "s") {
      r = read_symbol(v, "o.s", ev.symbol);
      have_symbol = true;
    } else if (key == "caid") {
      r = read_client_id(v, "o.caid", u.client_algo_id);
      have_id = true;
    } else if (key == "aid") {
      r = read_int64(v, "o.aid", u.algo_id);
    } else if (key == "X") {
      r = read_string(v, "o.X", s);
      u.status = algo_status_from(s);
      have_status = true;
    } else if (key == "tp") {
      r = read_event_decimal(v, "o.tp", u.trigger);
    } else if (key == "aq") {
      r = read_event_decimal(v, "o.aq", u.executed);
    } else if (key == "ap") {
      r = read_event_decimal(v, "o.ap", u.average_price);
    } else if (key == "rm") {
      r = read_string(v, "o.rm", s);
      // Only a string is copied: a refused one is an empty view whose data() may be null,
      // and memcpy from null is undefined even for 0 bytes (found by fuzz/fuzz_user_data).
      const std::size_t n = r.ok() ? std::min(s.size(), u.reason.size() - 1) : 0;
      if (n > 0) std::memcpy(u.reason.data(), s.data(), n);
      u.reason[n] = '\0';
    }
    return r;
  });
  if (!walk.ok()) return status_of(walk);
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
    const FieldOutcome walk = each_field(p, "a.P[]", [&](std::string_view key, od::value v) {
      std::string_view s;
      FieldOutcome r = kFieldOk;
      if (key == "s") {
        // An unmanaged symbol skips this entry, not the whole update.
        r = read_symbol(v, "a.P[].s", ev.symbol);
        known = r.ok();
        if (r.unmanaged_symbol) r = kFieldOk;
        have_symbol = true;
      } else if (key == "pa") {
        r = read_event_decimal(v, "a.P[].pa", ev.position.amount);
        have_amount = true;
      } else if (key == "ep") {
        r = read_event_decimal(v, "a.P[].ep", ev.position.entry);
      } else if (key == "up") {
        r = read_event_double(v, "a.P[].up", ev.position.unrealized_pnl);
      } else if (key == "ps") {
        r = read_string(v, "a.P[].ps", s);
        ev.position.position_side = position_side(s);
      }
      return r;
    });
    if (!walk.ok()) return status_of(walk);
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
  // On-Demand looks fields up without checking that the object is closed (json_balance.hpp).
  if (!json_brackets_balanced(data, len)) return fail("json", "not valid JSON");
  od::document doc;
  if (json_.iterate(data, len, capacity).get(doc)) return fail("json", "not valid JSON");
  od::object root;
  if (doc.get_object().get(root)) return fail("json", "not a JSON object");
  // Combined streams wrap the event: {"stream":"<listenKey>","data":{...}}.
  od::object payload = root;
  od::value wrapped;
  if (const auto err = root.find_field_unordered("data").get(wrapped); err == simdjson::SUCCESS) {
    if (wrapped.get_object().get(payload)) return fail("data", "not an object");
  } else if (err != simdjson::NO_SUCH_FIELD) {
    // Not "no such field" but a fault on the way (bytes between the fields): the document
    // is spent, and looking further into it is undefined (found by fuzz/fuzz_user_data).
    return fail("json", "not valid JSON");
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
