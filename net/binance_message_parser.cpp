#include "net/binance_message_parser.hpp"

#include <charconv>
#include <utility>

namespace exitbrain {

namespace ondemand = simdjson::ondemand;

const char* to_string(ParseStatus s) noexcept {
  switch (s) {
    case ParseStatus::kOk: return "ok";
    case ParseStatus::kIgnored: return "ignored";
    case ParseStatus::kUnknownSymbol: return "unknown_symbol";
    case ParseStatus::kMalformed: return "malformed";
  }
  return "unknown";
}

std::int64_t interval_to_ms(std::string_view text) noexcept {
  if (text.size() < 2) return 0;
  std::int64_t count = 0;
  const char* end = text.data() + text.size() - 1;
  auto [ptr, ec] = std::from_chars(text.data(), end, count);
  if (ec != std::errc() || ptr != end || count <= 0 || count > 1000) return 0;
  constexpr std::int64_t kSecond = 1000;
  switch (text.back()) {
    case 's': return count * kSecond;
    case 'm': return count * 60 * kSecond;
    case 'h': return count * 3600 * kSecond;
    case 'd': return count * 86400 * kSecond;
    case 'w': return count * 7 * 86400 * kSecond;
    default: return 0;
  }
}

namespace {

// Where an event object sits in the message; the error names a field the way a reader
// would find it in the text.
enum class Scope : std::uint8_t { kRaw, kData, kRawArray, kDataArray };

enum class Field : std::uint8_t {
  kType, kEventTime, kSymbol, kPrice, kFundingRate, kBid, kAsk, kTransactionTime, kKline,
  kKlineOpenTime, kKlineInterval, kKlineOpen, kKlineHigh, kKlineLow, kKlineClose, kKlineClosed,
  kCount
};
constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::kCount);

constexpr const char* kFieldKeys[kFieldCount] = {"e", "E", "s", "p", "r", "b", "a", "T", "k",
                                                 "t", "i", "o", "h", "l", "c", "x"};
constexpr const char* kFieldNames[4][kFieldCount] = {
    {"e", "E", "s", "p", "r", "b", "a", "T", "k", "k.t", "k.i", "k.o", "k.h", "k.l", "k.c", "k.x"},
    {"data.e", "data.E", "data.s", "data.p", "data.r", "data.b", "data.a", "data.T", "data.k",
     "data.k.t", "data.k.i", "data.k.o", "data.k.h", "data.k.l", "data.k.c", "data.k.x"},
    {"[].e", "[].E", "[].s", "[].p", "[].r", "[].b", "[].a", "[].T", "[].k", "[].k.t", "[].k.i",
     "[].k.o", "[].k.h", "[].k.l", "[].k.c", "[].k.x"},
    {"data[].e", "data[].E", "data[].s", "data[].p", "data[].r", "data[].b", "data[].a",
     "data[].T", "data[].k", "data[].k.t", "data[].k.i", "data[].k.o", "data[].k.h",
     "data[].k.l", "data[].k.c", "data[].k.x"},
};

constexpr const char* key_of(Field f) noexcept { return kFieldKeys[static_cast<std::size_t>(f)]; }

}  // namespace

// Walks one message. Every read returns kOk to go on, anything else to stop with it.
class BinanceMessageWalker {
 public:
  BinanceMessageWalker(BinanceMessageParser& owner, MarketEventSink sink) noexcept
      : owner_(owner), sink_(sink) {}

  ParseStatus walk_document(ondemand::document& doc) noexcept {
    ondemand::json_type type;
    if (auto err = doc.type().get(type)) return json_fail("json", err);
    if (type == ondemand::json_type::array) {
      ondemand::array arr;
      if (auto err = doc.get_array().get(arr)) return json_fail("json", err);
      return walk_array(arr, Scope::kRawArray);
    }
    if (type != ondemand::json_type::object) return fail("json", "not an object or array");
    ondemand::object obj;
    if (auto err = doc.get_object().get(obj)) return json_fail("json", err);
    return walk_root_object(obj);
  }

 private:
  ParseStatus walk_root_object(ondemand::object& obj) noexcept {
    // Binance writes "stream" first in combined messages and "e" first in raw events: one
    // look at the first key picks the path without scanning the message.
    for (auto field_result : obj) {
      ondemand::field field;
      if (auto err = std::move(field_result).get(field)) return json_fail("json", err);
      const ondemand::raw_json_string key = field.key();
      if (key == "stream") return walk_data_field(obj);
      if (key == "data") return walk_payload(field.value());
      if (key == "e") {
        std::string_view type;
        if (auto err = field.value().get_string().get(type)) return json_fail(Field::kType, Scope::kRaw, err);
        return walk_event(obj, type, Scope::kRaw);
      }
      break;
    }
    return walk_unusual_root(obj);
  }

