// exitbrain indicators: ATR (SMA and Wilder), ATR% and regime per closed candle, as CSV.
//
// Reads a kline CSV (Binance public dump `open_time,open,high,low,close,...`, with or
// without its header, or um-ohlcv `open_time_ms,open,high,low,close,volume`), folds its
// candles into --interval candles and runs the same core indicators the engine runs.
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
#include "core/symbol_table.hpp"
#include "tools/cli/commands.hpp"
#include "tools/market_data/market_reader.hpp"

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

// The candles of a kline CSV (any layout MarketFileReader knows, plain or gzip) and the
// file's own interval.
std::vector<Candle> read_klines(const std::string& file, std::int64_t& source_ms) {
  SymbolTable symbols;
  MarketFileReader reader(file, symbols);
  if (reader.format() != MarketFileFormat::kKlineCsv)
    throw InputError("--klines: '" + file + "' is not a kline CSV");
  std::vector<Candle> rows;
  MarketEvent ev;
  while (reader.next(ev))
    if (ev.kind == MarketEventKind::kKline) rows.push_back(ev.kline);
  source_ms = reader.interval_ms();
  return rows;
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

std::vector<Candle> aggregate(const std::vector<Candle>& rows, std::int64_t target_ms) {
  std::vector<Candle> out;
  out.reserve(rows.size());  // every emitted candle holds at least one input row
  CandleAggregator agg(target_ms);
  for (const Candle& c : rows) {
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
  std::int64_t source_ms = 0;
  const std::vector<Candle> rows = read_klines(o.klines, source_ms);
  if (target_ms % source_ms != 0) {
    throw InputError("--interval " + o.interval + ": not a multiple of the klines interval (" +
                     describe_interval(source_ms) + ") of '" + o.klines + "'");
  }
  write_indicators(aggregate(rows, target_ms), o.period, rp);
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
