#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "net/binance_message_parser.hpp"
#include "tests/support/decimal_text.hpp"
#include "tests/support/paths.hpp"
#include "tools/market_data/market_reader.hpp"

// Counts every allocation of the test binary, to prove the parser makes none per message.
#include "tests/support/counting_new.inc"

namespace exitbrain {
namespace {

// Owns a padded copy of each message, as a websocket frame buffer would.
class ParserHarness {
 public:
  explicit ParserHarness(bool intern = false) : parser(symbols, intern) {
    btc = *symbols.intern("BTCUSDT");
    eth = *symbols.intern("ETHUSDT");
  }
  ParseStatus parse(std::string_view message) {
    buffer.assign(message.begin(), message.end());
    buffer.resize(padded_capacity(message.size()), '\0');
    events.clear();
    return parser.parse(buffer.data(), message.size(), buffer.size(),
                        [this](const MarketEvent& e) { events.push_back(e); });
  }
  // As parse, with the padding after the message filled with `fill` (a receive buffer's
  // holds the tail of the frame before).
  ParseStatus parse_padded_with(std::string_view message, char fill) {
    buffer.assign(message.begin(), message.end());
    buffer.resize(padded_capacity(message.size()), fill);
    events.clear();
    return parser.parse(buffer.data(), message.size(), buffer.size(),
                        [this](const MarketEvent& e) { events.push_back(e); });
  }
  std::string error() const {
    return std::string(parser.last_error().field) + ": " + parser.last_error().reason;
  }

  SymbolTable symbols;
  BinanceMessageParser parser;
  SymbolId btc = kNoSymbol, eth = kNoSymbol;
  std::vector<char> buffer;
  std::vector<MarketEvent> events;
};

std::string combined(std::string_view stream, std::string_view data) {
  return "{\"stream\":\"" + std::string(stream) + "\",\"data\":" + std::string(data) + "}";
}

constexpr std::string_view kMarkPrice =
    R"({"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","ap":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000})";
constexpr std::string_view kTrade =
    R"({"e":"trade","E":1680652700455,"T":1680652700452,"s":"BTCUSDT","t":3535186032,"p":"28145.10","q":"0.002","X":"MARKET","m":true})";
constexpr std::string_view kAggTrade =
    R"({"e":"aggTrade","E":123456789,"s":"ETHUSDT","a":5933014,"p":"0.001","q":"100","nq":"100","f":100,"l":105,"T":123456785,"m":true})";
constexpr std::string_view kBookTicker =
    R"({"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BTCUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"})";
constexpr std::string_view kKline =
    R"({"e":"kline","E":1638747660000,"s":"BTCUSDT","k":{"t":1638747660000,"T":1638747719999,"s":"BTCUSDT","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}})";

void expect_mark_price(const ParserHarness& h) {
  ASSERT_EQ(h.events.size(), 1u);
  const MarketEvent& e = h.events[0];
  EXPECT_EQ(e.kind, MarketEventKind::kMarkPrice);
  EXPECT_EQ(e.symbol, h.btc);
  EXPECT_EQ(e.event_time, 1562305380000);
  EXPECT_EQ(e.price, testing::dec("11794.15"));
  EXPECT_DOUBLE_EQ(e.funding_rate, 0.00038167);
}

TEST(BinanceMessageParser, MarkPriceRawAndCombined) {
  ParserHarness h;
  EXPECT_EQ(h.parse(kMarkPrice), ParseStatus::kOk) << h.error();
  expect_mark_price(h);
  EXPECT_EQ(h.parse(combined("btcusdt@markPrice@1s", kMarkPrice)), ParseStatus::kOk) << h.error();
  expect_mark_price(h);
}