  // Subscription replies, REST snapshots, errors, or an event whose keys come in another order.
  ParseStatus walk_unusual_root(ondemand::object& obj) noexcept {
    std::string_view type;
    auto err = obj.find_field_unordered("e").get_string().get(type);
    if (!err) return walk_event(obj, type, Scope::kRaw);
    if (err != simdjson::NO_SUCH_FIELD) return json_fail(Field::kType, Scope::kRaw, err);
    ondemand::value data;
    err = obj.find_field_unordered("data").get(data);
    if (!err) return walk_payload(data);
    if (err != simdjson::NO_SUCH_FIELD) return json_fail("data", err);
    return ParseStatus::kIgnored;
  }

  ParseStatus walk_data_field(ondemand::object& obj) noexcept {
    ondemand::value data;
    if (auto err = obj.find_field_unordered("data").get(data)) return json_fail("data", err);
    return walk_payload(data);
  }

  ParseStatus walk_payload(ondemand::value data) noexcept {
    ondemand::json_type type;
    if (auto err = data.type().get(type)) return json_fail("data", err);
    if (type == ondemand::json_type::array) {
      ondemand::array arr;
      if (auto err = data.get_array().get(arr)) return json_fail("data", err);
      return walk_array(arr, Scope::kDataArray);
    }
    if (type != ondemand::json_type::object) return fail("data", "not an object or array");
    ondemand::object obj;
    if (auto err = data.get_object().get(obj)) return json_fail("data", err);
    return walk_event_object(obj, Scope::kData);
  }

  // !markPrice@arr: one event per element; symbols we do not follow are skipped.
  ParseStatus walk_array(ondemand::array& arr, Scope scope) noexcept {
    std::size_t delivered = 0, unknown = 0;
    const char* element_name = scope == Scope::kRawArray ? "[]" : "data[]";
    for (auto element : arr) {
      ondemand::object obj;
      if (auto err = element.get_object().get(obj)) return json_fail(element_name, err);
      switch (walk_event_object(obj, scope)) {
        case ParseStatus::kOk: ++delivered; break;
        case ParseStatus::kUnknownSymbol: ++unknown; break;
        case ParseStatus::kIgnored: break;
        case ParseStatus::kMalformed: return ParseStatus::kMalformed;
      }
    }
    if (delivered > 0) return ParseStatus::kOk;
    return unknown > 0 ? ParseStatus::kUnknownSymbol : ParseStatus::kIgnored;
  }

  ParseStatus walk_event_object(ondemand::object& obj, Scope scope) noexcept {
    std::string_view type;
    if (auto st = read_string(obj, Field::kType, scope, type); st != ParseStatus::kOk) return st;
    return walk_event(obj, type, scope);
  }

  ParseStatus walk_event(ondemand::object& obj, std::string_view type, Scope scope) noexcept {
    if (type == "markPriceUpdate") return read_mark_price(obj, scope);
    if (type == "trade" || type == "aggTrade") return read_trade(obj, scope);
    if (type == "bookTicker") return read_book_ticker(obj, scope);
    if (type == "kline") return read_kline(obj, scope);
    return ParseStatus::kIgnored;
  }

  // Fields are read in Binance's own key order so each lookup continues where the last
  // one stopped; another order still works, it only rescans.
  ParseStatus read_mark_price(ondemand::object& obj, Scope scope) noexcept {
    MarketEvent ev;
    ev.kind = MarketEventKind::kMarkPrice;
    if (auto st = read_int(obj, Field::kEventTime, scope, ev.event_time); st != ParseStatus::kOk) return st;
    if (auto st = read_symbol(obj, scope, ev.symbol); st != ParseStatus::kOk) return st;
    if (auto st = read_price(obj, Field::kPrice, scope, ev.price); st != ParseStatus::kOk) return st;
    if (auto st = read_funding_rate(obj, scope, ev.funding_rate); st != ParseStatus::kOk) return st;
    return deliver(ev);
  }

  ParseStatus read_trade(ondemand::object& obj, Scope scope) noexcept {
    MarketEvent ev;
    ev.kind = MarketEventKind::kTrade;
    if (auto st = read_int(obj, Field::kEventTime, scope, ev.event_time); st != ParseStatus::kOk) return st;
    if (auto st = read_symbol(obj, scope, ev.symbol); st != ParseStatus::kOk) return st;
    if (auto st = read_price(obj, Field::kPrice, scope, ev.price); st != ParseStatus::kOk) return st;
    return deliver(ev);
  }

