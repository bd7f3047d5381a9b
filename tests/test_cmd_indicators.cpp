// End-to-end tests of `exitbrain indicators` on small hand-made kline files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/paths.hpp"
#include "tests/support/run_command.hpp"

namespace exitbrain {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;

// 2025-10-10 12:00 UTC, on the 5m grid.
constexpr long long kT0 = 1'760'097'600'000;

// Fifteen 1m candles = three 5m candles, then two minutes of an unfinished fourth.
//   5m #0: O100 H102 L99  C101   TR 3 (first candle: high - low)
//   5m #1: O101 H104 L100 C103   TR max(4, |104-101|, |100-101|) = 4
//   5m #2: O103 H103 L97  C98    TR max(6, |103-103|, |97-103|)  = 6
const std::vector<std::string> kMinuteOhlc = {
    "100,100.5,99,100",  "100,102,100,101.5", "101.5,101.5,100,100.5", "100.5,101,100.5,101",
    "101,101,100.5,101", "101,101,100,100.5", "100.5,104,100.5,103.5", "103.5,103.5,102,102.5",
    "102.5,103,102,103", "103,103,102.5,103", "103,103,101,101",       "101,101,97,97.5",
    "97.5,99,97.5,98",   "98,98.5,97.5,98",   "98,98.5,97.5,98",       "98,99,98,99",
    "99,99.5,98.5,99.5",
};

class IndicatorsCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("exitbrain_test_indicators_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // um-ohlcv layout; `rows` override kMinuteOhlc where not empty.
  fs::path write_ohlcv(const std::string& name, std::vector<std::string> rows = kMinuteOhlc,
                       long long step_ms = 60'000) {
    std::ostringstream csv;
    csv << "open_time_ms,open,high,low,close,volume\n";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      csv << kT0 + static_cast<long long>(i) * step_ms << ',' << rows[i] << ",1.5\n";
    }
    return write(name, csv.str());
  }

  fs::path write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

  static CommandResult run(const fs::path& klines, const std::string& args = "") {
    const std::string exe = (testing::bin_dir() / "exitbrain").string();
    return testing::run_command("'" + exe + "' indicators --klines '" + klines.string() + "' " +
                                args);
  }

  fs::path dir_;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string shortest(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

const char* const kHeader = "open_time,close,atr_sma,atr_wilder,atr_pct,regime";
const char* const kTrendArgs = "--interval 5m --period 2 --er-period 1 --volatile-atr-pct 0.5";

std::vector<std::string> expected_trend_rows() {
  return {
      kHeader,
      std::to_string(kT0) + ",101,,,,UNKNOWN",
      std::to_string(kT0 + 300'000) + ",103,3.5,3.5," + shortest(3.5 / 103.0) + ",TRENDING",
      std::to_string(kT0 + 600'000) + ",98,5,4.75," + shortest(5.0 / 98.0) + ",TRENDING",
  };
}

TEST_F(IndicatorsCommand, AggregatesMinutesAndPrintsHandCheckedAtr) {
  const CommandResult r = run(write_ohlcv("btc-1m.csv"), kTrendArgs);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The unfinished fourth 5m candle is not printed: only closed candles are.
  EXPECT_EQ(lines(r.output), expected_trend_rows()) << r.output;
}

TEST_F(IndicatorsCommand, ReadsTheBinancePublicLayoutWithAndWithoutHeader) {
  std::ostringstream body;
  for (std::size_t i = 0; i < kMinuteOhlc.size(); ++i) {
    const long long t = kT0 + static_cast<long long>(i) * 60'000;
    body << t << ',' << kMinuteOhlc[i] << ",12," << t + 59'999 << ",1200.5,42,6,600.25,0\r\n";
  }
  const std::string header =
      "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
      "taker_buy_quote_volume,ignore\r\n";
  const CommandResult with = run(write("with.csv", header + body.str()), kTrendArgs);
  ASSERT_EQ(with.exit_code, 0) << with.output;
  EXPECT_EQ(lines(with.output), expected_trend_rows());
  const CommandResult without = run(write("without.csv", body.str()), kTrendArgs);
  ASSERT_EQ(without.exit_code, 0) << without.output;
  EXPECT_EQ(lines(without.output), expected_trend_rows());
}

TEST_F(IndicatorsCommand, DefaultsNeedFourteenCandlesBeforeTheAtrAppears) {
  std::vector<std::string> rows(20, "10,11,9,10");
  const CommandResult r = run(write_ohlcv("flat-5m.csv", rows, 300'000));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto out = lines(r.output);
  ASSERT_EQ(out.size(), 21u) << r.output;
  EXPECT_EQ(out[0], kHeader);
  EXPECT_EQ(out[13], std::to_string(kT0 + 12 * 300'000) + ",10,,,,UNKNOWN");
  // 14th candle: ATR 2 (every TR is 11 - 9); the ER needs 21 closes, so no regime yet.
  EXPECT_EQ(out[14], std::to_string(kT0 + 13 * 300'000) + ",10,2,2,0.2,UNKNOWN");
}

TEST_F(IndicatorsCommand, ABadNumberNamesFileLineAndColumn) {
  std::vector<std::string> rows = kMinuteOhlc;
  rows[2] = "101.5,abc,100,100.5";  // line 4: the header is line 1
  const fs::path file = write_ohlcv("bad.csv", rows);
  const CommandResult r = run(file);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("error: " + file.string() + ":4: column 'high': not a decimal number"),
            std::string::npos)
      << r.output;
}

TEST_F(IndicatorsCommand, AnImpossibleCandleNamesItsLine) {
  std::vector<std::string> rows = kMinuteOhlc;
  rows[1] = "100,99,101,100";  // line 3: high below low
  const fs::path file = write_ohlcv("inverted.csv", rows);
  const CommandResult r = run(file);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(file.string() + ":3: column 'low': 101 is above open or close"),
            std::string::npos)
      << r.output;
}

TEST_F(IndicatorsCommand, InvalidOptionsAreNamed) {
  const fs::path minutes = write_ohlcv("m.csv");
  const fs::path fives = write_ohlcv("f.csv", kMinuteOhlc, 300'000);
  struct Case {
    fs::path file;
    std::string args, expected;
  };
  const std::vector<Case> cases = {
      {minutes, "--interval 7m", "--interval"},
      {fives, "--interval 1m", "--interval 1m: not a multiple"},
      {minutes, "--period 0", "--period"},
      {minutes, "--er-period 0", "--er-period"},
      {minutes, "--trending-er 1.5", "--trending-er"},
      {minutes, "--volatile-atr-pct 0", "--volatile-atr-pct"},
      {dir_ / "missing.csv", "", "missing.csv"},
  };
  for (const Case& c : cases) {
    const CommandResult r = run(c.file, c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find("error: "), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << c.args << "\n" << r.output;
  }
}

}  // namespace
}  // namespace exitbrain