TEST(BinanceMessageParser, TradeAndAggTradeRawAndCombined) {
  ParserHarness h;
  for (std::string msg : {std::string(kTrade), combined("btcusdt@trade", kTrade)}) {
    ASSERT_EQ(h.parse(msg), ParseStatus::kOk) << h.error();
    ASSERT_EQ(h.events.size(), 1u);
    EXPECT_EQ(h.events[0].kind, MarketEventKind::kTrade);
    EXPECT_EQ(h.events[0].symbol, h.btc);
    EXPECT_EQ(h.events[0].event_time, 1680652700455);
    EXPECT_EQ(h.events[0].price, testing::dec("28145.10"));
  }
  for (std::string msg : {std::string(kAggTrade), combined("ethusdt@aggTrade", kAggTrade)}) {
    ASSERT_EQ(h.parse(msg), ParseStatus::kOk) << h.error();
    ASSERT_EQ(h.events.size(), 1u);
    EXPECT_EQ(h.events[0].kind, MarketEventKind::kTrade);
    EXPECT_EQ(h.events[0].symbol, h.eth);
    EXPECT_EQ(h.events[0].event_time, 123456789);
    EXPECT_EQ(h.events[0].price, testing::dec("0.001"));
  }
}

TEST(BinanceMessageParser, BookTickerRawAndCombined) {
  ParserHarness h;
  for (std::string msg : {std::string(kBookTicker), combined("btcusdt@bookTicker", kBookTicker)}) {
    ASSERT_EQ(h.parse(msg), ParseStatus::kOk) << h.error();
    ASSERT_EQ(h.events.size(), 1u);
    const MarketEvent& e = h.events[0];
    EXPECT_EQ(e.kind, MarketEventKind::kBookTicker);
    EXPECT_EQ(e.symbol, h.btc);
    EXPECT_EQ(e.event_time, 1568014460893);
    EXPECT_EQ(e.bid, testing::dec("25.3519"));
    EXPECT_EQ(e.ask, testing::dec("25.3652"));
  }
}

TEST(BinanceMessageParser, BookTickerWithoutEventTimeUsesTransactionTime) {
  ParserHarness h;
  ASSERT_EQ(
      h.parse(
          R"({"e":"bookTicker","u":1,"s":"BTCUSDT","b":"1.5","B":"1","a":"1.6","A":"2","T":1700000000123})"),
      ParseStatus::kOk)
      << h.error();
  ASSERT_EQ(h.events.size(), 1u);
  EXPECT_EQ(h.events[0].event_time, 1700000000123);
}