  ParseStatus read_book_ticker(ondemand::object& obj, Scope scope) noexcept {
    MarketEvent ev;
    ev.kind = MarketEventKind::kBookTicker;
    if (auto st = read_symbol(obj, scope, ev.symbol); st != ParseStatus::kOk) return st;
    if (auto st = read_price(obj, Field::kBid, scope, ev.bid); st != ParseStatus::kOk) return st;
    if (auto st = read_price(obj, Field::kAsk, scope, ev.ask); st != ParseStatus::kOk) return st;
    // Older bookTicker payloads carry only the transaction time T.
    auto err = obj.find_field_unordered(key_of(Field::kEventTime)).get_int64().get(ev.event_time);
    if (err == simdjson::NO_SUCH_FIELD) {
      if (auto st = read_int(obj, Field::kTransactionTime, scope, ev.event_time); st != ParseStatus::kOk) return st;
    } else if (err) {
      return json_fail(Field::kEventTime, scope, err);
    }
    return deliver(ev);
  }

  ParseStatus read_kline(ondemand::object& obj, Scope scope) noexcept {
    MarketEvent ev;
    ev.kind = MarketEventKind::kKline;
    if (auto st = read_int(obj, Field::kEventTime, scope, ev.event_time); st != ParseStatus::kOk) return st;
    if (auto st = read_symbol(obj, scope, ev.symbol); st != ParseStatus::kOk) return st;
    ondemand::object k;
    if (auto err = obj.find_field_unordered(key_of(Field::kKline)).get_object().get(k)) return json_fail(Field::kKline, scope, err);
    if (auto st = read_candle(k, scope, ev); st != ParseStatus::kOk) return st;
    ev.price = ev.kline.close;
    return deliver(ev);
  }

  ParseStatus read_candle(ondemand::object& k, Scope scope, MarketEvent& ev) noexcept {
    Candle& c = ev.kline;
    if (auto st = read_int(k, Field::kKlineOpenTime, scope, c.open_time); st != ParseStatus::kOk) return st;
    std::string_view interval;
    if (auto st = read_string(k, Field::kKlineInterval, scope, interval); st != ParseStatus::kOk) return st;
    c.interval_ms = interval_to_ms(interval);
    if (c.interval_ms == 0) return fail(Field::kKlineInterval, scope, "not a kline interval");
    if (auto st = read_price(k, Field::kKlineOpen, scope, c.open); st != ParseStatus::kOk) return st;
    if (auto st = read_price(k, Field::kKlineClose, scope, c.close); st != ParseStatus::kOk) return st;
    if (auto st = read_price(k, Field::kKlineHigh, scope, c.high); st != ParseStatus::kOk) return st;
    if (auto st = read_price(k, Field::kKlineLow, scope, c.low); st != ParseStatus::kOk) return st;
    if (auto err = k.find_field_unordered(key_of(Field::kKlineClosed)).get_bool().get(ev.kline_closed)) {
      return json_fail(Field::kKlineClosed, scope, err);
    }
    return ParseStatus::kOk;
  }

  ParseStatus read_string(ondemand::object& obj, Field f, Scope scope, std::string_view& out) noexcept {
    if (auto err = obj.find_field_unordered(key_of(f)).get_string().get(out)) return json_fail(f, scope, err);
    return ParseStatus::kOk;
  }

  ParseStatus read_int(ondemand::object& obj, Field f, Scope scope, std::int64_t& out) noexcept {
    if (auto err = obj.find_field_unordered(key_of(f)).get_int64().get(out)) return json_fail(f, scope, err);
    return ParseStatus::kOk;
  }

  ParseStatus read_decimal(ondemand::object& obj, Field f, Scope scope, Decimal& out) noexcept {
    std::string_view text;
    if (auto st = read_string(obj, f, scope, text); st != ParseStatus::kOk) return st;
    if (parse_decimal(text, out) != DecimalError::kOk) return fail(f, scope, "not a decimal number");
    return ParseStatus::kOk;
  }

  // A zero or negative price would poison every level derived from it.
  ParseStatus read_price(ondemand::object& obj, Field f, Scope scope, Price& out) noexcept {
    if (auto st = read_decimal(obj, f, scope, out); st != ParseStatus::kOk) return st;
    if (!out.is_positive()) return fail(f, scope, "not positive");
    return ParseStatus::kOk;
  }

