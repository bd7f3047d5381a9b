// exitbrain indicators: ATR (SMA and Wilder), ATR% and regime per closed candle, as CSV.
//
// Reads a kline CSV (Binance public dump `open_time,open,high,low,close,...`, with or
// without its header, or um-ohlcv `open_time_ms,open,high,low,close,volume`), folds its
// candles into --interval candles and runs the same core indicators the engine runs.
// The kline reader here is deliberately small and local; tools/market_reader.hpp will
// replace it.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/atr.hpp"
#include "core/candle.hpp"
#include "core/candle_aggregator.hpp"
#include "core/decimal.hpp"
#include "core/interval.hpp"
#include "core/regime.hpp"
#include "tools/commands.hpp"

namespace exitbrain::cli {
namespace {

struct IndicatorOptions {
  std::string klines;
  std::string interval = "5m";
  int period = 14;
  RegimeParams regime;
  // Exit thresholds not given keep the default hysteresis in proportion to the entry ones.
  bool has_trending_exit_er = false;
  bool has_volatile_exit_atr_pct = false;
};

// ---- reading klines ---------------------------------------------------------------

struct KlineColumns {
  std::array<std::size_t, 5> index{0, 1, 2, 3, 4};  // open_time, open, high, low, close
  std::array<std::string, 5> name{"open_time", "open", "high", "low", "close"};
  bool has_header = true;
};

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma - start));
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

bool parse_int(std::string_view text, std::int64_t& out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

std::string where(const std::string& file, std::size_t line) {
  return file + ":" + std::to_string(line);
}

// A first line starting with a number is data: older Binance dumps have no header.
KlineColumns find_columns(std::string_view first_line, const std::string& file) {
  KlineColumns cols;
  const auto fields = split_fields(first_line);
  std::int64_t ignored = 0;
  if (!fields.empty() && parse_int(fields[0], ignored)) {
    cols.has_header = false;
    return cols;
  }
  const std::array<std::array<std::string_view, 2>, 5> accepted{{{"open_time", "open_time_ms"},
                                                                 {"open", "open"},
                                                                 {"high", "high"},
                                                                 {"low", "low"},
                                                                 {"close", "close"}}};
  for (std::size_t c = 0; c < accepted.size(); ++c) {
    const auto it = std::find_if(fields.begin(), fields.end(), [&](std::string_view f) {
      return f == accepted[c][0] || f == accepted[c][1];
    });
    if (it == fields.end()) {
      throw InputError(where(file, 1) + ": no column '" + std::string(accepted[c][0]) +
                       "' in the header");
    }
    cols.index[c] = static_cast<std::size_t>(it - fields.begin());
    cols.name[c] = std::string(*it);
  }
  return cols;
}

Price parse_price(std::string_view text, const std::string& column, const std::string& at) {
  Price p;
  if (parse_decimal(text, p) != DecimalError::kOk) {
    throw InputError(at + ": column '" + column + "': not a decimal number");
  }
  return p;
}

// Binance switched its public spot dumps to microseconds in 2025; milliseconds for
// any date before the year 5138 stay below 1e14.
TimeMs to_millis(std::int64_t t) {
  return t >= 100'000'000'000'000 ? t / 1000 : t;
}

void check_ohlc(const Candle& c, const std::string& at) {
  if (c.low.is_negative()) throw InputError(at + ": column 'low': negative price");
  if (c.high < c.low) throw InputError(at + ": high is below low");
  if (c.open < c.low || c.open > c.high) throw InputError(at + ": open is outside [low, high]");
  if (c.close < c.low || c.close > c.high) {
    throw InputError(at + ": close is outside [low, high]");
  }
}

Candle parse_kline(std::string_view line, std::size_t line_no, const KlineColumns& cols,
                   const std::string& file) {
  const std::string at = where(file, line_no);
  const auto fields = split_fields(line);
  const std::size_t needed = *std::max_element(cols.index.begin(), cols.index.end()) + 1;
  if (fields.size() < needed) {
    throw InputError(at + ": expected at least " + std::to_string(needed) + " columns, found " +
                     std::to_string(fields.size()));
  }
  std::int64_t t = 0;
  if (!parse_int(fields[cols.index[0]], t)) {
    throw InputError(at + ": column '" + cols.name[0] + "': not an integer");
  }
  Candle c;
  c.open_time = to_millis(t);
  c.open = parse_price(fields[cols.index[1]], cols.name[1], at);
  c.high = parse_price(fields[cols.index[2]], cols.name[2], at);
  c.low = parse_price(fields[cols.index[3]], cols.name[3], at);
  c.close = parse_price(fields[cols.index[4]], cols.name[4], at);
  check_ohlc(c, at);
  return c;
}

std::vector<Candle> read_klines(const std::string& file) {
  if (file.size() > 3 && file.compare(file.size() - 3, 3, ".gz") == 0) {
    throw InputError(file + ": compressed klines are not supported yet; gunzip the file first");
  }
  std::ifstream in(file);
  if (!in) throw InputError("cannot open klines file '" + file + "'");
  std::vector<Candle> rows;
  KlineColumns cols;
  std::string line;
  for (std::size_t line_no = 1; std::getline(in, line); ++line_no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line_no == 1) {
      cols = find_columns(line, file);
      if (cols.has_header) continue;
    }
    rows.push_back(parse_kline(line, line_no, cols, file));
    if (rows.size() > 1 && rows.back().open_time <= rows[rows.size() - 2].open_time) {
      throw InputError(where(file, line_no) + ": column '" + cols.name[0] +
                       "': not after the previous row");
    }
  }
  return rows;
}

