#include "tools/market_data/market_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <filesystem>
#include <optional>

#include "core/interval.hpp"
#include "net/binance_message_parser.hpp"
#include "tools/common/input_error.hpp"

namespace exitbrain {

// ---------------------------------------------------------------- GzLineReader

namespace {
constexpr std::size_t kInitialLineBuffer = 64 * 1024;
constexpr unsigned kGzBufferBytes = 256 * 1024;
constexpr std::size_t kMinReadRoom = 4096;
}  // namespace

GzLineReader::GzLineReader(std::string path) : path_(std::move(path)) {
  errno = 0;
  file_ = gzopen(path_.c_str(), "rb");
  if (file_ == nullptr) {
    throw InputError(path_ + ": cannot open: " + (errno ? std::strerror(errno) : "out of memory"));
  }
  gzbuffer(file_, kGzBufferBytes);
  buffer_.resize(kInitialLineBuffer);
}

GzLineReader::~GzLineReader() {
  if (file_ != nullptr) gzclose(file_);
}

bool GzLineReader::next(std::string_view& line) {
  std::size_t len = 0;
  for (;;) {
    // gzgets stops at a newline or when the room is full: grow and go on for long lines.
    if (buffer_.size() < len + kMinReadRoom + kJsonPadding) {
      buffer_.resize(std::max(buffer_.size() * 2, len + kMinReadRoom + kJsonPadding));
    }
    const std::size_t room = std::min<std::size_t>(buffer_.size() - len - kJsonPadding, INT_MAX);
    char* dst = buffer_.data() + len;
    if (gzgets(file_, dst, static_cast<int>(room)) == nullptr) {
      throw_if_read_error();
      if (len == 0) return false;
      break;  // last line without a newline
    }
    const std::size_t got = std::strlen(dst);
    len += got;
    if (got > 0 && buffer_[len - 1] == '\n') break;
  }
  if (len > 0 && buffer_[len - 1] == '\n') --len;
  if (len > 0 && buffer_[len - 1] == '\r') --len;
  std::memset(buffer_.data() + len, 0, kJsonPadding);
  ++line_number_;
  line = std::string_view(buffer_.data(), len);
  return true;
}

std::size_t GzLineReader::padding_after(std::string_view part) const noexcept {
  const char* end = buffer_.data() + buffer_.size();
  return static_cast<std::size_t>(end - (part.data() + part.size()));
}

void GzLineReader::throw_if_read_error() const {
  int code = Z_OK;
  const char* message = gzerror(file_, &code);
  if (code != Z_OK) {
    throw InputError(path_ + ":" + std::to_string(line_number_ + 1) + ": read error: " + message);
  }
}

// ---------------------------------------------------------------- capture lines

namespace {

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
bool is_space(char c) noexcept {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (is_space(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool starts_with_json(std::string_view s) noexcept {
  return !s.empty() && (s.front() == '{' || s.front() == '[');
}

// "<digits[.digits]> " or "<digits[.digits]>: " before the message; npos when absent.
std::size_t timestamp_prefix_length(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == 0) return std::string_view::npos;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i < s.size() && s[i] == ':') ++i;
  const std::size_t digits_end = i;
  while (i < s.size() && is_space(s[i])) ++i;
  return i > digits_end ? i : std::string_view::npos;
}

}  // namespace

CaptureLine classify_capture_line(std::string_view line) noexcept {
  const std::string_view s = trim(line);
  if (s.empty()) return {CaptureLineKind::kBlank, {}};
  if (s.starts_with("wss://") || s.starts_with("ws://") || s.starts_with("configuration:")) {
    return {CaptureLineKind::kHeader, {}};
  }
  if (s.starts_with("https://") || s.starts_with("http://"))
    return {CaptureLineKind::kRestSnapshot, {}};
  if (starts_with_json(s)) return {CaptureLineKind::kJson, s};
  const std::size_t prefix = timestamp_prefix_length(s);
  if (prefix != std::string_view::npos && starts_with_json(s.substr(prefix))) {
    return {CaptureLineKind::kJson, s.substr(prefix)};
  }
  return {CaptureLineKind::kUnrecognized, {}};
}

const char* to_string(MarketFileFormat f) noexcept {
  return f == MarketFileFormat::kKlineCsv ? "kline_csv" : "websocket_capture";
}

// ---------------------------------------------------------------- kline CSV helpers

namespace {

void split_csv(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  for (;;) {
    const std::size_t comma = line.find(',');
    fields.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    line.remove_prefix(comma + 1);
  }
}

bool parse_int(std::string_view text, std::int64_t& out) noexcept {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "NEARUSDT-1m-2026-02.csv" -> {"NEARUSDT", "1m", "2026", "02"}.
std::vector<std::string> file_name_tokens(const std::string& path) {
  std::string stem = std::filesystem::path(path).filename().string();
  for (const char* ext : {".gz", ".csv"}) {
    if (stem.ends_with(ext)) stem.resize(stem.size() - std::strlen(ext));
  }
  std::vector<std::string> tokens;
  std::string token;
  for (char c : stem + '-') {
    if (c == '-' || c == '_' || c == '.') {
      if (!token.empty()) tokens.push_back(token);
      token.clear();
    } else {
      token += c;
    }
  }
  return tokens;
}

std::int64_t interval_from_file_name(const std::string& path) {
  for (const std::string& token : file_name_tokens(path)) {
    if (const auto ms = kline_interval_ms(token)) return *ms;
  }
  return 0;
}

// Binance spot archives switched to microseconds in 2025; a futures engine thinks in ms.
TimeMs to_milliseconds(std::int64_t stamp) noexcept {
  constexpr std::int64_t kMicrosecondsFrom = 100'000'000'000'000;  // year 5138 in ms
  return stamp >= kMicrosecondsFrom ? stamp / 1000 : stamp;
}

std::string text_of(Price p) {
  return to_string(p);
}

}  // namespace

std::size_t MarketFileReader::KlineColumns::count() const noexcept {
  return std::max({open_time, open, high, low, close}) + 1;
}

// ---------------------------------------------------------------- MarketFileReader

MarketFileReader::MarketFileReader(std::string path, SymbolTable& symbols,
                                   MarketReaderOptions options)
    : symbols_(symbols), options_(std::move(options)), lines_(std::move(path)) {
  detect_format();
}

MarketFileReader::~MarketFileReader() = default;

std::string MarketFileReader::where() const {
  return lines_.path() + ":" + std::to_string(lines_.line_number());
}

void MarketFileReader::bad_line(const std::string& what) {
  std::string message = where() + ": " + what;
  if (!options_.skip_bad_lines) throw InputError(message);
  ++stats_.malformed;
  if (stats_.first_errors.size() < MarketReaderStats::kKeptErrors) {
    stats_.first_errors.push_back(std::move(message));
  }
}

// The first non-blank line tells the format; it is kept to be read again by next().
void MarketFileReader::detect_format() {
  std::string_view line;
  while (lines_.next(line)) {
    ++stats_.lines;
    const CaptureLineKind kind = classify_capture_line(line).kind;
    if (kind == CaptureLineKind::kBlank) {
      ++stats_.ignored;
      continue;
    }
    pending_line_ = line;
    has_pending_line_ = true;
    if (kind == CaptureLineKind::kUnrecognized) {
      format_ = MarketFileFormat::kKlineCsv;
      set_up_csv(line);
    } else {
      format_ = MarketFileFormat::kWebsocketCapture;
      parser_ = std::make_unique<BinanceMessageParser>(symbols_, options_.intern_unknown_symbols);
    }
    return;
  }
  // An empty file is an empty capture: no events, nothing to complain about.
  parser_ = std::make_unique<BinanceMessageParser>(symbols_, options_.intern_unknown_symbols);
}

bool MarketFileReader::next(MarketEvent& out) {
  if (queue_head_ == queue_.size() && !fill_queue()) return false;
  out = queue_[queue_head_++];
  ++stats_.events;
  return true;
}

bool MarketFileReader::fill_queue() {
  queue_.clear();
  queue_head_ = 0;
  while (queue_.empty()) {
    std::string_view line;
    if (has_pending_line_) {
      line = pending_line_;
      has_pending_line_ = false;
    } else if (lines_.next(line)) {
      ++stats_.lines;
    } else {
      if (holding_first_candle_) {
        throw InputError(lines_.path() +
                         ": a single candle and no interval token (\"1m\", \"5m\", "
                         "...) in the file name: cannot tell the interval");
      }
      return false;
    }
    if (format_ == MarketFileFormat::kWebsocketCapture) {
      read_capture_line(line);
    } else {
      read_csv_line(line);
    }
  }
  return true;
}

void MarketFileReader::read_capture_line(std::string_view line) {
  const CaptureLine capture = classify_capture_line(line);
  if (capture.kind == CaptureLineKind::kUnrecognized) {
    bad_line("not a websocket message (expected '[<timestamp>[:] ]<json>')");
    return;
  }
  if (capture.kind != CaptureLineKind::kJson) {
    ++stats_.ignored;
    return;
  }
  const std::size_t capacity = capture.json.size() + lines_.padding_after(capture.json);
  const ParseStatus status = parser_->parse(capture.json.data(), capture.json.size(), capacity,
                                            [this](const MarketEvent& e) { queue_.push_back(e); });
  if (status == ParseStatus::kMalformed) {
    queue_.clear();  // an array message may have delivered part of itself
    const ParseError& error = parser_->last_error();
    bad_line(std::string("field '") + error.field + "': " + error.reason);
  } else if (status != ParseStatus::kOk) {
    ++stats_.ignored;
  }
}

namespace {

// Named columns, wherever they stand; nullopt when one of the five is missing.
std::optional<MarketFileReader::KlineColumns> columns_from_header(
    const std::vector<std::string_view>& names) {
  MarketFileReader::KlineColumns columns;
  std::size_t* slots[] = {&columns.open_time, &columns.open, &columns.high, &columns.low,
                          &columns.close};
  bool found[5] = {};
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string name = lower(names[i]);
    int slot = -1;
    if (name.starts_with("open_time") || name == "timestamp" || name == "time") slot = 0;
    if (name == "open") slot = 1;
    if (name == "high") slot = 2;
    if (name == "low") slot = 3;
    if (name == "close") slot = 4;
    if (slot >= 0 && !found[slot]) {
      *slots[slot] = i;
      found[slot] = true;
    }
  }
  if (!std::all_of(std::begin(found), std::end(found), [](bool f) { return f; })) return {};
  return columns;
}

// The file name's first token: "NEARUSDT-1m-2026-02.csv" -> "NEARUSDT".
std::string symbol_from_file_name(const std::string& path) {
  const auto tokens = file_name_tokens(path);
  return tokens.empty() ? std::string() : tokens.front();
}

}  // namespace

void MarketFileReader::set_up_csv(std::string_view first_line) {
  split_csv(first_line, fields_);
  std::int64_t first_value = 0;
  const bool has_header = !parse_int(fields_[0], first_value);
  if (has_header) {
    const auto columns = columns_from_header(fields_);
    if (!columns) {
      throw InputError(where() +
                       ": neither a websocket capture nor a kline CSV (expected a header "
                       "with open_time, open, high, low, close; got '" +
                       std::string(first_line.substr(0, 120)) + "')");
    }
    columns_ = *columns;
    has_pending_line_ = false;  // nothing to walk in a header
    ++stats_.ignored;
  }
  const std::string& path = lines_.path();
  const std::string symbol =
      options_.symbol_override.empty() ? symbol_from_file_name(path) : options_.symbol_override;
  const auto id = symbols_.intern(symbol);
  if (!id) {
    throw InputError(path + ": cannot tell the symbol from the file name ('" + symbol +
                     "'); give the symbol explicitly");
  }
  csv_symbol_ = *id;
  csv_interval_ms_ = interval_from_file_name(path);
}

void MarketFileReader::read_csv_line(std::string_view line) {
  if (trim(line).empty()) {
    ++stats_.ignored;
    return;
  }
  Candle candle;
  if (!parse_candle_row(line, candle)) return;
  accept_candle(candle);
}

// Walks candles; while the interval is unknown the first one waits for the second.
void MarketFileReader::accept_candle(const Candle& row) {
  Candle candle = row;
  if (csv_interval_ms_ == 0) {
    if (!holding_first_candle_) {
      first_candle_ = candle;
      holding_first_candle_ = true;
      previous_open_time_ = candle.open_time;
      has_previous_candle_ = true;
      return;
    }
    csv_interval_ms_ = candle.open_time - first_candle_.open_time;
    first_candle_.interval_ms = csv_interval_ms_;
  }
  if (holding_first_candle_) {
    holding_first_candle_ = false;
    queue_candle_walk(first_candle_);
  }
  candle.interval_ms = csv_interval_ms_;
  previous_open_time_ = candle.open_time;
  has_previous_candle_ = true;
  queue_candle_walk(candle);
}

bool MarketFileReader::parse_candle_row(std::string_view line, Candle& out) {
  split_csv(line, fields_);
  if (fields_.size() < columns_.count()) {
    bad_line("expected at least " + std::to_string(columns_.count()) + " columns, got " +
             std::to_string(fields_.size()));
    return false;
  }
  std::int64_t stamp = 0;
  if (!parse_int(fields_[columns_.open_time], stamp) || stamp < 0) {
    bad_line("column 'open_time': not a time in milliseconds");
    return false;
  }
  out.open_time = to_milliseconds(stamp);
  struct PriceColumn {
    const char* name;
    std::size_t index;
    Price* value;
  };
  const PriceColumn prices[] = {{"open", columns_.open, &out.open},
                                {"high", columns_.high, &out.high},
                                {"low", columns_.low, &out.low},
                                {"close", columns_.close, &out.close}};
  for (const PriceColumn& column : prices) {
    if (parse_decimal(fields_[column.index], *column.value) != DecimalError::kOk) {
      bad_line(std::string("column '") + column.name + "': not a decimal number");
      return false;
    }
    if (!column.value->is_positive()) {
      bad_line(std::string("column '") + column.name + "': not positive");
      return false;
    }
  }
  if (out.low > std::min(out.open, out.close)) {
    bad_line("column 'low': " + text_of(out.low) + " is above open or close");
    return false;
  }
  if (out.high < std::max(out.open, out.close)) {
    bad_line("column 'high': " + text_of(out.high) + " is below open or close");
    return false;
  }
  // The previous candle's walk runs to its close time: starting earlier would go back in time.
  // While the interval is still unknown only the order can be checked.
  const std::int64_t min_gap = csv_interval_ms_ > 0 ? csv_interval_ms_ : 1;
  if (has_previous_candle_ && out.open_time < previous_open_time_ + min_gap) {
    bad_line("column 'open_time': " + std::to_string(out.open_time) +
             " is not after the previous candle (opened " + std::to_string(previous_open_time_) +
             ")");
    return false;
  }
  return true;
}

void MarketFileReader::queue_candle_walk(const Candle& candle) {
  const bool up = candle.close >= candle.open;
  queue_synthetic(candle.open_time, candle.open);
  queue_synthetic(candle.open_time + candle.interval_ms / 3, up ? candle.high : candle.low);
  queue_synthetic(candle.open_time + candle.interval_ms * 2 / 3, up ? candle.low : candle.high);
  queue_synthetic(candle.close_time(), candle.close);
  MarketEvent closed;
  closed.kind = MarketEventKind::kKline;
  closed.event_time = candle.close_time();
  closed.symbol = csv_symbol_;
  closed.kline_closed = true;
  closed.kline = candle;
  closed.price = candle.close;
  queue_.push_back(closed);
}

void MarketFileReader::queue_synthetic(TimeMs time, Price price) {
  MarketEvent ev;
  ev.kind = MarketEventKind::kSynthetic;
  ev.event_time = time;
  ev.symbol = csv_symbol_;
  ev.price = price;
  queue_.push_back(ev);
}

// ---------------------------------------------------------------- MarketMerger

MarketFileReader& MarketMerger::add(std::unique_ptr<MarketFileReader> reader) {
  sources_.push_back(Source{std::move(reader)});
  return *sources_.back().reader;
}

MarketFileReader& MarketMerger::add(std::string path, SymbolTable& symbols,
                                    MarketReaderOptions options) {
  return add(std::make_unique<MarketFileReader>(std::move(path), symbols, std::move(options)));
}

bool MarketMerger::next(MarketEvent& out) {
  Source* earliest = nullptr;
  for (Source& source : sources_) {
    if (!source.started) {
      source.started = true;
      source.has_head = source.reader->next(source.head);
    }
    // Strictly earlier only: on a tie the file added first keeps its turn.
    if (source.has_head &&
        (earliest == nullptr || source.head.event_time < earliest->head.event_time)) {
      earliest = &source;
    }
  }
  if (earliest == nullptr) return false;
  out = earliest->head;
  last_file_ = static_cast<std::size_t>(earliest - sources_.data());
  earliest->has_head = earliest->reader->next(earliest->head);
  return true;
}

}  // namespace exitbrain
