#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "net/binance_message_parser.hpp"
#include "tests/support/decimal_text.hpp"
#include "tests/support/paths.hpp"
#include "tools/common/input_error.hpp"
#include "tools/market_data/market_reader.hpp"

namespace exitbrain {
namespace {

namespace fs = std::filesystem;

MarketReaderOptions skipping_bad_lines() {
  MarketReaderOptions o;
  o.skip_bad_lines = true;
  return o;
}
MarketReaderOptions not_interning() {
  MarketReaderOptions o;
  o.intern_unknown_symbols = false;
  return o;
}
MarketReaderOptions for_symbol(std::string symbol) {
  MarketReaderOptions o;
  o.symbol_override = std::move(symbol);
  return o;
}

// A fresh directory per test, removed afterwards.
class MarketReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("exitbrain_market_reader_" + std::to_string(::getpid()) + "_" + info->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_plain(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }
  std::string write_gzip(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    gzFile f = gzopen(path.string().c_str(), "wb");
    EXPECT_NE(f, nullptr);
    EXPECT_EQ(gzwrite(f, content.data(), static_cast<unsigned>(content.size())),
              static_cast<int>(content.size()));
    gzclose(f);
    return path.string();
  }

  std::vector<MarketEvent> read_all(const std::string& path, MarketReaderOptions options = {}) {
    MarketFileReader reader(path, symbols, options);
    std::vector<MarketEvent> events;
    MarketEvent ev;
    while (reader.next(ev)) events.push_back(ev);
    last_stats = reader.stats();
    last_format = reader.format();
    return events;
  }

  // The error text of reading `path` to the end, or "" when it reads fine.
  std::string read_error(const std::string& path, MarketReaderOptions options = {}) {
    try {
      read_all(path, options);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
  SymbolTable symbols;
  MarketReaderStats last_stats;
  MarketFileFormat last_format = MarketFileFormat::kWebsocketCapture;
};

const std::string kTradeBtc =
    R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1000,"T":999,"s":"BTCUSDT","t":1,"p":"100.5","q":"1","X":"MARKET","m":true}})";
const std::string kBookEth =
    R"({"stream":"ethusdt@bookTicker","data":{"e":"bookTicker","u":1,"s":"ETHUSDT","b":"20.1","B":"1","a":"20.2","A":"1","T":1500,"E":1501}})";
const std::string kDepthBtc =
    R"({"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1200,"T":1200,"s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[["100.0","1"]],"a":[]}})";
const std::string kSnapshot =
    R"({"lastUpdateId":5,"E":1100,"T":1100,"bids":[["100.0","1"]],"asks":[]})";
const std::string kMarkArr =
    R"({"stream":"!markPrice@arr","data":[{"e":"markPriceUpdate","E":2000,"s":"BTCUSDT","p":"101","r":"0.0001","T":0},{"e":"markPriceUpdate","E":2000,"s":"ETHUSDT","p":"21","r":"0.0001","T":0}]})";

TEST_F(MarketReaderTest, ClassifiesCaptureLines) {
  EXPECT_EQ(classify_capture_line("").kind, CaptureLineKind::kBlank);
  EXPECT_EQ(classify_capture_line("  \r").kind, CaptureLineKind::kBlank);
  EXPECT_EQ(classify_capture_line("wss://fstream.binance.com/stream?streams=a <-> 1.5").kind,
            CaptureLineKind::kHeader);
  EXPECT_EQ(classify_capture_line("configuration: {\"x\":1}").kind, CaptureLineKind::kHeader);
  EXPECT_EQ(classify_capture_line("https://fapi.binance.com/fapi/v1/depth -> 1.5: {}").kind,
            CaptureLineKind::kRestSnapshot);
  auto c = classify_capture_line("1680652700423575 {\"a\":1}");
  EXPECT_EQ(c.kind, CaptureLineKind::kJson);
  EXPECT_EQ(c.json, "{\"a\":1}");
  c = classify_capture_line("1626992741.06217: [1]");
  EXPECT_EQ(c.kind, CaptureLineKind::kJson);
  EXPECT_EQ(c.json, "[1]");
  EXPECT_EQ(classify_capture_line("{\"a\":1}").json, "{\"a\":1}");
  EXPECT_EQ(classify_capture_line("open_time,open,high").kind, CaptureLineKind::kUnrecognized);
  EXPECT_EQ(classify_capture_line("1769904000000,1.2,1.3,1.1,1.2").kind,
            CaptureLineKind::kUnrecognized);
  EXPECT_EQ(classify_capture_line("12345{\"a\":1}").kind, CaptureLineKind::kUnrecognized);
}

TEST_F(MarketReaderTest, ReadsLongLinesAndCrlfFromPlainAndGzip) {
  const std::string long_line(300'000, 'x');
  const std::string content = "first\r\n" + long_line + "\n\nlast-without-newline";
  for (const std::string& path :
       {write_plain("lines.txt", content), write_gzip("lines.txt.gz", content)}) {
    GzLineReader lines(path);
    std::string_view line;
    std::vector<std::string> got;
    while (lines.next(line)) {
      got.emplace_back(line);
      EXPECT_GE(lines.padding_after(line), kJsonPadding);
    }
    ASSERT_EQ(got.size(), 4u) << path;
    EXPECT_EQ(got[0], "first");
    EXPECT_EQ(got[1], long_line);
    EXPECT_EQ(got[2], "");
    EXPECT_EQ(got[3], "last-without-newline");
    EXPECT_EQ(lines.line_number(), 4u);
  }
  EXPECT_THROW(GzLineReader("/nonexistent/file.gz"), InputError);
}

TEST_F(MarketReaderTest, TruncatedGzipIsAReadError) {
  std::string content;
  for (int i = 0; i < 5000; ++i) content += std::to_string(i) + " " + kTradeBtc + "\n";
  const std::string path = write_gzip("cut.gz", content);
  fs::resize_file(path, fs::file_size(path) / 2);
  const std::string error = read_error(path);
  EXPECT_EQ(error.rfind(path + ":", 0), 0u) << error;
  EXPECT_NE(error.find("read error"), std::string::npos) << error;
}

// hftbacktest style: "<receive ts> <json>", REST snapshots without "stream" in between.
TEST_F(MarketReaderTest, ReadsSpacePrefixedCapture) {
  const std::string content = "1680652700423575 " + kTradeBtc + "\n" + "1680652700423576 " +
                              kDepthBtc + "\n" + "1680652700423577 " + kSnapshot + "\n" +
                              "1680652700423578 " + kBookEth + "\n";
  for (const std::string& path :
       {write_plain("btc.dat", content), write_gzip("btc.dat.gz", content)}) {
    const auto events = read_all(path);
    EXPECT_EQ(last_format, MarketFileFormat::kWebsocketCapture);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].kind, MarketEventKind::kTrade);
    EXPECT_EQ(events[0].symbol, *symbols.find("BTCUSDT"));
    EXPECT_EQ(events[0].event_time, 1000);
    EXPECT_EQ(events[0].price, testing::dec("100.5"));
    EXPECT_EQ(events[1].kind, MarketEventKind::kBookTicker);
    EXPECT_EQ(events[1].symbol, *symbols.find("ETHUSDT"));
    EXPECT_EQ(events[1].bid, testing::dec("20.1"));
    EXPECT_EQ(last_stats.lines, 4u);
    EXPECT_EQ(last_stats.events, 2u);
    EXPECT_EQ(last_stats.ignored, 2u);
    EXPECT_EQ(last_stats.malformed, 0u);
  }
}

