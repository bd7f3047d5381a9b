// `exitbrain replay` end to end: determinism, the money-safety invariants over synthetic
// and real recorded data, and errors that name the file, line and field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/symbol_table.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/replay_check.hpp"
#include "tests/support/run_command.hpp"
#include "tools/market_data/market_reader.hpp"

namespace exitbrain {
namespace {

namespace fs = std::filesystem;
using testing::check_invariants;
using testing::PositionSpec;
using testing::run_replay;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("exitbrain-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string file(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name) << content;
    return file(name);
  }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::string exitbrain() {
  return (testing::bin_dir() / "exitbrain").string();
}

std::map<std::string, PositionSpec> read_specs(const std::string& positions_file) {
  std::map<std::string, PositionSpec> out;
  std::ifstream in(positions_file);
  std::string line;
  auto field = [](const std::string& l, const std::string& key) {
    const auto k = l.find("\"" + key + "\":");
    auto v = l.substr(k + key.size() + 3);
    if (v[0] == '"') return v.substr(1, v.find('"', 1) - 1);
    return v.substr(0, v.find_first_of(",}"));
  };
  while (std::getline(in, line))
    if (!line.empty())
      out[field(line, "id")] =
          PositionSpec{field(line, "side"), field(line, "qty"), field(line, "entry_price")};
  return out;
}

TEST(Replay, SyntheticRunIsDeterministicAndSafe) {
  TempDir dir;
  const std::string market = dir.file("synth.gz"), positions = dir.file("pos.jsonl");
  auto gen = testing::run_command(exitbrain() + " synth --seed 7 --hours 8 --out " + market +
                                  " --positions-out " + positions + " --positions 12");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  const auto a = run_replay({market}, positions);
  const auto b = run_replay({market}, positions);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_EQ(a.decisions, b.decisions) << "same inputs must give byte-identical output";
  const auto rep = check_invariants(a.decisions, read_specs(positions));
  for (const auto& v : rep.violations) ADD_FAILURE() << v;
  EXPECT_EQ(rep.positions, 12);
  EXPECT_GT(rep.exits, 12);
  EXPECT_GT(rep.stop_moves, 0);
  // The JSON lines on stdout are the same bytes as in --out.
  auto stdout_run =
      testing::run_command(exitbrain() + " replay --market " + market + " --positions " + positions,
                           /*merge_stderr=*/false);
  EXPECT_EQ(stdout_run.output, a.decisions);
}

TEST(Replay, SameDecisionsWhateverTheFileOrder) {
  TempDir dir;
  const std::string m1 = dir.file("a.gz"), m2 = dir.file("b.gz"), positions = dir.file("pos.jsonl");
  ASSERT_EQ(testing::run_command(exitbrain() + " synth --seed 1 --hours 3 --symbol AAAUSDT --out " +
                                 m1 + " --positions-out " + dir.file("p1") + " --positions 3")
                .exit_code,
            0);
  ASSERT_EQ(testing::run_command(exitbrain() + " synth --seed 2 --hours 3 --symbol BBBUSDT --out " +
                                 m2 + " --positions-out " + dir.file("p2") + " --positions 3")
                .exit_code,
            0);
  // Ids are s1..s3 in both: rename the second set.
  std::ifstream p1(dir.file("p1")), p2(dir.file("p2"));
  std::ofstream all(positions);
  all << p1.rdbuf();
  std::string line;
  while (std::getline(p2, line))
    all << "{\"id\":\"b" << line.substr(line.find("\"id\":\"") + 7) << "\n";
  all.close();
  const auto ab = run_replay({m1, m2}, positions);
  const auto ba = run_replay({m2, m1}, positions);
  ASSERT_EQ(ab.exit_code, 0) << ab.output;
  // Events stamped with the same time on two symbols come in file order, so lines of
  // different positions may interleave differently; each position's own decisions not.
  auto sorted_lines = [](const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::stable_sort(lines.begin(), lines.end());
    return lines;
  };
  EXPECT_EQ(sorted_lines(ab.decisions), sorted_lines(ba.decisions));
  const auto rep = check_invariants(ab.decisions, read_specs(positions));
  for (const auto& v : rep.violations) ADD_FAILURE() << v;
  EXPECT_EQ(rep.positions, 6);
}

// ---- real recorded data --------------------------------------------------------------

struct SymbolSeen {
  std::vector<std::pair<TimeMs, Price>> prices;  // a price every ~10 s
  bool mark = false, trade = false, book = false, kline = false;
};

std::map<std::string, SymbolSeen> scan(const std::string& path) {
  SymbolTable symbols;
  MarketFileReader reader(path, symbols);
  std::map<std::string, SymbolSeen> out;
  MarketEvent ev;
  while (reader.next(ev)) {
    SymbolSeen& s = out[std::string(symbols.name(ev.symbol))];
    s.mark |= ev.kind == MarketEventKind::kMarkPrice;
    s.trade |= ev.kind == MarketEventKind::kTrade;
    s.book |= ev.kind == MarketEventKind::kBookTicker;
    s.kline |= ev.kind == MarketEventKind::kKline || ev.kind == MarketEventKind::kSynthetic;
    const Price p = ev.kind == MarketEventKind::kBookTicker ? ev.bid : ev.price;
    if (p.is_positive() && (s.prices.empty() || ev.event_time >= s.prices.back().first + 10'000))
      s.prices.emplace_back(ev.event_time, p);
  }
  return out;
}

const char* kRealDataConfig = R"(
[profile.MARK1M]
atr_interval = "1m"
atr_period = 3
trail_offset = 0.0005
harvest_trigger = 0.0005
[profile.LAST1M]
base = "MARK1M"
trigger_source = "last"
[profile.MID1M]
base = "MARK1M"
trigger_source = "mid"
time_stop_sec = 180
)";

// Positions across each symbol's data: both sides, ATR levels and explicit levels.
std::string positions_for(const std::map<std::string, SymbolSeen>& seen, bool klines) {
  std::string out;
  int n = 0;
  for (const auto& [symbol, s] : seen) {
    if (s.prices.size() < 2) continue;
    const std::string profile = klines    ? "CHALLENGE_100"
                                : s.mark  ? "MARK1M"
                                : s.trade ? "LAST1M"
                                          : "MID1M";
    const std::size_t stride = std::max<std::size_t>(1, s.prices.size() / 6);
    for (std::size_t i = 0; i + 1 < s.prices.size(); i += stride) {
      const auto [t, p] = s.prices[i];
      const double e = p.to_double();
      for (const char* side : {"LONG", "SHORT"}) {
        const bool is_long = side[0] == 'L';
        ++n;
        out += "{\"id\":\"r" + std::to_string(n) + "\",\"symbol\":\"" + symbol + "\",\"side\":\"" +
               side + "\",\"qty\":" + (n % 3 ? "1000" : "2") + ",\"entry_price\":" + to_string(p) +
               ",\"opened_at\":" + std::to_string(t) + ",\"profile\":\"" + profile + "\"";
        if (n % 4 == 0) {
          const auto sl = Decimal::from_double(e * (is_long ? 0.997 : 1.003))
                              ->floor_to(Decimal::from_units(1000));
          const auto tp = Decimal::from_double(e * (is_long ? 1.002 : 0.998))
                              ->floor_to(Decimal::from_units(1000));
          out += ",\"sl\":" + to_string(sl) + ",\"tp\":" + to_string(tp);
        }
        out += "}\n";
      }
    }
  }
  return out;
}

class RealDataReplay : public ::testing::TestWithParam<std::string> {};

TEST_P(RealDataReplay, InvariantsHold) {
  const fs::path data = testing::shared_data_dir();
  if (data.empty())
    GTEST_SKIP() << "no recorded data (../shared/data or $EXITBRAIN_DATA_DIR): skipped";
  const std::string market = (data / GetParam()).string();
  if (!fs::exists(market)) GTEST_SKIP() << market << " is absent: skipped";
  TempDir dir;
  const bool klines = GetParam().find("klines/") == 0;
  const std::string positions = dir.file("pos.jsonl", positions_for(scan(market), klines));
  const std::string config = dir.file("cfg.toml", kRealDataConfig);
  const std::string info = (data / "ws/multi/exchangeinfo.BINANCE_FUTURES.0").string();
  const auto run =
      run_replay({market}, positions, "--config " + config + " --exchange-info " + info);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto rep = check_invariants(run.decisions, read_specs(positions));
  for (const auto& v : rep.violations) ADD_FAILURE() << GetParam() << ": " << v;
  EXPECT_GT(rep.positions, 0);
  EXPECT_GT(rep.levels, 0) << GetParam() << ": no position got levels\n" << run.output;
  std::string reasons;
  for (const auto& [r, c] : rep.exits_by_reason) reasons += r + "=" + std::to_string(c) + " ";
  std::cout << GetParam() << ": " << rep.positions << " positions, " << rep.exits << " exits ("
            << reasons << "), " << rep.stop_moves << " stop moves, " << rep.flat << " flat, "
            << rep.open << " open\n";
}

INSTANTIATE_TEST_SUITE_P(
    Captures, RealDataReplay,
    ::testing::Values("ws/usdm/btcusdt_20230404.dat.gz", "ws/usdm/btcusdt_20230405.dat.gz",
                      "ws/usdm/btcusdt_20240718.gz", "ws/usdm/ethusdt_20240719.gz",
                      "ws/usdm/btcusdt_20240808.gz", "ws/multi/BINANCE_FUTURES.ws.1.0",
                      "ws/multi/BINANCE_FUTURES.ws.5.0", "ws/multi/BINANCE_FUTURES-1125a2.0",
                      "klines/binance-public/NEARUSDT-1m-2026-02.csv",
                      "klines/binance-public/AVAXUSDT-1m-2026-07.csv",
                      "klines/um-ohlcv/ETHUSDT-um-1m.2023-07-03_2023-08-17.csv"));

// ---- errors -----------------------------------------------------------------------------

struct BadPositions {
  const char* line2;
  const char* expected;
};

class ReplayRejects : public ::testing::TestWithParam<BadPositions> {};

TEST_P(ReplayRejects, NamesTheLineAndField) {
  TempDir dir;
  const std::string market = dir.file("m.gz");
  ASSERT_EQ(testing::run_command(exitbrain() + " synth --hours 1 --out " + market).exit_code, 0);
  const std::string good =
      "{\"id\":\"a\",\"symbol\":\"SYNTHUSDT\",\"side\":\"LONG\",\"qty\":1,\"entry_price\":100,"
      "\"opened_at\":1771000000000}\n";
  const std::string positions = dir.file("p.jsonl", good + GetParam().line2 + "\n");
  const auto r = testing::run_command(exitbrain() + " replay --market " + market + " --positions " +
                                      positions);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(GetParam().expected), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("\"event\""), std::string::npos)
      << "nothing printed that was not computed";
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ReplayRejects,
    ::testing::Values(
        BadPositions{
            R"({"id":"b","symbol":"SYNTHUSDT","side":"LONG","qty":-5,"entry_price":100,"opened_at":1})",
            "p.jsonl:2: field 'qty': must be positive"},
        BadPositions{
            R"({"id":"b","symbol":"SYNTHUSDT","side":"LONG","qty":0,"entry_price":100,"opened_at":1})",
            "p.jsonl:2: field 'qty': must be positive"},
        BadPositions{
            R"({"id":"b","symbol":"SYNTHUSDT","side":"UP","qty":1,"entry_price":100,"opened_at":1})",
            "p.jsonl:2: field 'side'"},
        BadPositions{
            R"({"id":"b","symbol":"SYNTHUSDT","side":"LONG","qty":1,"entry_price":"NaN","opened_at":1})",
            "p.jsonl:2: field 'entry_price': not a decimal number"},
        BadPositions{R"({"id":"b","symbol":"SYNTHUSDT","side":"LONG","qty":1,"entry_price":100})",
                     "p.jsonl:2: field 'opened_at': is missing"},
        BadPositions{
            R"({"id":"b","symbol":"SYNTHUSDT","side":"LONG","qty":1,"entry_price":100,"opened_at":1,"stop_loss":99})",
            "p.jsonl:2: field 'stop_loss': unknown field"},
        BadPositions{
            R"({"id":"a","symbol":"SYNTHUSDT","side":"LONG","qty":1,"entry_price":100,"opened_at":1})",
            "p.jsonl:2: field 'id': \"a\" is used twice"},
        BadPositions{
            R"({"id":"b","symbol":"SYNTHUSDT","side":"LONG","qty":1,"entry_price":100,"opened_at":1,"profile":"NOPE"})",
            "p.jsonl:2: field 'profile': no profile named \"NOPE\""},
        BadPositions{
            R"({"id":"b","symbol":"SYNTH-USDT","side":"LONG","qty":1,"entry_price":100,"opened_at":1})",
            "p.jsonl:2: field 'symbol'"},
        BadPositions{
            R"({"id":"b","symbol":"SYNTHUSDT","side":"LONG","qty":1,"entry_price":100,"opened_at":1,"sl":101})",
            "field 'sl': must be below entry_price for a LONG"},
        BadPositions{R"({"id":"b","symbol":"SYNTHUSDT","side":"LONG","qty":1,)",
                     "p.jsonl:2: field '(line)'"}));

TEST(ReplayErrors, BadMarketLineNamesFileAndLine) {
  TempDir dir;
  const std::string market = dir.file(
      "bad.jsonl",
      R"({"e":"markPriceUpdate","E":1771000000000,"s":"SYNTHUSDT","p":"100.0","r":"0","T":1})"
      "\n"
      R"({"e":"markPriceUpdate","E":1771000001000,"s":"SYNTHUSDT","p":"abc","r":"0","T":1})"
      "\n");
  const std::string positions = dir.file(
      "p.jsonl",
      R"({"id":"a","symbol":"SYNTHUSDT","side":"LONG","qty":1,"entry_price":100,"opened_at":1771000000000})"
      "\n");
  auto r = testing::run_command(exitbrain() + " replay --market " + market + " --positions " +
                                positions);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("bad.jsonl:2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("p"), std::string::npos);
  r = testing::run_command(exitbrain() + " replay --skip-bad-lines --market " + market +
                           " --positions " + positions);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("1 malformed"), std::string::npos) << r.output;
}

TEST(ReplayErrors, BadConfigNamesTableAndKey) {
  TempDir dir;
  const std::string market = dir.file("m.gz");
  ASSERT_EQ(testing::run_command(exitbrain() + " synth --hours 1 --out " + market +
                                 " --positions-out " + dir.file("p.jsonl") + " --positions 1")
                .exit_code,
            0);
  const std::string cfg = dir.file("c.toml", "[profile.X]\natr_period = 0\n");
  auto r = testing::run_command(exitbrain() + " replay --market " + market + " --positions " +
                                dir.file("p.jsonl") + " --config " + cfg);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("[profile.X] atr_period: must be in [1, 512]"), std::string::npos)
      << r.output;
}

TEST(ReplayErrors, PositionWithoutMarketDataIsAnError) {
  TempDir dir;
  const std::string market = dir.file("m.gz");
  ASSERT_EQ(testing::run_command(exitbrain() + " synth --hours 1 --out " + market).exit_code, 0);
  const std::string positions = dir.file(
      "p.jsonl",
      R"({"id":"a","symbol":"SYNTHUSDT","side":"LONG","qty":1,"entry_price":100,"opened_at":1771000000000})"
      "\n"
      R"({"id":"b","symbol":"NODATAUSDT","side":"LONG","qty":1,"entry_price":100,"opened_at":1771000000000})"
      "\n");
  const auto r = testing::run_command(exitbrain() + " replay --market " + market + " --positions " +
                                      positions);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("p.jsonl:2: field 'symbol': no market data for NODATAUSDT"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("\"status\":\"no_market_data\""), std::string::npos) << r.output;
}

TEST(ReplayErrors, HelpDescribesEveryOption) {
  const auto r = testing::run_command(exitbrain() + " replay --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* opt : {"--market", "--positions", "--config", "--profile", "--out", "--chart"})
    EXPECT_NE(r.output.find(opt), std::string::npos) << opt;
}

}  // namespace
}  // namespace exitbrain
