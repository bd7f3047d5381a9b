// open_recorded_feed(): websocket captures replayed as FeedMessages, with derived marks for
// symbols whose capture has none. See market_feed.hpp for the rules.
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>
#include <limits>
#include <unordered_map>

#include "tools/market_data/market_reader.hpp"
#include "tools/sim/market_feed.hpp"

namespace exitbrain::sim {
namespace {

namespace od = simdjson::ondemand;

enum class Kind : std::uint8_t { kMark, kBookTicker, kAggTrade, kTrade, kKline };

std::optional<Kind> kind_of(std::string_view event_type) {
  if (event_type == "markPriceUpdate") return Kind::kMark;
  if (event_type == "bookTicker") return Kind::kBookTicker;
  if (event_type == "aggTrade") return Kind::kAggTrade;
  if (event_type == "trade") return Kind::kTrade;
  if (event_type == "kline") return Kind::kKline;
  return std::nullopt;
}

bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The receive timestamp before a message ("1680652700423575 ", "1617647797.5963788: "),
// in ms. A fraction means seconds; an integer is told by magnitude: ns, us, ms or s.
std::optional<TimeMs> receive_time_ms(std::string_view prefix) {
  prefix = trim(prefix);
  if (prefix.ends_with(':')) prefix.remove_suffix(1);
  const std::size_t dot = prefix.find('.');
  const std::string_view whole = prefix.substr(0, dot);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), value);
  if (ec != std::errc() || end != whole.data() + whole.size() || whole.empty() || value < 0) {
    return std::nullopt;
  }
  if (dot != std::string_view::npos) {  // seconds with a fraction
    if (value > std::numeric_limits<std::int64_t>::max() / 1000) return std::nullopt;
    const std::string_view fraction = prefix.substr(dot + 1);
    std::int64_t ms = 0;
    for (std::size_t i = 0; i < 3; ++i) {
      const char c = i < fraction.size() ? fraction[i] : '0';
      if (c < '0' || c > '9') return std::nullopt;
      ms = ms * 10 + (c - '0');
    }
    return value * 1000 + ms;
  }
  if (value >= 100'000'000'000'000'000) return value / 1'000'000;  // ns
  if (value >= 100'000'000'000'000) return value / 1000;           // us
  if (value >= 100'000'000'000) return value;                      // ms
  return value * 1000;                                             // s
}

TimeMs ceil_to_second(TimeMs t) noexcept {
  return t >= 0 ? (t + 999) / 1000 * 1000 : t / 1000 * 1000;
}

class RecordedFeed final : public MarketFeed {
 public:
  // Throws (InputError from GzLineReader) when a file cannot be opened or read.
  explicit RecordedFeed(const std::vector<std::string>& paths) {
    for (const std::string& path : paths) read_file(path);
    std::stable_sort(records_.begin(), records_.end(),
                     [](const Record& a, const Record& b) { return a.time < b.time; });
    set_up_derived_marks();
  }

  std::optional<FeedMessage> next() override {
    const TimeMs next_time =
        pos_ < records_.size() ? records_[pos_].time : std::numeric_limits<TimeMs>::max();
    Derived* due = nullptr;
    for (Derived& d : derived_) {
      if (is_due(d) && d.next_mark < next_time && (due == nullptr || d.next_mark < due->next_mark))
        due = &d;
    }
    if (due != nullptr) return derived_mark(*due);
    if (pos_ == records_.size()) return std::nullopt;

    const Record& r = records_[pos_++];
    const Symbol& symbol = symbols_[r.symbol];
    if (symbol.derived != kNoDerived) note_price(derived_[symbol.derived], r);
    FeedMessage m;
    m.time = r.time;
    m.symbol = symbol.name;
    m.stream = streams_[r.stream];
    m.payload.assign(arena_, r.offset, r.length);
    m.is_mark = r.kind == Kind::kMark;
    if (m.is_mark) m.mark = r.price;
    ++stats_.delivered;
    return m;
  }

  std::vector<std::string> symbols() const override {
    std::vector<std::string> out;
    for (const Symbol& s : symbols_) out.push_back(s.name);
    return out;
  }

  FeedStats stats() const override { return stats_; }

 private:
  static constexpr std::uint32_t kNoDerived = std::numeric_limits<std::uint32_t>::max();

  struct Record {
    TimeMs time = 0;
    std::size_t offset = 0;  // of the payload in arena_
    std::uint32_t length = 0;
    std::uint32_t symbol = 0;  // index in symbols_
    std::uint32_t stream = 0;  // index in streams_
    Kind kind = Kind::kMark;
    bool has_price = false;
    Price price{};  // mark (kMark), trade price, or bookTicker mid
  };
  struct Symbol {
    std::string name;  // upper case
    bool has_mark = false;
    bool has_price = false;
    TimeMs last_time = 0;  // of its last message
    std::uint32_t derived = kNoDerived;
  };
  // Derived-mark state of one symbol.
  struct Derived {
    std::uint32_t symbol = 0;
    std::string stream;
    TimeMs last_time = 0;  // no mark after the symbol's last message
    bool has_price = false;
    bool has_trade = false;  // once a trade is seen, book mids no longer set the price
    Price price{};
    TimeMs price_time = 0;  // of the last trade or book ticker
    TimeMs next_mark = 0;   // whole second of the next mark
  };

  // ------------------------------------------------------------ loading

  void read_file(const std::string& path) {
    GzLineReader lines(path);
    std::string_view line;
    while (lines.next(line)) {
      ++stats_.lines;
      where_ = &lines;
      read_line(line, lines);
    }
    where_ = nullptr;
  }

  void read_line(std::string_view line, const GzLineReader& lines) {
    const CaptureLine c = classify_capture_line(line);
    switch (c.kind) {
      case CaptureLineKind::kBlank:
      case CaptureLineKind::kHeader:
      case CaptureLineKind::kRestSnapshot:
        ++stats_.non_events;
        return;
      case CaptureLineKind::kUnrecognized:
        return malformed("not a websocket message");
      case CaptureLineKind::kJson:
        break;
    }
    received_ =
        receive_time_ms(line.substr(0, static_cast<std::size_t>(c.json.data() - line.data())));
    od::document doc;
    if (auto err =
            line_parser_
                .iterate(c.json.data(), c.json.size(), c.json.size() + lines.padding_after(c.json))
                .get(doc)) {
      return malformed_json(err);
    }
    od::json_type type;
    if (auto err = doc.type().get(type)) return malformed_json(err);
    if (type == od::json_type::array) {
      od::array arr;
      if (auto err = doc.get_array().get(arr)) return malformed_json(err);
      return read_array(arr, {});
    }
    if (type != od::json_type::object) return malformed("not a JSON object or array");
    od::object obj;
    if (auto err = doc.get_object().get(obj)) return malformed_json(err);
    std::string_view stream;
    auto err = obj.find_field_unordered("stream").get_string().get(stream);
    if (err == simdjson::NO_SUCH_FIELD) return read_payload(c.json, {}, false);
    if (err) return malformed_json(err);
    od::value data;
    if (auto e = obj.find_field_unordered("data").get(data)) return malformed_json(e);
    if (auto e = data.type().get(type)) return malformed_json(e);
    if (type == od::json_type::array) {
      od::array arr;
      if (auto e = data.get_array().get(arr)) return malformed_json(e);
      return read_array(arr, stream);
    }
    od::object payload;
    std::string_view raw;
    if (auto e = data.get_object().get(payload)) return malformed_json(e);
    if (auto e = payload.raw_json().get(raw)) return malformed_json(e);
    read_payload(trim(raw), stream, false);
  }

  void read_array(od::array& arr, std::string_view wrapper) {
    for (auto element : arr) {
      od::object obj;
      std::string_view raw;
      if (auto err = element.get_object().get(obj)) return malformed_json(err);
      if (auto err = obj.raw_json().get(raw)) return malformed_json(err);
      read_payload(trim(raw), wrapper, true);
    }
  }

  // One event object. wrapper: the combined stream name, empty for a raw message.
  void read_payload(std::string_view raw, std::string_view wrapper, bool in_array) {
    padded_.assign(raw);
    padded_.append(simdjson::SIMDJSON_PADDING, '\0');
    od::document doc;
    od::object obj;
    if (auto err = payload_parser_.iterate(padded_.data(), raw.size(), padded_.size()).get(doc))
      return malformed_json(err);
    if (auto err = doc.get_object().get(obj)) return malformed_json(err);

    std::string_view event_type;
    if (auto err = obj.find_field_unordered("e").get_string().get(event_type)) {
      if (err != simdjson::NO_SUCH_FIELD) return malformed_json(err, "e");
      ++stats_.non_events;  // REST snapshot, subscription reply, error
      return;
    }
    const std::optional<Kind> kind = kind_of(event_type);
    if (!kind) {
      ++stats_.skipped;
      ++stats_.skipped_by_type[std::string(event_type)];
      return;
    }

    Record r;
    r.kind = *kind;
    std::optional<TimeMs> time;
    if (!read_time(obj, "E", time)) return;
    const bool has_event_time = time.has_value();
    if (!time &&
        (r.kind == Kind::kBookTicker || r.kind == Kind::kTrade || r.kind == Kind::kAggTrade)) {
      if (!read_time(obj, "T", time)) return;
    }
    if (!time) time = received_;
    if (!time) return malformed("no event time (E, T) and no receive timestamp");
    r.time = *time;

    std::string_view s;
    if (auto err = obj.find_field_unordered("s").get_string().get(s))
      return malformed_json(err, "s");
    if (s.empty()) return malformed("field 's': empty");
    const std::string symbol_name = upper(s);

    std::string_view kline_interval;
    switch (r.kind) {
      case Kind::kMark:
      case Kind::kTrade:
      case Kind::kAggTrade:
        if (!read_price(obj, "p", r.price)) return;
        r.has_price = true;
        break;
      case Kind::kBookTicker: {
        Price bid, ask;
        if (!read_price(obj, "b", bid) || !read_price(obj, "a", ask)) return;
        r.has_price = bid.is_positive() && ask.is_positive();
        r.price = Decimal::from_units((bid.units() + ask.units()) / 2);
        break;
      }
      case Kind::kKline: {
        od::object k;
        if (auto err = obj.find_field_unordered("k").get_object().get(k))
          return malformed_json(err, "k");
        if (auto err = k.find_field_unordered("i").get_string().get(kline_interval))
          return malformed_json(err, "k.i");
        break;
      }
    }

    std::string stream;
    if (!wrapper.empty() && !in_array) {
      stream = wrapper;
    } else {
      stream = lower_symbol(symbol_name);
      switch (r.kind) {
        case Kind::kMark:
          // !markPrice@arr is the 3 s stream; a raw array or !markPrice@arr@1s, once a second.
          stream += in_array && !wrapper.empty() && !wrapper.ends_with("@1s") ? "@markPrice"
                                                                              : "@markPrice@1s";
          break;
        case Kind::kBookTicker:
          stream += "@bookTicker";
          break;
        case Kind::kAggTrade:
          stream += "@aggTrade";
          break;
        case Kind::kTrade:
          stream += "@trade";
          break;
        case Kind::kKline:
          stream += "@kline_";
          stream += kline_interval;
          break;
      }
    }

    r.symbol = intern_symbol(symbol_name);
    r.stream = intern_stream(stream);
    r.offset = arena_.size();
    if (has_event_time) {
      arena_ += raw;
    } else {
      add_event_time(raw, event_type, r.time);
    }
    r.length = static_cast<std::uint32_t>(arena_.size() - r.offset);
    Symbol& sym = symbols_[r.symbol];
    if (r.kind == Kind::kMark) sym.has_mark = true;
    if (r.kind != Kind::kMark && r.has_price) sym.has_price = true;
    sym.last_time = std::max(sym.last_time, r.time);
    records_.push_back(r);
    ++stats_.payloads;
  }

  // The payload with "E":<time> added after its "e" field (or first), so that every client
  // sees an event time (exitbrain's parser needs E, or T for a bookTicker).
  void add_event_time(std::string_view raw, std::string_view event_type, TimeMs time) {
    const std::string e_field = "{\"e\":\"" + std::string(event_type) + "\",";
    const std::size_t at = raw.starts_with(e_field) ? e_field.size() : 1;
    arena_.append(raw.substr(0, at));
    arena_ += "\"E\":";
    arena_ += std::to_string(time);
    arena_ += raw.size() > at && raw[at] != '}' ? "," : "";
    arena_.append(raw.substr(at));
  }

  // True to go on (time set, or left empty when the field is absent).
  bool read_time(od::object& obj, const char* field, std::optional<TimeMs>& out) {
    std::int64_t v = 0;
    auto err = obj.find_field_unordered(field).get_int64().get(v);
    if (err == simdjson::NO_SUCH_FIELD) return true;
    if (err) {
      malformed_json(err, field);
      return false;
    }
    out = v;
    return true;
  }

  bool read_price(od::object& obj, const char* field, Price& out) {
    std::string_view text;
    if (auto err = obj.find_field_unordered(field).get_string().get(text)) {
      malformed_json(err, field);
      return false;
    }
    if (parse_decimal(text, out) != DecimalError::kOk || out.is_negative()) {
      malformed(std::string("field '") + field + "': not a decimal price");
      return false;
    }
    return true;
  }

  std::uint32_t intern_symbol(const std::string& name) {
    auto [it, added] = symbol_index_.try_emplace(name, static_cast<std::uint32_t>(symbols_.size()));
    if (added) symbols_.push_back(Symbol{.name = name});
    return it->second;
  }
  std::uint32_t intern_stream(const std::string& stream) {
    auto [it, added] =
        stream_index_.try_emplace(stream, static_cast<std::uint32_t>(streams_.size()));
    if (added) streams_.push_back(stream);
    return it->second;
  }

  void malformed(const std::string& what) {
    ++stats_.malformed;
    if (stats_.first_errors.size() < FeedStats::kKeptErrors) {
      stats_.first_errors.push_back(where_ ? where_->path() + ":" +
                                                 std::to_string(where_->line_number()) + ": " + what
                                           : what);
    }
  }
  void malformed_json(simdjson::error_code err, const char* field = nullptr) {
    if (err == simdjson::NO_SUCH_FIELD && field) {
      return malformed(std::string("field '") + field + "': missing");
    }
    std::string what = field ? std::string("field '") + field + "': " : std::string();
    malformed(what + simdjson::error_message(err));
  }

  // ------------------------------------------------------------ derived marks

  void set_up_derived_marks() {
    for (std::uint32_t i = 0; i < symbols_.size(); ++i) {
      Symbol& s = symbols_[i];
      if (s.has_mark || !s.has_price) continue;
      s.derived = static_cast<std::uint32_t>(derived_.size());
      derived_.push_back(Derived{
          .symbol = i, .stream = lower_symbol(s.name) + "@markPrice@1s", .last_time = s.last_time});
      stats_.derived_mark_symbols.push_back(s.name);
    }
  }

  static bool is_due(const Derived& d) noexcept {
    return d.has_price && d.next_mark <= d.last_time &&
           d.next_mark - d.price_time <= kMaxDerivedMarkGapMs;
  }

  static void note_price(Derived& d, const Record& r) noexcept {
    if (!r.has_price) return;
    if (r.kind == Kind::kTrade || r.kind == Kind::kAggTrade) {
      d.price = r.price;
      d.has_trade = true;
    } else if (r.kind == Kind::kBookTicker && !d.has_trade) {
      d.price = r.price;
    } else if (r.kind != Kind::kBookTicker) {
      return;
    }
    d.next_mark =
        d.has_price ? std::max(d.next_mark, ceil_to_second(r.time)) : ceil_to_second(r.time);
    d.has_price = true;
    d.price_time = r.time;
  }

  FeedMessage derived_mark(Derived& d) {
    FeedMessage m;
    m.time = d.next_mark;
    m.symbol = symbols_[d.symbol].name;
    m.stream = d.stream;
    m.payload = mark_price_payload(m.symbol, m.time, d.price, d.price);
    m.is_mark = true;
    m.mark = d.price;
    d.next_mark += 1000;
    ++stats_.delivered;
    ++stats_.derived_marks;
    return m;
  }

  od::parser line_parser_;
  od::parser payload_parser_;
  std::string padded_;
  std::optional<TimeMs> received_;  // of the line being read
  const GzLineReader* where_ = nullptr;

  std::vector<Record> records_;
  std::string arena_;  // every kept payload, back to back
  std::vector<Symbol> symbols_;
  std::unordered_map<std::string, std::uint32_t> symbol_index_;
  std::vector<std::string> streams_;
  std::unordered_map<std::string, std::uint32_t> stream_index_;
  std::vector<Derived> derived_;
  std::size_t pos_ = 0;
  FeedStats stats_;
};

}  // namespace

std::unique_ptr<MarketFeed> open_recorded_feed(const std::vector<std::string>& paths,
                                               std::string* error) {
  if (paths.empty()) {
    if (error) *error = "no recorded market files given";
    return nullptr;
  }
  try {
    return std::make_unique<RecordedFeed>(paths);
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return nullptr;
  }
}

}  // namespace exitbrain::sim