// cryptofeed style: header lines, "<unix seconds>: <json>", REST lines, CRLF, a huge line.
TEST_F(MarketReaderTest, ReadsColonPrefixedCaptureWithHeaders) {
  const std::string huge_rest =
      "https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT -> 1617647797.9: " +
      std::string(R"({"lastUpdateId":1,"bids":[)") + std::string(200'000, ' ') + "]}";
  const std::string content =
      "configuration: {\"trades\":[\"BTC-USDT\"]}\r\n"
      "wss://fstream.binance.com/stream?streams=btcusdt@trade <-> 1617647796.7\r\n" +
      std::string("1617647797.59: ") + kTradeBtc + "\r\n" + huge_rest + "\r\n" +
      "1617647798.1: " + kMarkArr + "\r\n";
  const auto events = read_all(write_gzip("BINANCE_FUTURES.ws.1.0", content));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, MarketEventKind::kTrade);
  EXPECT_EQ(events[1].kind, MarketEventKind::kMarkPrice);
  EXPECT_EQ(events[1].symbol, *symbols.find("BTCUSDT"));
  EXPECT_EQ(events[2].symbol, *symbols.find("ETHUSDT"));
  EXPECT_EQ(events[2].price, testing::dec("21"));
  EXPECT_EQ(last_stats.lines, 5u);
  EXPECT_EQ(last_stats.ignored, 3u);
  EXPECT_EQ(last_stats.events, 3u);
}

