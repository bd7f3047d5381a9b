#include "net/binance_message_parser.hpp"

#include <charconv>
#include <cstring>
#include <new>
#include <utility>

#include "core/interval.hpp"
#include "net/market_fast_paths.hpp"

namespace exitbrain {

namespace ondemand = simdjson::ondemand;

const char* to_string(ParseStatus s) noexcept {
  switch (s) {
    case ParseStatus::kOk:
      return "ok";
    case ParseStatus::kIgnored:
      return "ignored";
    case ParseStatus::kUnknownSymbol:
      return "unknown_symbol";
    case ParseStatus::kMalformed:
      return "malformed";
  }
  return "unknown";
}

namespace {

// Where an event object sits in the message; the error names a field the way a reader
// would find it in the text.
enum class Scope : std::uint8_t { kRaw, kData, kRawArray, kDataArray };

enum class Field : std::uint8_t {
  kType,
  kEventTime,
  kSymbol,
  kPrice,
  kFundingRate,
  kBid,
  kAsk,
  kTransactionTime,
  kKline,
  kKlineOpenTime,
  kKlineInterval,
  kKlineOpen,
  kKlineHigh,
  kKlineLow,
  kKlineClose,
  kKlineClosed,
  kCount
};
constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::kCount);

// string_views: simdjson takes keys as views, and a const char* would cost a strlen per field.
constexpr std::string_view kFieldKeys[kFieldCount] = {"e", "E", "s", "p", "r", "b", "a", "T",
                                                      "k", "t", "i", "o", "h", "l", "c", "x"};
constexpr const char* kFieldNames[4][kFieldCount] = {
    {"e", "E", "s", "p", "r", "b", "a", "T", "k", "k.t", "k.i", "k.o", "k.h", "k.l", "k.c", "k.x"},
    {"data.e", "data.E", "data.s", "data.p", "data.r", "data.b", "data.a", "data.T", "data.k",
     "data.k.t", "data.k.i", "data.k.o", "data.k.h", "data.k.l", "data.k.c", "data.k.x"},
    {"[].e", "[].E", "[].s", "[].p", "[].r", "[].b", "[].a", "[].T", "[].k", "[].k.t", "[].k.i",
     "[].k.o", "[].k.h", "[].k.l", "[].k.c", "[].k.x"},
    {"data[].e", "data[].E", "data[].s", "data[].p", "data[].r", "data[].b", "data[].a", "data[].T",
     "data[].k", "data[].k.t", "data[].k.i", "data[].k.o", "data[].k.h", "data[].k.l", "data[].k.c",
     "data[].k.x"},
};

constexpr std::string_view key_of(Field f) noexcept {
  return kFieldKeys[static_cast<std::size_t>(f)];
}

}  // namespace

// Walks one message. walk_* return the status of what they walked; read_* return true to
// go on, or false with stop_ and the error set.
class BinanceMessageWalker {
 public:
  BinanceMessageWalker(BinanceMessageParser& owner, MarketEventSink sink) noexcept
      : owner_(owner), sink_(sink) {}

  ParseStatus walk_document(ondemand::document& doc) noexcept {
    ondemand::json_type type;
    if (auto err = doc.type().get(type)) return malformed_json("json", err);
    if (type == ondemand::json_type::array) {
      ondemand::array arr;
      if (auto err = doc.get_array().get(arr)) return malformed_json("json", err);
      return walk_array(arr, Scope::kRawArray);
    }
    if (type != ondemand::json_type::object) return malformed("json", "not an object or array");
    ondemand::object obj;
    if (auto err = doc.get_object().get(obj)) return malformed_json("json", err);
    return walk_root_object(obj);
  }