TEST(BinanceMessageParser, KlineRawAndCombined) {
  ParserHarness h;
  for (std::string msg : {std::string(kKline), combined("btcusdt@kline_1m", kKline)}) {
    ASSERT_EQ(h.parse(msg), ParseStatus::kOk) << h.error();
    ASSERT_EQ(h.events.size(), 1u);
    const MarketEvent& e = h.events[0];
    EXPECT_EQ(e.kind, MarketEventKind::kKline);
    EXPECT_EQ(e.symbol, h.btc);
    EXPECT_EQ(e.event_time, 1638747660000);
    EXPECT_FALSE(e.kline_closed);
    EXPECT_EQ(e.kline.open_time, 1638747660000);
    EXPECT_EQ(e.kline.interval_ms, 60'000);
    EXPECT_EQ(e.kline.close_time(), 1638747719999);
    EXPECT_EQ(e.kline.open, testing::dec("0.0010"));
    EXPECT_EQ(e.kline.high, testing::dec("0.0025"));
    EXPECT_EQ(e.kline.low, testing::dec("0.0015"));
    EXPECT_EQ(e.kline.close, testing::dec("0.0020"));
  }
  std::string closed(kKline);
  closed.replace(closed.find("\"x\":false"), 9, "\"x\":true");
  closed.replace(closed.find("\"i\":\"1m\""), 8, "\"i\":\"4h\"");
  ASSERT_EQ(h.parse(closed), ParseStatus::kOk) << h.error();
  EXPECT_TRUE(h.events[0].kline_closed);
  EXPECT_EQ(h.events[0].kline.interval_ms, 4 * 3'600'000);
}

TEST(BinanceMessageParser, KeysInAnotherOrderStillParse) {
  ParserHarness h;
  ASSERT_EQ(h.parse(R"({"p":"2.5","s":"ETHUSDT","E":42,"e":"trade"})"), ParseStatus::kOk)
      << h.error();
  ASSERT_EQ(h.events.size(), 1u);
  EXPECT_EQ(h.events[0].symbol, h.eth);
  EXPECT_EQ(h.events[0].event_time, 42);
  EXPECT_EQ(h.events[0].price, testing::dec("2.5"));
  ASSERT_EQ(
      h.parse(R"({"data":{"e":"trade","E":7,"s":"BTCUSDT","p":"3"},"stream":"btcusdt@trade"})"),
      ParseStatus::kOk)
      << h.error();
  EXPECT_EQ(h.events[0].event_time, 7);
}

TEST(BinanceMessageParser, MarkPriceArrayRawAndCombinedYieldsOneEventPerKnownSymbol) {
  const std::string array =
      R"([{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"100.5","r":"0.0001","T":2},)"
      R"({"e":"markPriceUpdate","E":1,"s":"XRPUSDT","p":"0.5","r":"0.0002","T":2},)"
      R"({"e":"markPriceUpdate","E":1,"s":"ETHUSDT","p":"20","r":"-0.0003","T":2},)"
      R"({"e":"markPriceUpdate","E":1,"s":"BTCUSDT_250926","p":"101","r":"","T":0}])";
  ParserHarness h;
  for (std::string msg : {array, combined("!markPrice@arr@1s", array)}) {
    ASSERT_EQ(h.parse(msg), ParseStatus::kOk) << h.error();
    ASSERT_EQ(h.events.size(), 2u);  // XRP and the delivery contract are not in the table
    EXPECT_EQ(h.events[0].symbol, h.btc);
    EXPECT_EQ(h.events[0].price, testing::dec("100.5"));
    EXPECT_EQ(h.events[1].symbol, h.eth);
    EXPECT_DOUBLE_EQ(h.events[1].funding_rate, -0.0003);
  }
  ParserHarness interning(true);
  ASSERT_EQ(interning.parse(array), ParseStatus::kOk) << interning.error();
  ASSERT_EQ(interning.events.size(), 4u);
  EXPECT_EQ(interning.symbols.name(interning.events[1].symbol), "XRPUSDT");
  EXPECT_EQ(interning.events[3].funding_rate, 0.0);  // delivery contract: "r":""
  EXPECT_EQ(h.parse("[]"), ParseStatus::kIgnored);
}

TEST(BinanceMessageParser, IgnoresMessagesItDoesNotUse) {
  ParserHarness h;
  const char* ignored[] = {
      R"({"result":null,"id":1})",
      R"({"result":["btcusdt@aggTrade"],"id":3})",
      R"({"code":2,"msg":"Invalid request"})",
      R"({"lastUpdateId":2710246765483,"E":1680652700590,"T":1680652700580,"bids":[["28145.10","3.818"]],"asks":[["28145.20","6.887"]]})",
      R"({"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[["1.0","2"]],"a":[]}})",
      R"({"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[],"a":[]})",
      R"({"stream":"btcusdt@forceOrder","data":{"e":"forceOrder","E":1,"o":{}}})",
      R"({})",
  };
  for (const char* msg : ignored) {
    EXPECT_EQ(h.parse(msg), ParseStatus::kIgnored) << msg << " -> " << h.error();
    EXPECT_TRUE(h.events.empty());
  }
}