TEST_F(MarketReaderTest, UnknownSymbolsAreIgnoredWhenInterningIsOff) {
  symbols.intern("BTCUSDT");
  const std::string path = write_plain("mixed.dat", "1 " + kTradeBtc + "\n2 " + kBookEth + "\n");
  const auto events = read_all(path, not_interning());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(last_stats.ignored, 1u);
  EXPECT_FALSE(symbols.find("ETHUSDT"));
}

TEST_F(MarketReaderTest, BadCaptureLineNamesFileLineAndField) {
  std::string bad = kTradeBtc;
  bad.replace(bad.find("100.5"), 5, "10x.5");
  const std::string path =
      write_plain("bad.dat", "1 " + kTradeBtc + "\n2 " + bad + "\n3 " + kBookEth +
                                 "\ngarbage line\n4 {\"stream\":\n");
  EXPECT_EQ(read_error(path), path + ":2: field 'data.p': not a decimal number");

  const auto events = read_all(path, skipping_bad_lines());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(last_stats.malformed, 3u);
  ASSERT_EQ(last_stats.first_errors.size(), 3u);
  EXPECT_EQ(last_stats.first_errors[0], path + ":2: field 'data.p': not a decimal number");
  EXPECT_EQ(last_stats.first_errors[1].rfind(path + ":4: not a websocket message", 0), 0u)
      << last_stats.first_errors[1];
  EXPECT_EQ(last_stats.first_errors[2].rfind(path + ":5: field '", 0), 0u)
      << last_stats.first_errors[2];
}

TEST_F(MarketReaderTest, KeepsOnlyTheFirstErrorMessages) {
  std::string content;
  for (int i = 0; i < 25; ++i)
    content += "1 {\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"p\":\"0\"}\n";
  read_all(write_plain("zeros.dat", content), skipping_bad_lines());
  EXPECT_EQ(last_stats.malformed, 25u);
  EXPECT_EQ(last_stats.first_errors.size(), MarketReaderStats::kKeptErrors);
}

