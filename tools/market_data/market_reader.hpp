#pragma once
// Recorded market data -> MarketEvents, for replay and backtest. Two kinds of file:
//  - websocket captures: one message per line, optionally after a receive timestamp
//    ("<ts> <json>" or "<ts>: <json>"), with URL / configuration header lines and REST
//    snapshot lines ("https://... -> ts: {...}") mixed in;
//  - kline CSVs: Binance public-data or "open_time_ms,open,high,low,close,..." headers, or
//    no header at all. Each candle is walked as a price path (see MarketFileReader).
// Plain or gzip, detected by zlib. Not the hot path: allocates and throws freely.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/events.hpp"
#include "core/symbol_table.hpp"

struct gzFile_s;

namespace exitbrain {

class BinanceMessageParser;

// Lines of a plain or gzip file, any length, without the "\n" or "\r\n".
class GzLineReader {
 public:
  // Throws InputError when the file cannot be opened.
  explicit GzLineReader(std::string path);
  ~GzLineReader();
  GzLineReader(const GzLineReader&) = delete;
  GzLineReader& operator=(const GzLineReader&) = delete;

  // The next line, or false at the end. The view lives until the next call; kJsonPadding
  // (simdjson) zero bytes follow it, so a JSON part of it can be parsed in place.
  // Throws InputError on a read error (a truncated gzip stream, say).
  bool next(std::string_view& line);

  // Readable bytes after `part`, a view into the current line (at least kJsonPadding).
  std::size_t padding_after(std::string_view part) const noexcept;
  std::size_t line_number() const noexcept { return line_number_; }  // 1-based, last line read
  const std::string& path() const noexcept { return path_; }

 private:
  void throw_if_read_error() const;

  std::string path_;
  gzFile_s* file_ = nullptr;
  std::vector<char> buffer_;
  std::size_t line_number_ = 0;
};

enum class CaptureLineKind : std::uint8_t {
  kBlank,
  kHeader,        // "wss://...", "ws://...", "configuration: {...}"
  kRestSnapshot,  // "https://... -> ts: {...}"
  kJson,          // a websocket message, `json` set
  kUnrecognized,
};
struct CaptureLine {
  CaptureLineKind kind = CaptureLineKind::kBlank;
  std::string_view json;  // the message, receive timestamp prefix removed
};
// What one line of a websocket capture holds.
CaptureLine classify_capture_line(std::string_view line) noexcept;

enum class MarketFileFormat : std::uint8_t { kWebsocketCapture, kKlineCsv };
const char* to_string(MarketFileFormat f) noexcept;

struct MarketReaderOptions {
  std::string symbol_override;  // kline CSV: use this symbol, not the one in the file name
  bool skip_bad_lines = false;  // count bad lines (and keep the first messages) instead of throwing
  bool intern_unknown_symbols = true;  // captures: add symbols the table lacks, else ignore them
};

struct MarketReaderStats {
  static constexpr std::size_t kKeptErrors = 10;
  std::uint64_t lines = 0;   // every line read
  std::uint64_t events = 0;  // events returned by next()
  std::uint64_t ignored =
      0;  // lines without an event: headers, REST snapshots, depth, unknown symbols
  std::uint64_t malformed = 0;            // bad lines skipped with skip_bad_lines
  std::vector<std::string> first_errors;  // "FILE:LINE: ..." for the first kKeptErrors bad lines
};

// One recorded file, events in file order.
//
// A kline CSV row becomes five events: the open at open_time, then the high and the low
// (up candle, close >= open) or the low and the high (down candle) at open_time +
// interval/3 and open_time + 2*interval/3, the close at open_time + interval - 1, all
// kSynthetic; then a kKline event (kline_closed, price = close) at open_time + interval - 1.
// The symbol is the override or the file name's first token ("NEARUSDT-1m-2026-02.csv");
// the interval the file name's interval token ("1m", "5m", "8h"), else the gap between the
// first two rows. Rows must have positive prices, low <= open, close <= high, and open
// times that do not overlap the previous candle.
class MarketFileReader {
 public:
  // Reads the first lines to tell the format. Throws InputError on an unreadable file,
  // an unknown format, or a CSV whose symbol or interval cannot be told.
  MarketFileReader(std::string path, SymbolTable& symbols, MarketReaderOptions options = {});
  ~MarketFileReader();
  MarketFileReader(const MarketFileReader&) = delete;
  MarketFileReader& operator=(const MarketFileReader&) = delete;

  // The next event; false at the end. A bad line throws InputError
  // ("FILE:LINE: field 'data.p': not a decimal number") unless skip_bad_lines.
  bool next(MarketEvent& out);

  MarketFileFormat format() const noexcept { return format_; }
  const std::string& path() const noexcept { return lines_.path(); }
  const MarketReaderStats& stats() const noexcept { return stats_; }
  // Kline CSV only (kNoSymbol / 0 for a capture).
  SymbolId symbol() const noexcept { return csv_symbol_; }
  std::int64_t interval_ms() const noexcept { return csv_interval_ms_; }

  // Column positions in a kline CSV row.
  struct KlineColumns {
    std::size_t open_time = 0, open = 1, high = 2, low = 3, close = 4;
    std::size_t count() const noexcept;  // fields a row needs
  };

 private:
  bool fill_queue();
  void read_capture_line(std::string_view line);
  void read_csv_line(std::string_view line);
  void detect_format();
  void set_up_csv(std::string_view first_line);
  bool parse_candle_row(std::string_view line, Candle& out);
  void accept_candle(const Candle& candle);
  void queue_candle_walk(const Candle& candle);
  void queue_synthetic(TimeMs time, Price price);
  // Throws, or counts the line and returns when skip_bad_lines.
  void bad_line(const std::string& what);
  std::string where() const;

  SymbolTable& symbols_;
  MarketReaderOptions options_;
  GzLineReader lines_;
  MarketFileFormat format_ = MarketFileFormat::kWebsocketCapture;
  MarketReaderStats stats_;
  std::vector<MarketEvent> queue_;
  std::size_t queue_head_ = 0;
  std::string_view pending_line_;  // the line read to detect the format, not yet processed
  bool has_pending_line_ = false;

  std::unique_ptr<BinanceMessageParser> parser_;  // captures

  KlineColumns columns_;  // kline CSV
  std::vector<std::string_view> fields_;
  SymbolId csv_symbol_ = kNoSymbol;
  std::int64_t csv_interval_ms_ = 0;
  TimeMs previous_open_time_ = 0;
  bool has_previous_candle_ = false;
  Candle first_candle_{};  // held back until the second row tells the interval
  bool holding_first_candle_ = false;
};

// Several recorded files replayed as one stream: events in event_time order, ties to the
// file added first, then file order (each file's own order is kept as it is).
class MarketMerger {
 public:
  // Files are numbered in the order they are added.
  MarketFileReader& add(std::unique_ptr<MarketFileReader> reader);
  MarketFileReader& add(std::string path, SymbolTable& symbols, MarketReaderOptions options = {});

  bool next(MarketEvent& out);
  // The file index of the event last returned by next().
  std::size_t last_file() const noexcept { return last_file_; }

  std::size_t size() const noexcept { return sources_.size(); }
  const MarketFileReader& reader(std::size_t file) const { return *sources_[file].reader; }

 private:
  struct Source {
    std::unique_ptr<MarketFileReader> reader;
    MarketEvent head{};
    bool has_head = false;
    bool started = false;
  };
  std::vector<Source> sources_;
  std::size_t last_file_ = 0;
};

}  // namespace exitbrain