// The file's own interval: the smallest step between rows (gaps only make steps longer).
// A single row cannot tell; it is then taken to be one candle of the target interval.
std::int64_t infer_interval(const std::vector<Candle>& rows, std::int64_t fallback) {
  std::int64_t step = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const std::int64_t d = rows[i].open_time - rows[i - 1].open_time;
    step = step == 0 ? d : std::min(step, d);
  }
  return step > 0 ? step : fallback;
}

std::string describe_interval(std::int64_t ms) {
  constexpr std::array<std::pair<std::int64_t, char>, 3> units{
      {{86'400'000, 'd'}, {3'600'000, 'h'}, {60'000, 'm'}}};
  for (const auto& [unit, suffix] : units) {
    if (ms % unit == 0) return std::to_string(ms / unit) + suffix;
  }
  return std::to_string(ms) + " ms";
}

// ---- options ----------------------------------------------------------------------

std::int64_t checked_interval(const IndicatorOptions& o) {
  const auto ms = parse_interval_ms(o.interval);
  if (!ms) {
    throw InputError("--interval: unknown interval '" + o.interval +
                     "' (expected 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h or 1d)");
  }
  return *ms;
}

void check_period(const char* option, int value, int max) {
  if (value < 1 || value > max) {
    throw InputError(std::string(option) + ": must be between 1 and " + std::to_string(max) +
                     ", got " + std::to_string(value));
  }
}

void check_fraction(const char* option, double value, bool zero_ok = false) {
  if (!((value > 0.0 || (zero_ok && value == 0.0)) && value <= 1.0)) {
    throw InputError(std::string(option) + ": must be in " + (zero_ok ? "[0" : "(0") +
                     ", 1], got " + std::to_string(value));
  }
}

RegimeParams checked_regime(const IndicatorOptions& o) {
  check_period("--er-period", o.regime.er_period, kMaxErPeriod);
  check_fraction("--trending-er", o.regime.trending_er);
  check_fraction("--volatile-atr-pct", o.regime.volatile_atr_pct);
  const RegimeParams def;
  RegimeParams p = o.regime;
  if (o.has_trending_exit_er) {
    check_fraction("--trending-exit-er", p.trending_exit_er, true);
  } else {
    p.trending_exit_er = p.trending_er * (def.trending_exit_er / def.trending_er);
  }
  if (o.has_volatile_exit_atr_pct) {
    check_fraction("--volatile-exit-atr-pct", p.volatile_exit_atr_pct, true);
  } else {
    p.volatile_exit_atr_pct =
        p.volatile_atr_pct * (def.volatile_exit_atr_pct / def.volatile_atr_pct);
  }
  return p;  // an exit threshold above its entry one is clamped by the classifier
}

// ---- output -----------------------------------------------------------------------

class CsvOut {
 public:
  ~CsvOut() { flush(); }
  CsvOut& text(std::string_view s) {
    buf_.append(s);
    return *this;
  }
  CsvOut& num(std::int64_t v) { return put(v); }
  // Shortest text that reads back to the same double: deterministic across runs and libcs.
  CsvOut& num(double v) { return put(v); }
  CsvOut& price(Decimal d) {
    char tmp[kMaxDecimalChars];
    return text(std::string_view(tmp, format_decimal(d, tmp)));
  }
  void end_row() {
    buf_.push_back('\n');
    if (buf_.size() >= kFlushBytes) flush();
  }
  void flush() {
    std::fwrite(buf_.data(), 1, buf_.size(), stdout);
    buf_.clear();
  }

 private:
  static constexpr std::size_t kFlushBytes = 1 << 16;
  template <class T>
  CsvOut& put(T v) {
    char tmp[32];
    const auto res = std::to_chars(tmp, tmp + sizeof tmp, v);
    return text(std::string_view(tmp, static_cast<std::size_t>(res.ptr - tmp)));
  }
  std::string buf_;
};

std::vector<Candle> aggregate(const std::vector<Candle>& rows, std::int64_t source_ms,
                              std::int64_t target_ms) {
  std::vector<Candle> out;
  out.reserve(rows.size());  // every emitted candle holds at least one input row
  CandleAggregator agg(target_ms);
  for (Candle c : rows) {
    c.interval_ms = source_ms;
    agg.on_candle(c, [&out](const Candle& closed) { out.push_back(closed); });
  }
  return out;  // a bucket still open at the end of the file has not closed: not reported
}

void require_ok(IndicatorError e, const Candle& c) {
  if (e != IndicatorError::kOk) {
    throw InputError("candle at " + std::to_string(c.open_time) + ": " + to_string(e));
  }
}

void write_indicators(const std::vector<Candle>& candles, int period, const RegimeParams& rp) {
  Atr sma(period, AtrMethod::kSma);
  Atr wilder(period, AtrMethod::kWilder);
  RegimeClassifier regime(rp);
  CsvOut out;
  out.text("open_time,close,atr_sma,atr_wilder,atr_pct,regime\n");
  for (const Candle& c : candles) {
    const double h = c.high.to_double(), l = c.low.to_double(), cl = c.close.to_double();
    require_ok(sma.update(h, l, cl), c);
    require_ok(wilder.update(h, l, cl), c);
    require_ok(regime.update(cl, sma.value(), sma.ready()), c);
    out.num(c.open_time).text(",").price(c.close).text(",");
    if (sma.ready()) out.num(sma.value());
    out.text(",");
    if (wilder.ready()) out.num(wilder.value());
    out.text(",");
    if (sma.ready()) out.num(sma.value() / cl);
    out.text(",").text(to_string(regime.regime()));
    out.end_row();
  }
}

void run_indicators(const IndicatorOptions& o) {
  const std::int64_t target_ms = checked_interval(o);
  check_period("--period", o.period, kMaxAtrPeriod);
  const RegimeParams rp = checked_regime(o);
  const std::vector<Candle> rows = read_klines(o.klines);
  const std::int64_t source_ms = infer_interval(rows, target_ms);
  if (target_ms % source_ms != 0) {
    throw InputError("--interval " + o.interval + ": not a multiple of the klines interval (" +
                     describe_interval(source_ms) + ") of '" + o.klines + "'");
  }
  write_indicators(aggregate(rows, source_ms, target_ms), o.period, rp);
}

}  // namespace

void add_indicators_command(CLI::App& root, int& exit_code) {
  auto opts = std::make_shared<IndicatorOptions>();
  CLI::App* cmd = root.add_subcommand(
      "indicators", "ATR (SMA, Wilder), ATR% and regime per closed candle, as CSV on stdout");
  cmd->add_option("--klines", opts->klines, "kline CSV (open_time,open,high,low,close,...)")
      ->required();
  cmd->add_option("--interval", opts->interval, "candle interval to aggregate to")
      ->capture_default_str();
  cmd->add_option("--period", opts->period, "ATR period in candles")->capture_default_str();
  cmd->add_option("--er-period", opts->regime.er_period, "efficiency-ratio window in candles")
      ->capture_default_str();
  cmd->add_option("--trending-er", opts->regime.trending_er,
                  "ER at or above which the market is TRENDING")
      ->capture_default_str();
  cmd->add_option("--trending-exit-er", opts->regime.trending_exit_er,
                  "ER below which TRENDING is left (default: 0.875 x --trending-er)");
  cmd->add_option("--volatile-atr-pct", opts->regime.volatile_atr_pct,
                  "ATR/close at or above which the market is VOLATILE")
      ->capture_default_str();
  cmd->add_option("--volatile-exit-atr-pct", opts->regime.volatile_exit_atr_pct,
                  "ATR/close below which VOLATILE is left (default: 0.8 x --volatile-atr-pct)");
  cmd->callback([opts, cmd, &exit_code] {
    opts->has_trending_exit_er = cmd->count("--trending-exit-er") > 0;
    opts->has_volatile_exit_atr_pct = cmd->count("--volatile-exit-atr-pct") > 0;
    run_indicators(*opts);
    exit_code = 0;
  });
}

}  // namespace exitbrain::cli
