// exitbrain backtest: the comparison figures by hand, and the command end to end.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/paths.hpp"
#include "tests/support/run_command.hpp"
#include "tools/replay/backtest_stats.hpp"

namespace exitbrain {
namespace {

namespace fs = std::filesystem;

TEST(BacktestStats, FiguresByHand) {
  // Closing order: +10, -20, +5, -5 on 100 margin each.
  const GroupStats s =
      summarize({{10, 100, 1, 1}, {-20, 100, 1, 2}, {5, 100, 2, 3}, {-5, 100, 2, 4}});
  EXPECT_EQ(s.trades, 4);
  EXPECT_DOUBLE_EQ(s.win_rate, 0.5);
  EXPECT_DOUBLE_EQ(s.pnl, -10);
  EXPECT_DOUBLE_EQ(s.return_on_margin, -10.0 / 400);
  EXPECT_DOUBLE_EQ(s.max_drawdown, 20);  // peak +10 after the first, trough -10 after the second
  // returns 0.1 -0.2 0.05 -0.05: mean -0.025, sample std sqrt(0.0525/3)
  EXPECT_NEAR(s.sharpe, -0.025 / std::sqrt(0.0525 / 3), 1e-12);
  EXPECT_DOUBLE_EQ(s.avg_leverage, 1.5);
}

TEST(BacktestStats, OrdersByClosingTimeNotInput) {
  const GroupStats s = summarize({{-20, 100, 1, 2}, {10, 100, 1, 1}});
  EXPECT_DOUBLE_EQ(s.max_drawdown, 20);
  EXPECT_EQ(summarize({}).trades, 0);
}

class BacktestCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("exitbrain-bt-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // Three days of 1m candles: a slow wave with noise-free zig-zags, prices on a 0.01 grid.
    std::ofstream f(csv());
    f << "open_time,open,high,low,close,volume\n";
    const std::int64_t t0 = 1'771'000'020'000 - 1'771'000'020'000 % 60'000;
    double prev = 100;
    for (int i = 0; i < 3 * 1440; ++i) {
      const double close =
          std::round((100 + 3 * std::sin(i / 200.0) + ((i % 7) - 3) * 0.05) * 100) / 100;
      const double hi = std::max(prev, close) + 0.04, lo = std::min(prev, close) - 0.04;
      char row[160];
      std::snprintf(row, sizeof row, "%lld,%.2f,%.2f,%.2f,%.2f,1\n",
                    static_cast<long long>(t0 + i * 60'000LL), prev, hi, lo, close);
      f << row;
      prev = close;
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string csv() const { return (dir_ / "TESTUSDT-1m-test.csv").string(); }
  testing::CommandResult backtest(const std::string& args) const {
    return testing::run_command((testing::bin_dir() / "exitbrain").string() +
                                " backtest --klines " + csv() + " " + args);
  }
  fs::path dir_;
};

TEST_F(BacktestCommand, OneRowPerProfileAndLeverageMode) {
  const auto r = backtest("--entries every:4h --profiles CHALLENGE_100,RANGE");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // 72 h of data from t0 = 1771000000000; the first entry is on the 4 h grid after the
  // 75 min ATR warm-up (t0 + 3.56 h), then every 4 h: 18 entries x 2 sides.
  std::istringstream lines(r.output);
  int rows = 0;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream cols(line);
    std::string profile, mode;
    int trades = 0, liquidations = -1;
    double win = 0, pnl = 0, dd = -1, sharpe = 0, leverage = 0;
    std::string pct;
    if (!(cols >> profile >> mode >> trades) || (profile != "CHALLENGE_100" && profile != "RANGE"))
      continue;
    cols >> win >> pnl >> pct >> dd >> sharpe >> leverage >> liquidations;
    ++rows;
    EXPECT_EQ(trades, 36) << line;
    EXPECT_GE(dd, 0) << line;
    EXPECT_EQ(liquidations, 0) << line;
    if (mode == "1x") {
      EXPECT_DOUBLE_EQ(leverage, 1.0) << line;
    } else {
      // ILF: 60 x (1 - 0.5513) = 26.9, times the regime factor (0.8 .. 1.2), in [5, 80].
      EXPECT_GE(leverage, 21.0) << line;
      EXPECT_LE(leverage, 32.0) << line;
    }
  }
  EXPECT_EQ(rows, 5) << r.output;  // 2 profiles x (1x, adaptive) + ilf-levels
  EXPECT_EQ(backtest("--entries every:4h --profiles CHALLENGE_100,RANGE").output, r.output)
      << "deterministic";
}

TEST_F(BacktestCommand, EntriesFromAFile) {
  const auto entries = (dir_ / "entries.jsonl").string();
  std::ofstream(entries)
      << "{\"opened_at\":1771020000000,\"side\":\"LONG\"}\n{\"opened_at\":1771100000000}\n";
  const auto r = backtest("--entries " + entries + " --profiles RANGE");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("RANGE          1x               3 "), std::string::npos) << r.output;
}

TEST_F(BacktestCommand, BadOptionsAreNamed) {
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {"--entries every:7m", "--entries: \"7m\" is not an interval"},
           {"--profiles NOPE", "--profiles: no profile named \"NOPE\""},
           {"--margin -1", "--margin: must be positive"},
           {"--confidence 2", "--confidence: must be in [0,1]"},
           {"--sides up", "--sides: must be both, long or short"}}) {
    const auto r = backtest(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << args << "\n" << r.output;
  }
}

}  // namespace
}  // namespace exitbrain