TEST(BinanceMessageParser, UnknownSymbolWithInterningOff) {
  ParserHarness h;
  std::string msg(kTrade);
  msg.replace(msg.find("BTCUSDT"), 7, "DOGEUSDT");
  EXPECT_EQ(h.parse(msg), ParseStatus::kUnknownSymbol);
  EXPECT_TRUE(h.events.empty());
  EXPECT_EQ(h.parse(combined("dogeusdt@trade", msg)), ParseStatus::kUnknownSymbol);
  EXPECT_FALSE(h.symbols.find("DOGEUSDT"));

  ParserHarness interning(true);
  ASSERT_EQ(interning.parse(msg), ParseStatus::kOk) << interning.error();
  ASSERT_TRUE(interning.symbols.find("DOGEUSDT"));
  EXPECT_EQ(interning.events[0].symbol, *interning.symbols.find("DOGEUSDT"));
}

struct MalformedCase {
  std::string message;
  std::string field;
  std::string reason;
};

TEST(BinanceMessageParser, MalformedMessagesNameTheField) {
  std::string zero_price = combined("btcusdt@trade", kTrade);
  zero_price.replace(zero_price.find("28145.10"), 8, "0.00");
  std::string negative_bid(kBookTicker);
  negative_bid.replace(negative_bid.find("25.35190000"), 11, "-1");
  std::string bad_number = combined("btcusdt@markPrice", kMarkPrice);
  bad_number.replace(bad_number.find("11794.15000000"), 14, "11794.1x");
  std::string bad_funding(kMarkPrice);
  bad_funding.replace(bad_funding.find("0.00038167"), 10, "abc");
  std::string bad_interval = combined("btcusdt@kline_1M", kKline);
  bad_interval.replace(bad_interval.find("\"1m\""), 4, "\"1M\"");
  std::string bad_low(kKline);
  bad_low.replace(bad_low.find("\"l\":\"0.0015\""), 12, "\"l\":\"\"");
  std::string string_time(kTrade);
  string_time.replace(string_time.find("1680652700455"), 13, "\"1680652700455\"");
  std::string no_closed_flag(kKline);
  no_closed_flag.replace(no_closed_flag.find(",\"x\":false"), 10, "");

  const std::vector<MalformedCase> cases = {
      {R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","p":)", "",
       "invalid JSON"},
      {"hello", "json", "invalid JSON"},
      {"}{", "json", "invalid JSON"},
      {R"({"e":"trade","E":1,"s":"BTCUSDT","p":"1"} trailing)", "json", "invalid JSON"},
      {R"({"e":"trade",,"E":1})", "E", "invalid JSON"},
      {"", "json", "invalid JSON"},
      {"42", "json", "not an object or array"},
      {zero_price, "data.p", "not positive"},
      {negative_bid, "b", "not positive"},
      {bad_number, "data.p", "not a decimal number"},
      {bad_funding, "r", "not a decimal number"},
      {bad_interval, "data.k.i", "not a kline interval"},
      {bad_low, "k.l", "not a decimal number"},
      {string_time, "E", "wrong JSON type"},
      {no_closed_flag, "k.x", "missing"},
      {R"({"e":"trade","E":1,"s":"BTCUSDT"})", "p", "missing"},
      {R"({"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","p":"1"}})", "data.E",
       "missing"},
      {R"({"stream":"btcusdt@trade","data":{"E":1,"s":"BTCUSDT","p":"1"}})", "data.e", "missing"},
      {R"({"stream":"btcusdt@trade"})", "data", "missing"},
      {R"({"stream":"btcusdt@trade","data":"x"})", "data", "not an object or array"},
      {R"({"stream":"!markPrice@arr","data":[{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"1","r":"0"},{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","r":"0"}]})",
       "data[].p", "missing"},
      {R"([{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"-1","r":"0"}])", "[].p", "not positive"},
      {R"([1])", "[]", "wrong JSON type"},
  };
  ParserHarness h;
  for (const MalformedCase& c : cases) {
    EXPECT_EQ(h.parse(c.message), ParseStatus::kMalformed) << c.message;
    if (!c.field.empty()) {
      EXPECT_EQ(h.parser.last_error().field, c.field) << c.message;
    }
    EXPECT_EQ(h.parser.last_error().reason, c.reason) << c.message << " -> " << h.error();
  }
  EXPECT_EQ(h.parser.stats().malformed, cases.size());
}

