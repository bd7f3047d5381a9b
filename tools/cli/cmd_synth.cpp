// exitbrain synth: seeded synthetic market data (and matching positions) for the demo
// and tests. A random walk with volatility regimes and jumps, written as Binance
// markPrice@1s combined-stream messages with a receive-timestamp prefix.
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/decimal.hpp"
#include "core/symbol_table.hpp"
#include "tools/cli/commands.hpp"
#include "tools/market_data/synthetic_walk.hpp"

namespace exitbrain::cli {
namespace {

struct SynthOptions {
  std::uint64_t seed = 42;
  std::string symbol = "SYNTHUSDT";
  std::int64_t start_ms = 1'771'000'000'000;  // 2026-02-13
  double hours = 12;
  double price = 100.0;
  std::string tick = "0.01";
  std::string out;
  std::string positions_out;
  int positions = 8;
};

// Writes plain text, or gzip when the name ends in ".gz".
class TextSink {
 public:
  explicit TextSink(const std::string& path) {
    if (path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0) {
      gz_ = gzopen(path.c_str(), "wb6");
      if (!gz_) throw InputError("--out: cannot write " + path);
    } else {
      plain_.open(path);
      if (!plain_) throw InputError("--out: cannot write " + path);
    }
  }
  ~TextSink() {
    if (gz_) gzclose(gz_);
  }
  void write(const std::string& s) {
    if (gz_)
      gzwrite(gz_, s.data(), static_cast<unsigned>(s.size()));
    else
      plain_ << s;
  }

 private:
  gzFile gz_ = nullptr;
  std::ofstream plain_;
};

int run_synth(const SynthOptions& o) {
  if (o.hours <= 0 || o.hours > 24 * 31) throw InputError("--hours: must be in (0, 744]");
  if (!(o.price > 0)) throw InputError("--price: must be positive");
  if (o.positions < 0 || o.positions > 10'000)
    throw InputError("--positions: must be in [0, 10000]");
  Decimal tick;
  if (parse_decimal(o.tick, tick) != DecimalError::kOk || !tick.is_positive())
    throw InputError("--tick: must be a positive decimal such as 0.01");
  SymbolTable symbols;
  if (!symbols.intern(o.symbol)) throw InputError("--symbol: not a valid symbol name");
  std::string lower = std::string(symbols.name(0));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string upper(symbols.name(0));

  SyntheticWalk walk(o.seed, o.price);
  TextSink out(o.out);
  const auto seconds = static_cast<std::int64_t>(o.hours * 3600);
  // Positions open at seeded moments in the first two thirds, alternating sides.
  std::vector<std::int64_t> open_at;
  SplitMix64 pick(o.seed ^ 0x5eed);
  for (int i = 0; i < o.positions; ++i)
    open_at.push_back(
        o.start_ms +
        1000 * static_cast<std::int64_t>(pick.uniform() * static_cast<double>(seconds) * 2 / 3));
  std::vector<std::string> position_lines(open_at.size());

  char buf[kMaxDecimalChars];
  for (std::int64_t s = 0; s < seconds; ++s) {
    const std::int64_t t = o.start_ms + s * 1000;
    const Price mark = Decimal::from_double(walk.step()).value_or(tick).floor_to(tick);
    const std::string p(buf, format_decimal(mark.is_positive() ? mark : tick, buf));
    // The receive stamp trails the event time by a few ms, like a real capture.
    out.write(std::to_string(t * 1000 + 3000 + static_cast<std::int64_t>(s % 7) * 100) +
              " {\"stream\":\"" + lower +
              "@markPrice@1s\",\"data\":{\"e\":\"markPriceUpdate\",\"E\":" + std::to_string(t) +
              ",\"s\":\"" + upper + "\",\"p\":\"" + p + "\",\"i\":\"" + p + "\",\"P\":\"" + p +
              "\",\"r\":\"0.00010000\",\"T\":" + std::to_string((t / 28'800'000 + 1) * 28'800'000) +
              "}}\n");
    for (std::size_t i = 0; i < open_at.size(); ++i) {
      if (open_at[i] != t) continue;
      const bool is_long = i % 2 == 0;
      position_lines[i] = "{\"id\":\"s" + std::to_string(i + 1) + "\",\"symbol\":\"" + upper +
                          "\",\"side\":\"" + (is_long ? "LONG" : "SHORT") +
                          "\",\"qty\":" + std::to_string(10 * (i % 4 + 1)) +
                          ",\"entry_price\":" + p + ",\"opened_at\":" + std::to_string(t) + "}\n";
    }
  }
  if (!o.positions_out.empty()) {
    std::ofstream pos(o.positions_out);
    if (!pos) throw InputError("--positions-out: cannot write " + o.positions_out);
    for (const std::string& line : position_lines) pos << line;
  }
  std::printf("wrote %lld markPrice@1s messages for %s to %s", static_cast<long long>(seconds),
              upper.c_str(), o.out.c_str());
  if (!o.positions_out.empty())
    std::printf(" and %d positions to %s", o.positions, o.positions_out.c_str());
  std::printf("\n");
  return 0;
}

}  // namespace

void add_synth_command(CLI::App& root, int& exit_code) {
  auto o = std::make_shared<SynthOptions>();
  CLI::App* cmd = root.add_subcommand(
      "synth",
      "Write seeded synthetic markPrice@1s data (random walk with volatility regimes and jumps)");
  cmd->add_option("--out", o->out, "output file (.gz for gzip)")->required();
  cmd->add_option("--seed", o->seed, "random seed (same seed, same bytes)");
  cmd->add_option("--symbol", o->symbol, "symbol name");
  cmd->add_option("--start-ms", o->start_ms, "event time of the first message (ms since epoch)");
  cmd->add_option("--hours", o->hours, "length of the data");
  cmd->add_option("--price", o->price, "starting price");
  cmd->add_option("--tick", o->tick, "price tick size");
  cmd->add_option("--positions-out", o->positions_out, "also write positions opened on this data");
  cmd->add_option("--positions", o->positions, "how many positions to write");
  cmd->callback([o, &exit_code] { exit_code = run_synth(*o); });
}

}  // namespace exitbrain::cli