// Expected walk of one candle: open, extremes in path order, close, then the closed kline.
void expect_walk(const MarketEvent* e, SymbolId symbol, TimeMs open_time, std::int64_t interval,
                 std::string_view open, std::string_view first, std::string_view second,
                 std::string_view close) {
  const TimeMs times[] = {open_time, open_time + interval / 3, open_time + 2 * interval / 3,
                          open_time + interval - 1};
  const std::string_view prices[] = {open, first, second, close};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(e[i].kind, MarketEventKind::kSynthetic) << i;
    EXPECT_EQ(e[i].symbol, symbol) << i;
    EXPECT_EQ(e[i].event_time, times[i]) << i;
    EXPECT_EQ(e[i].price, testing::dec(prices[i])) << i;
  }
  EXPECT_EQ(e[4].kind, MarketEventKind::kKline);
  EXPECT_TRUE(e[4].kline_closed);
  EXPECT_EQ(e[4].event_time, open_time + interval - 1);
  EXPECT_EQ(e[4].kline.open_time, open_time);
  EXPECT_EQ(e[4].kline.interval_ms, interval);
  EXPECT_EQ(e[4].kline.close, testing::dec(close));
  EXPECT_EQ(e[4].price, testing::dec(close));
}

TEST_F(MarketReaderTest, WalksUpAndDownCandlesFromBinancePublicCsv) {
  const std::string path = write_plain(
      "NEARUSDT-1m-2026-02.csv",
      "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
      "taker_buy_quote_volume,ignore\r\n"
      "1769904000000,1.2060,1.2100,1.2040,1.2080,95149,1769904059999,114611.6240,282,39228,47269."
      "8280,0\r\n"
      "1769904060000,1.2080,1.2090,1.2000,1.2010,124292,1769904119999,149711.1910,301,82743,99665."
      "4570,0\r\n"
      "1769904120000,1.2010,1.2010,1.2010,1.2010,1,1769904179999,1,1,1,1,0\r\n");
  MarketFileReader reader(path, symbols);
  EXPECT_EQ(reader.format(), MarketFileFormat::kKlineCsv);
  EXPECT_EQ(reader.interval_ms(), 60'000);
  const SymbolId near = *symbols.find("NEARUSDT");
  EXPECT_EQ(reader.symbol(), near);
  std::vector<MarketEvent> e;
  MarketEvent ev;
  while (reader.next(ev)) e.push_back(ev);
  ASSERT_EQ(e.size(), 15u);
  expect_walk(&e[0], near, 1769904000000, 60'000, "1.206", "1.21", "1.204",
              "1.208");  // up: high first
  expect_walk(&e[5], near, 1769904060000, 60'000, "1.208", "1.2", "1.209",
              "1.201");  // down: low first
  expect_walk(&e[10], near, 1769904120000, 60'000, "1.201", "1.201", "1.201",
              "1.201");  // flat counts as up
  EXPECT_EQ(e[0].event_time, 1769904000000);
  EXPECT_EQ(e[1].event_time, 1769904020000);
  EXPECT_EQ(e[2].event_time, 1769904040000);
  EXPECT_EQ(e[3].event_time, 1769904059999);
  EXPECT_EQ(reader.stats().lines, 4u);
  EXPECT_EQ(reader.stats().ignored, 1u);
  EXPECT_EQ(reader.stats().events, 15u);
}

TEST_F(MarketReaderTest, ReadsUmOhlcvCsvGzipped) {
  const std::string path = write_gzip("BTCUSDT-um-5m.2025-09-19_2025-10-27.csv.gz",
                                      "open_time_ms,open,high,low,close,volume\n"
                                      "1758240000000,117017.1,117100.0,117010.8,117043.4,360.735\n"
                                      "1758240300000,117043.5,117090.6,117026.0,117030.5,178.95\n");
  MarketFileReader reader(path, symbols);
  EXPECT_EQ(reader.interval_ms(), 300'000);
  EXPECT_EQ(symbols.name(reader.symbol()), "BTCUSDT");
  std::vector<MarketEvent> e;
  MarketEvent ev;
  while (reader.next(ev)) e.push_back(ev);
  ASSERT_EQ(e.size(), 10u);
  const SymbolId btc = reader.symbol();
  expect_walk(&e[0], btc, 1758240000000, 300'000, "117017.1", "117100", "117010.8", "117043.4");
  expect_walk(&e[5], btc, 1758240300000, 300'000, "117043.5", "117026", "117090.6", "117030.5");
}

TEST_F(MarketReaderTest, HeaderlessCsvTakesTheIntervalFromTheRowsAndTheSymbolFromTheOverride) {
  const std::string path = write_plain("candles.csv",
                                       "1700000000000,10,12,9,11,5\n"
                                       "1700000900000,11,11.5,10.5,11.2,5\n"
                                       "1700001800000,11.2,11.3,11.0,11.1,5\n");
  const auto events = read_all(path, for_symbol("solusdt"));
  EXPECT_EQ(last_format, MarketFileFormat::kKlineCsv);
  ASSERT_EQ(events.size(), 15u);
  const SymbolId sol = *symbols.find("SOLUSDT");
  expect_walk(&events[0], sol, 1700000000000, 900'000, "10", "12", "9", "11");
  expect_walk(&events[5], sol, 1700000900000, 900'000, "11", "11.5", "10.5", "11.2");   // up
  expect_walk(&events[10], sol, 1700001800000, 900'000, "11.2", "11", "11.3", "11.1");  // down
  EXPECT_EQ(last_stats.ignored, 0u);

  const std::string single = write_plain("single.csv", "1700000000000,10,12,9,11,5\n");
  EXPECT_NE(read_error(single, for_symbol("SOLUSDT")).find("cannot tell the interval"),
            std::string::npos);
}

TEST_F(MarketReaderTest, CsvWithoutASymbolOrKlineHeaderIsRefused) {
  const std::string funding = write_plain(
      "BTCUSDT-um-8h-funding_rate.csv", "funding_time_ms,funding_rate\n1741276800000,0.00006818\n");
  EXPECT_NE(read_error(funding).find("neither a websocket capture nor a kline CSV"),
            std::string::npos);
  const std::string nameless = write_plain("-.csv", "1,1,1,1,1\n2,1,1,1,1\n");
  EXPECT_NE(read_error(nameless).find("cannot tell the symbol"), std::string::npos);
}

TEST_F(MarketReaderTest, BadCsvRowsNameFileLineAndColumn) {
  const std::string header = "open_time,open,high,low,close,volume\n";
  struct Case {
    std::string row;
    std::string message;
  };
  const Case cases[] = {
      {"1700000060000,10,12,x,11,5", "column 'low': not a decimal number"},
      {"1700000060000,0,12,9,11,5", "column 'open': not positive"},
      {"1700000060000,10,12,-9,11,5", "column 'low': not positive"},
      {"1700000060000,10,10.5,9,11,5", "column 'high': 10.5 is below open or close"},
      {"1700000060000,10,12,10.5,11,5", "column 'low': 10.5 is above open or close"},
      {"1700000000000,10,12,9,11,5",
       "column 'open_time': 1700000000000 is not after the previous candle (opened 1700000000000)"},
      {"1700000030000,10,12,9,11,5",
       "column 'open_time': 1700000030000 is not after the previous candle (opened 1700000000000)"},
      {"abc,10,12,9,11,5", "column 'open_time': not a time in milliseconds"},
      {"1700000060000,10,12", "expected at least 5 columns, got 3"},
  };
  for (const Case& c : cases) {
    const std::string path =
        write_plain("ETHUSDT-1m.csv", header + "1700000000000,10,12,9,11,5\n" + c.row +
                                          "\n1700000120000,10,12,9,11,5\n");
    EXPECT_EQ(read_error(path), path + ":3: " + c.message);
    const auto events = read_all(path, skipping_bad_lines());
    EXPECT_EQ(events.size(), 10u) << c.row;
    EXPECT_EQ(last_stats.malformed, 1u) << c.row;
    ASSERT_EQ(last_stats.first_errors.size(), 1u);
    EXPECT_EQ(last_stats.first_errors[0], path + ":3: " + c.message);
  }
}

TEST_F(MarketReaderTest, MergerOrdersByEventTimeThenFileIndex) {
  // Captures whose event times interleave, with a tie at 2000.
  const std::string a =
      write_plain("a.dat",
                  "1 {\"e\":\"trade\",\"E\":1000,\"s\":\"BTCUSDT\",\"p\":\"1\"}\n"
                  "2 {\"e\":\"trade\",\"E\":2000,\"s\":\"BTCUSDT\",\"p\":\"2\"}\n"
                  "3 {\"e\":\"trade\",\"E\":5000,\"s\":\"BTCUSDT\",\"p\":\"3\"}\n");
  const std::string b =
      write_plain("b.dat",
                  "1 {\"e\":\"trade\",\"E\":1500,\"s\":\"ETHUSDT\",\"p\":\"10\"}\n"
                  "2 {\"e\":\"trade\",\"E\":2000,\"s\":\"ETHUSDT\",\"p\":\"20\"}\n"
                  "3 {\"e\":\"trade\",\"E\":2500,\"s\":\"ETHUSDT\",\"p\":\"30\"}\n");
  MarketMerger merger;
  merger.add(b, symbols);  // file 0
  merger.add(a, symbols);  // file 1
  std::vector<std::pair<TimeMs, std::size_t>> order;
  MarketEvent ev;
  while (merger.next(ev)) order.emplace_back(ev.event_time, merger.last_file());
  const std::vector<std::pair<TimeMs, std::size_t>> expected = {{1000, 1}, {1500, 0}, {2000, 0},
                                                                {2000, 1}, {2500, 0}, {5000, 1}};
  EXPECT_EQ(order, expected);
  ASSERT_EQ(merger.size(), 2u);
  EXPECT_EQ(merger.reader(0).stats().events, 3u);
  EXPECT_EQ(merger.reader(1).path(), a);
}

TEST_F(MarketReaderTest, MergerInterleavesCandleWalksOfTwoSymbols) {
  const std::string btc = write_plain("BTCUSDT-1m.csv",
                                      "open_time,open,high,low,close\n"
                                      "60000,10,12,9,11\n120000,11,12,10,10.5\n");
  const std::string eth = write_plain("ETHUSDT-1m.csv",
                                      "open_time,open,high,low,close\n"
                                      "60000,1,1.2,0.9,1.1\n120000,1.1,1.2,1,1.05\n");
  MarketMerger merger;
  merger.add(btc, symbols);
  merger.add(eth, symbols);
  std::vector<MarketEvent> events;
  MarketEvent ev;
  while (merger.next(ev)) events.push_back(ev);
  ASSERT_EQ(events.size(), 20u);
  for (std::size_t i = 1; i < events.size(); ++i)
    EXPECT_LE(events[i - 1].event_time, events[i].event_time);
  // Same times: BTC (file 0) before ETH (file 1) at every step.
  EXPECT_EQ(events[0].symbol, *symbols.find("BTCUSDT"));
  EXPECT_EQ(events[1].symbol, *symbols.find("ETHUSDT"));
  EXPECT_EQ(events[0].event_time, events[1].event_time);
}

TEST_F(MarketReaderTest, EmptyFileHasNoEvents) {
  EXPECT_TRUE(read_all(write_plain("empty.dat", "")).empty());
  EXPECT_TRUE(read_all(write_plain("blank.dat", "\n\n")).empty());
  EXPECT_EQ(last_stats.lines, 2u);
}

// ---------------------------------------------------------------- recorded data

fs::path shared_dir_or_empty(const char* sub) {
  const auto data = exitbrain::testing::shared_data_dir();
  if (data.empty() || !fs::exists(data / sub)) return {};
  return data / sub;
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(MarketReaderRecorded, EveryCaptureReadsWithoutBadLines) {
  const fs::path ws = shared_dir_or_empty("ws");
  if (ws.empty())
    GTEST_SKIP() << "shared data not found (set EXITBRAIN_DATA_DIR or place it at ../shared/data)";
  SymbolTable symbols;
  std::uint64_t total_events = 0;
  for (const char* sub : {"usdm", "multi"}) {
    for (const fs::path& path : files_in(ws / sub)) {
      if (path.filename().string().starts_with("exchangeinfo")) continue;
      MarketFileReader reader(path.string(), symbols);
      EXPECT_EQ(reader.format(), MarketFileFormat::kWebsocketCapture) << path;
      MarketEvent ev;
      std::map<MarketEventKind, std::uint64_t> kinds;
      while (reader.next(ev)) ++kinds[ev.kind];
      const MarketReaderStats& s = reader.stats();
      std::cout << "[ recorded ] " << path.filename().string() << ": " << s.lines << " lines, "
                << s.events << " events (mark " << kinds[MarketEventKind::kMarkPrice] << ", trade "
                << kinds[MarketEventKind::kTrade] << ", book "
                << kinds[MarketEventKind::kBookTicker] << ", kline "
                << kinds[MarketEventKind::kKline] << "), " << s.ignored << " ignored\n";
      EXPECT_EQ(s.malformed, 0u) << path;
      EXPECT_GT(s.events, 0u) << path;
      total_events += s.events;
    }
  }
  EXPECT_GT(total_events, 300'000u);
}

TEST(MarketReaderRecorded, EveryKlineCsvWalksWithoutBadRows) {
  const fs::path klines = shared_dir_or_empty("klines");
  if (klines.empty())
    GTEST_SKIP() << "shared data not found (set EXITBRAIN_DATA_DIR or place it at ../shared/data)";
  SymbolTable symbols;
  std::size_t files = 0;
  for (const char* sub : {"binance-public", "um-ohlcv"}) {
    for (const fs::path& path : files_in(klines / sub)) {
      if (path.filename().string().find("funding") != std::string::npos) continue;  // not klines
      MarketFileReader reader(path.string(), symbols);
      ASSERT_EQ(reader.format(), MarketFileFormat::kKlineCsv) << path;
      EXPECT_GT(reader.interval_ms(), 0) << path;
      MarketEvent ev;
      TimeMs last = 0;
      std::uint64_t closed = 0;
      while (reader.next(ev)) {
        ASSERT_GE(ev.event_time, last) << path;  // a candle walk never goes back in time
        last = ev.event_time;
        closed += ev.kind == MarketEventKind::kKline ? 1 : 0;
      }
      const MarketReaderStats& s = reader.stats();
      EXPECT_EQ(s.malformed, 0u) << path;
      EXPECT_EQ(closed + 1, s.lines) << path;  // one candle per row after the header
      EXPECT_EQ(s.events, closed * 5) << path;
      ++files;
    }
  }
  std::cout << "[ recorded ] " << files << " kline CSV files walked\n";
  EXPECT_GT(files, 20u);
}

TEST(MarketReaderRecorded, MergesBtcAndEthCaptures) {
  const fs::path usdm = shared_dir_or_empty("ws/usdm");
  if (usdm.empty())
    GTEST_SKIP() << "shared data not found (set EXITBRAIN_DATA_DIR or place it at ../shared/data)";
  SymbolTable symbols;
  MarketMerger merger;
  merger.add((usdm / "btcusdt_20240808.gz").string(), symbols);
  merger.add((usdm / "ethusdt_20240808.gz").string(), symbols);
  std::uint64_t per_file[2] = {};
  MarketEvent ev;
  while (merger.next(ev)) ++per_file[merger.last_file()];
  std::cout << "[ recorded ] merged 20240808: BTC " << per_file[0] << " events, ETH " << per_file[1]
            << "\n";
  EXPECT_EQ(per_file[0], merger.reader(0).stats().events);
  EXPECT_EQ(per_file[1], merger.reader(1).stats().events);
  EXPECT_GT(per_file[0], 80'000u);
  EXPECT_GT(per_file[1], 60'000u);
}

}  // namespace
}  // namespace exitbrain