// Found by fuzz/fuzz_ws_frames.cpp: simdjson 3.0.1 took the byte after a malformed message
// for one more token, so {"x":} followed by '}' in the padding was ignored and followed by
// anything else malformed. What the padding holds must not change a message's outcome.
TEST(BinanceMessageParser, WhatFollowsAMessageInItsPaddingChangesNothing) {
  const std::vector<std::string_view> messages = {
      R"({"x":})",
      R"({"e":"trade","E":1,"s":"BTCUSDT","p":})",
      R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","p":)",
      R"([{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"1","r":"0"},)",
      R"({"e":"trade","E":1,"T":1,"s":"BTCUSDT","p":"28145.10","q":"0.002")",
      kTrade,
  };
  ParserHarness h;
  for (std::string_view m : messages) {
    const ParseStatus zeros = h.parse_padded_with(m, '\0');
    const std::string zeros_error = h.error();
    const std::size_t zeros_events = h.events.size();
    for (char fill : {'}', ']', ',', '"', ' ', 'x'}) {
      EXPECT_EQ(h.parse_padded_with(m, fill), zeros) << m << " followed by " << fill;
      if (zeros == ParseStatus::kMalformed) {
        EXPECT_EQ(h.error(), zeros_error) << m << " followed by " << fill;
      }
      EXPECT_EQ(h.events.size(), zeros_events) << m << " followed by " << fill;
    }
  }
}

TEST(BinanceMessageParser, RefusesUnpaddedInput) {
  ParserHarness h;
  std::string msg(kTrade);
  EXPECT_EQ(h.parser.parse(msg.data(), msg.size(), msg.size(), [](const MarketEvent&) {}),
            ParseStatus::kMalformed);
  EXPECT_STREQ(h.parser.last_error().field, "json");
}

TEST(BinanceMessageParser, CountsEveryOutcome) {
  ParserHarness h;
  ASSERT_EQ(h.parse(kTrade), ParseStatus::kOk);
  ASSERT_EQ(h.parse(kBookTicker), ParseStatus::kOk);
  ASSERT_EQ(h.parse(R"({"result":null,"id":1})"), ParseStatus::kIgnored);
  ASSERT_EQ(h.parse(R"({"e":"trade","E":1,"s":"XRPUSDT","p":"1"})"), ParseStatus::kUnknownSymbol);
  ASSERT_EQ(h.parse("{"), ParseStatus::kMalformed);
  ASSERT_EQ(
      h.parse(
          R"([{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"1","r":"0"},{"e":"markPriceUpdate","E":1,"s":"ETHUSDT","p":"1","r":"0"}])"),
      ParseStatus::kOk);
  const ParserStats& s = h.parser.stats();
  EXPECT_EQ(s.ok, 3u);
  EXPECT_EQ(s.ignored, 1u);
  EXPECT_EQ(s.unknown_symbol, 1u);
  EXPECT_EQ(s.malformed, 1u);
  EXPECT_EQ(s.events, 4u);
  h.parser.reset_stats();
  EXPECT_EQ(h.parser.stats().ok, 0u);
}