 private:
  ParseStatus walk_root_object(ondemand::object& obj) noexcept {
    // Binance writes "stream" first in combined messages and "e" first in raw events: one
    // look at the first key picks the path without scanning the message.
    for (auto field_result : obj) {
      ondemand::field field;
      if (auto err = std::move(field_result).get(field)) return malformed_json("json", err);
      const ondemand::raw_json_string key = field.key();
      if (key == "stream") return walk_data_field(obj);
      if (key == "data") return walk_payload(field.value());
      if (key == "e") {
        std::string_view type;
        if (auto err = field.value().get_string().get(type)) return malformed_json("e", err);
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
    if (err != simdjson::NO_SUCH_FIELD) return malformed_json("e", err);
    ondemand::value data;
    err = obj.find_field_unordered("data").get(data);
    if (!err) return walk_payload(data);
    if (err != simdjson::NO_SUCH_FIELD) return malformed_json("data", err);
    return ParseStatus::kIgnored;
  }

  ParseStatus walk_data_field(ondemand::object& obj) noexcept {
    ondemand::value data;
    if (auto err = obj.find_field_unordered("data").get(data)) return malformed_json("data", err);
    return walk_payload(data);
  }

  ParseStatus walk_payload(ondemand::value data) noexcept {
    ondemand::json_type type;
    if (auto err = data.type().get(type)) return malformed_json("data", err);
    if (type == ondemand::json_type::array) {
      ondemand::array arr;
      if (auto err = data.get_array().get(arr)) return malformed_json("data", err);
      return walk_array(arr, Scope::kDataArray);
    }
    if (type != ondemand::json_type::object) return malformed("data", "not an object or array");
    ondemand::object obj;
    if (auto err = data.get_object().get(obj)) return malformed_json("data", err);
    return walk_event_object(obj, Scope::kData);
  }

  // !markPrice@arr: one event per element; symbols we do not follow are skipped.
  ParseStatus walk_array(ondemand::array& arr, Scope scope) noexcept {
    std::size_t delivered = 0, unknown = 0;
    const char* element_name = scope == Scope::kRawArray ? "[]" : "data[]";
    for (auto element : arr) {
      ondemand::object obj;
      if (auto err = element.get_object().get(obj)) return malformed_json(element_name, err);
      switch (walk_event_object(obj, scope)) {
        case ParseStatus::kOk:
          ++delivered;
          break;
        case ParseStatus::kUnknownSymbol:
          ++unknown;
          break;
        case ParseStatus::kIgnored:
          break;
        case ParseStatus::kMalformed:
          return ParseStatus::kMalformed;
      }
    }
    if (delivered > 0) return ParseStatus::kOk;
    return unknown > 0 ? ParseStatus::kUnknownSymbol : ParseStatus::kIgnored;
  }

  ParseStatus walk_event_object(ondemand::object& obj, Scope scope) noexcept {
    scope_ = scope;
    std::string_view type;
    if (!read_string(obj, Field::kType, type)) return stop_;
    return walk_event(obj, type, scope);
  }

  ParseStatus walk_event(ondemand::object& obj, std::string_view type, Scope scope) noexcept {
    scope_ = scope;
    if (type == "markPriceUpdate") return read_mark_price(obj);
    if (type == "trade" || type == "aggTrade") return read_trade(obj);
    if (type == "bookTicker") return read_book_ticker(obj);
    if (type == "kline") return read_kline(obj);
    return ParseStatus::kIgnored;
  }

  // Fields are read in Binance's own key order so each lookup continues where the last
  // one stopped; another order still works, it only rescans.
  ParseStatus read_mark_price(ondemand::object& obj) noexcept {
    MarketEvent ev;
    ev.kind = MarketEventKind::kMarkPrice;
    const bool ok = read_int(obj, Field::kEventTime, ev.event_time) &&
                    read_symbol(obj, ev.symbol) && read_price(obj, Field::kPrice, ev.price) &&
                    read_funding_rate(obj, ev.funding_rate);
    return ok ? deliver(ev) : stop_;
  }

  ParseStatus read_trade(ondemand::object& obj) noexcept {
    MarketEvent ev;
    ev.kind = MarketEventKind::kTrade;
    const bool ok = read_int(obj, Field::kEventTime, ev.event_time) &&
                    read_symbol(obj, ev.symbol) && read_price(obj, Field::kPrice, ev.price);
    return ok ? deliver(ev) : stop_;
  }

  ParseStatus read_book_ticker(ondemand::object& obj) noexcept {
    MarketEvent ev;
    ev.kind = MarketEventKind::kBookTicker;
    const bool ok = read_symbol(obj, ev.symbol) && read_price(obj, Field::kBid, ev.bid) &&
                    read_price(obj, Field::kAsk, ev.ask) &&
                    read_book_ticker_time(obj, ev.event_time);
    return ok ? deliver(ev) : stop_;
  }

  // Older bookTicker payloads carry only the transaction time T.
  bool read_book_ticker_time(ondemand::object& obj, TimeMs& out) noexcept {
    auto err = obj.find_field_unordered(key_of(Field::kEventTime)).get_int64().get(out);
    if (err == simdjson::NO_SUCH_FIELD) return read_int(obj, Field::kTransactionTime, out);
    return !err || json_fail(Field::kEventTime, err);
  }

  ParseStatus read_kline(ondemand::object& obj) noexcept {
    MarketEvent ev;
    ev.kind = MarketEventKind::kKline;
    ondemand::object k;
    const bool ok = read_int(obj, Field::kEventTime, ev.event_time) &&
                    read_symbol(obj, ev.symbol) && read_object(obj, Field::kKline, k) &&
                    read_candle(k, ev.kline) && read_bool(k, Field::kKlineClosed, ev.kline_closed);
    ev.price = ev.kline.close;
    return ok ? deliver(ev) : stop_;
  }

  bool read_candle(ondemand::object& k, Candle& c) noexcept {
    std::string_view interval;
    if (!read_int(k, Field::kKlineOpenTime, c.open_time) ||
        !read_string(k, Field::kKlineInterval, interval)) {
      return false;
    }
    c.interval_ms = kline_interval_ms(interval).value_or(0);
    if (c.interval_ms == 0) return fail(Field::kKlineInterval, "not a kline interval");
    return read_price(k, Field::kKlineOpen, c.open) && read_price(k, Field::kKlineClose, c.close) &&
           read_price(k, Field::kKlineHigh, c.high) && read_price(k, Field::kKlineLow, c.low);
  }

  // Field readers: true to go on; false with stop_ (and the error) set.
  bool read_string(ondemand::object& obj, Field f, std::string_view& out) noexcept {
    auto err = obj.find_field_unordered(key_of(f)).get_string().get(out);
    return !err || json_fail(f, err);
  }

  bool read_int(ondemand::object& obj, Field f, std::int64_t& out) noexcept {
    auto err = obj.find_field_unordered(key_of(f)).get_int64().get(out);
    return !err || json_fail(f, err);
  }

  bool read_bool(ondemand::object& obj, Field f, bool& out) noexcept {
    auto err = obj.find_field_unordered(key_of(f)).get_bool().get(out);
    return !err || json_fail(f, err);
  }

  bool read_object(ondemand::object& obj, Field f, ondemand::object& out) noexcept {
    auto err = obj.find_field_unordered(key_of(f)).get_object().get(out);
    return !err || json_fail(f, err);
  }

  bool read_decimal(ondemand::object& obj, Field f, Decimal& out) noexcept {
    std::string_view text;
    if (!read_string(obj, f, text)) return false;
    return parse_decimal(text, out) == DecimalError::kOk || fail(f, "not a decimal number");
  }

  // A zero or negative price would poison every level derived from it.
  bool read_price(ondemand::object& obj, Field f, Price& out) noexcept {
    if (!read_decimal(obj, f, out)) return false;
    return out.is_positive() || fail(f, "not positive");
  }

  // Delivery contracts have no funding: Binance sends "r":"" for them.
  bool read_funding_rate(ondemand::object& obj, double& out) noexcept {
    std::string_view text;
    if (!read_string(obj, Field::kFundingRate, text)) return false;
    Decimal rate;
    if (!text.empty() && parse_decimal(text, rate) != DecimalError::kOk) {
      return fail(Field::kFundingRate, "not a decimal number");
    }
    out = rate.to_double();
    return true;
  }

  bool read_symbol(ondemand::object& obj, SymbolId& out) noexcept {
    std::string_view name;
    if (!read_string(obj, Field::kSymbol, name)) return false;
    SymbolTable& table = owner_.symbols_;
    std::optional<SymbolId> id = table.find(name);
    if (!id) {
      if (!owner_.intern_unknown_symbols_ || table.size() >= SymbolTable::kMaxSymbols) {
        stop_ = ParseStatus::kUnknownSymbol;
        return false;
      }
      id = intern_symbol(table, name);
      if (!id) return fail(Field::kSymbol, "not a symbol name");
    }
    out = *id;
    return true;
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

  // Both fail() forms return false so a reader can end with `return ok || fail(...)`.
  bool fail(const char* field, const char* reason) noexcept {
    owner_.error_ = {field, reason};
    stop_ = ParseStatus::kMalformed;
    return false;
  }
  bool fail(Field f, const char* reason) noexcept { return fail(name_of(f), reason); }
  bool json_fail(Field f, simdjson::error_code err) noexcept { return json_fail(name_of(f), err); }
  bool json_fail(const char* field, simdjson::error_code err) noexcept {
    owner_.json_error_ = err;
    switch (err) {
      case simdjson::NO_SUCH_FIELD:
        return fail(field, "missing");
      case simdjson::INCORRECT_TYPE:
        return fail(field, "wrong JSON type");
      case simdjson::NUMBER_ERROR:
      case simdjson::NUMBER_OUT_OF_RANGE:
        return fail(field, "not an integer");
      default:
        return fail(field, "invalid JSON");
    }
  }
  ParseStatus malformed(const char* field, const char* reason) noexcept {
    fail(field, reason);
    return stop_;
  }
  ParseStatus malformed_json(const char* field, simdjson::error_code err) noexcept {
    json_fail(field, err);
    return stop_;
  }
  const char* name_of(Field f) const noexcept {
    return kFieldNames[static_cast<std::size_t>(scope_)][static_cast<std::size_t>(f)];
  }

  BinanceMessageParser& owner_;
  MarketEventSink sink_;
  Scope scope_ = Scope::kRaw;  // of the event object being read: names its fields
  ParseStatus stop_ = ParseStatus::kMalformed;
};

BinanceMessageParser::BinanceMessageParser(SymbolTable& symbols, bool intern_unknown_symbols,
                                           std::size_t initial_capacity)
    : symbols_(symbols), intern_unknown_symbols_(intern_unknown_symbols) {
  // Sized now so the first messages of a session do not allocate; allocate() cannot throw.
  if (json_.allocate(initial_capacity) != simdjson::SUCCESS) {
    json_error_ = simdjson::MEMALLOC;
  }
  scratch_.reset(new (std::nothrow) char[padded_capacity(initial_capacity)]);
  scratch_size_ = scratch_ ? padded_capacity(initial_capacity) : 0;
}

bool BinanceMessageParser::copy_padded(const char* data, std::size_t len) noexcept {
  if (scratch_size_ < padded_capacity(len)) {
    std::unique_ptr<char[]> bigger(new (std::nothrow) char[padded_capacity(len)]);
    if (!bigger) return false;
    scratch_ = std::move(bigger);
    scratch_size_ = padded_capacity(len);
  }
  std::memcpy(scratch_.get(), data, len);
  std::memset(scratch_.get() + len, 0, kJsonPadding);
  return true;
}

ParseStatus BinanceMessageParser::parse(const char* data, std::size_t len, std::size_t capacity,
                                        MarketEventSink sink) noexcept {
  const ParseStatus status = parse_message(data, len, capacity, sink);
  switch (status) {
    case ParseStatus::kOk:
      ++stats_.ok;
      break;
    case ParseStatus::kIgnored:
      ++stats_.ignored;
      break;
    case ParseStatus::kUnknownSymbol:
      ++stats_.unknown_symbol;
      break;
    case ParseStatus::kMalformed:
      ++stats_.malformed;
      break;
  }
  return status;
}

ParseStatus BinanceMessageParser::parse_message(const char* data, std::size_t len,
                                                std::size_t capacity,
                                                MarketEventSink sink) noexcept {
  error_ = {};
  json_error_ = simdjson::SUCCESS;
  if (fast_paths_) {
    FastMarketEvent m;
    if (parse_market_fast({data, len}, m)) {
      if (const std::optional<SymbolId> id = symbols_.find(m.symbol)) {
        MarketEvent ev;
        ev.kind = m.kind;
        ev.event_time = m.event_time;
        ev.symbol = *id;
        ev.price = m.price;
        ev.bid = m.bid;
        ev.ask = m.ask;
        ev.funding_rate = m.funding_rate;
        ++stats_.events;
        sink(ev);
        return ParseStatus::kOk;
      }
      // A symbol the table lacks: the general path interns it or answers kUnknownSymbol.
    }
  }
  // simdjson 3.0.1 On-Demand takes the byte at data[len] for one more token when a malformed
  // message sends it looking past its last one (simdjson issue #1834): a ',', ']' or '}'
  // there reads as the message going on or closing ({"x":} followed by '}' was kIgnored,
  // followed by anything else kMalformed). The padding's content must not matter (a receive
  // buffer's holds the tail of the previous frame), so such a message is parsed from a copy
  // padded with zeros. Found by fuzz/fuzz_ws_frames.cpp.
  if (capacity > len && (data[len] == ',' || data[len] == ']' || data[len] == '}')) {
    if (!copy_padded(data, len)) {
      json_error_ = simdjson::MEMALLOC;
      error_ = {"json", "out of memory"};
      return ParseStatus::kMalformed;
    }
    data = scratch_.get();
    capacity = scratch_size_;
  }
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