  // Delivery contracts have no funding: Binance sends "r":"" for them.
  ParseStatus read_funding_rate(ondemand::object& obj, Scope scope, double& out) noexcept {
    std::string_view text;
    if (auto st = read_string(obj, Field::kFundingRate, scope, text); st != ParseStatus::kOk) return st;
    Decimal rate;
    if (!text.empty() && parse_decimal(text, rate) != DecimalError::kOk) {
      return fail(Field::kFundingRate, scope, "not a decimal number");
    }
    out = rate.to_double();
    return ParseStatus::kOk;
  }

  ParseStatus read_symbol(ondemand::object& obj, Scope scope, SymbolId& out) noexcept {
    std::string_view name;
    if (auto st = read_string(obj, Field::kSymbol, scope, name); st != ParseStatus::kOk) return st;
    SymbolTable& table = owner_.symbols_;
    if (auto id = table.find(name)) {
      out = *id;
      return ParseStatus::kOk;
    }
    if (!owner_.intern_unknown_symbols_ || table.size() >= SymbolTable::kMaxSymbols) {
      return ParseStatus::kUnknownSymbol;
    }
    auto id = intern_symbol(table, name);
    if (!id) return fail(Field::kSymbol, scope, "not a symbol name");
    out = *id;
    return ParseStatus::kOk;
  }

  // Interning allocates (a new name): only on the first sight of a symbol, never again.
  static std::optional<SymbolId> intern_symbol(SymbolTable& table, std::string_view name) noexcept {
    try {
      return table.intern(name);
    } catch (...) {
      return std::nullopt;
    }
  }

  ParseStatus deliver(const MarketEvent& ev) noexcept {
    ++owner_.stats_.events;
    sink_(ev);
    return ParseStatus::kOk;
  }

  ParseStatus fail(const char* field, const char* reason) noexcept {
    owner_.error_ = {field, reason};
    return ParseStatus::kMalformed;
  }
  ParseStatus fail(Field f, Scope scope, const char* reason) noexcept {
    return fail(kFieldNames[static_cast<std::size_t>(scope)][static_cast<std::size_t>(f)], reason);
  }
  ParseStatus json_fail(const char* field, simdjson::error_code err) noexcept {
    owner_.json_error_ = err;
    switch (err) {
      case simdjson::NO_SUCH_FIELD: return fail(field, "missing");
      case simdjson::INCORRECT_TYPE: return fail(field, "wrong JSON type");
      case simdjson::NUMBER_ERROR:
      case simdjson::NUMBER_OUT_OF_RANGE: return fail(field, "not an integer");
      default: return fail(field, "invalid JSON");
    }
  }
  ParseStatus json_fail(Field f, Scope scope, simdjson::error_code err) noexcept {
    return json_fail(kFieldNames[static_cast<std::size_t>(scope)][static_cast<std::size_t>(f)], err);
  }

  BinanceMessageParser& owner_;
  MarketEventSink sink_;
};

BinanceMessageParser::BinanceMessageParser(SymbolTable& symbols, bool intern_unknown_symbols,
                                           std::size_t initial_capacity)
    : symbols_(symbols), intern_unknown_symbols_(intern_unknown_symbols) {
  // Sized now so the first messages of a session do not allocate; allocate() cannot throw.
  if (json_.allocate(initial_capacity) != simdjson::SUCCESS) {
    json_error_ = simdjson::MEMALLOC;
  }
}

ParseStatus BinanceMessageParser::parse(const char* data, std::size_t len, std::size_t capacity,
                                        MarketEventSink sink) noexcept {
  const ParseStatus status = parse_message(data, len, capacity, sink);
  switch (status) {
    case ParseStatus::kOk: ++stats_.ok; break;
    case ParseStatus::kIgnored: ++stats_.ignored; break;
    case ParseStatus::kUnknownSymbol: ++stats_.unknown_symbol; break;
    case ParseStatus::kMalformed: ++stats_.malformed; break;
  }
  return status;
}

ParseStatus BinanceMessageParser::parse_message(const char* data, std::size_t len, std::size_t capacity,
                                                MarketEventSink sink) noexcept {
  error_ = {};
  json_error_ = simdjson::SUCCESS;
  BinanceMessageWalker walker(*this, sink);
  ondemand::document doc;
  if (auto err = json_.iterate(data, len, capacity).get(doc)) {
    json_error_ = err;
    error_ = {"json", err == simdjson::INSUFFICIENT_PADDING ? "buffer lacks kJsonPadding bytes"
                                                            : "invalid JSON"};
    return ParseStatus::kMalformed;
  }
  return walker.walk_document(doc);
}

}  // namespace exitbrain