TEST(BinanceMessageParser, AllocatesNothingPerMessageOnceWarm) {
  SymbolTable symbols;
  symbols.intern("BTCUSDT");
  symbols.intern("ETHUSDT");
  BinanceMessageParser parser(symbols);
  std::vector<std::vector<char>> frames;
  for (std::string msg :
       {std::string(kMarkPrice), combined("btcusdt@trade", kTrade), std::string(kAggTrade),
        combined("btcusdt@bookTicker", kBookTicker), std::string(kKline),
        std::string(R"({"result":null,"id":1})"), std::string(R"({"e":"trade","E":1})"),
        combined("btcusdt@markPrice@1s", kMarkPrice), combined("ethusdt@aggTrade", kAggTrade)}) {
    std::vector<char> frame(msg.begin(), msg.end());
    frame.resize(padded_capacity(msg.size()));
    frames.push_back(std::move(frame));
  }
  const std::size_t lengths[] = {kMarkPrice.size(),
                                 combined("btcusdt@trade", kTrade).size(),
                                 kAggTrade.size(),
                                 combined("btcusdt@bookTicker", kBookTicker).size(),
                                 kKline.size(),
                                 std::string_view(R"({"result":null,"id":1})").size(),
                                 std::string_view(R"({"e":"trade","E":1})").size(),
                                 combined("btcusdt@markPrice@1s", kMarkPrice).size(),
                                 combined("ethusdt@aggTrade", kAggTrade).size()};
  std::size_t events = 0;
  auto count = [&events](const MarketEvent&) { ++events; };
  const long before_probe = g_allocations.load();
  delete new std::vector<int>(4);
  ASSERT_GT(g_allocations.load(), before_probe) << "allocation counting is not active";
  const long before = g_allocations.load();
  for (int round = 0; round < 1000; ++round) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      (void)parser.parse(frames[i].data(), lengths[i], frames[i].size(), count);
    }
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_EQ(events, 7000u);
  EXPECT_EQ(parser.stats().malformed, 1000u);
}

// Every message of every recorded capture parses; nothing is malformed.
TEST(BinanceMessageParser, ParsesEveryRecordedMessage) {
  const auto data = exitbrain::testing::shared_data_dir();
  if (data.empty() || !std::filesystem::exists(data / "ws")) {
    GTEST_SKIP() << "shared data not found (set EXITBRAIN_DATA_DIR or place it at ../shared/data)";
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data / "ws")) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());

  SymbolTable symbols;
  BinanceMessageParser parser(symbols, true);
  std::map<MarketEventKind, std::size_t> per_kind;
  std::size_t messages = 0;
  for (const auto& path : files) {
    GzLineReader lines(path.string());
    std::string_view line;
    while (lines.next(line)) {
      const CaptureLine capture = classify_capture_line(line);
      if (capture.kind != CaptureLineKind::kJson) continue;
      ++messages;
      const ParseStatus st = parser.parse(capture.json.data(), capture.json.size(),
                                          capture.json.size() + lines.padding_after(capture.json),
                                          [&](const MarketEvent& e) { ++per_kind[e.kind]; });
      ASSERT_NE(st, ParseStatus::kMalformed)
          << path << ":" << lines.line_number() << ": field '" << parser.last_error().field
          << "': " << parser.last_error().reason;
    }
  }
  const ParserStats& s = parser.stats();
  std::cout << "[ recorded ] " << files.size() << " files, " << messages << " messages: ok " << s.ok
            << ", ignored " << s.ignored << ", unknown " << s.unknown_symbol << ", malformed "
            << s.malformed << "; events: mark " << per_kind[MarketEventKind::kMarkPrice]
            << ", trade " << per_kind[MarketEventKind::kTrade] << ", bookTicker "
            << per_kind[MarketEventKind::kBookTicker] << ", kline "
            << per_kind[MarketEventKind::kKline] << "\n";
  EXPECT_EQ(s.malformed, 0u);
  EXPECT_EQ(s.unknown_symbol, 0u);
  EXPECT_GT(per_kind[MarketEventKind::kMarkPrice], 0u);
  EXPECT_GT(per_kind[MarketEventKind::kTrade], 0u);
  EXPECT_GT(per_kind[MarketEventKind::kBookTicker], 0u);
  EXPECT_GT(per_kind[MarketEventKind::kKline], 0u);
  EXPECT_EQ(s.ok + s.ignored, messages);
}

}  // namespace
}  // namespace exitbrain
