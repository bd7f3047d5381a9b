// The market fast paths (markPriceUpdate, bookTicker, aggTrade) never change a result: for
// every message, recorded or bent out of shape, the parser with them and the parser without
// them (simdjson only) answer the same status, the same event and the same error field. And
// they do take the common case, or they would save nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/symbol_table.hpp"
#include "net/binance_message_parser.hpp"
#include "net/market_fast_paths.hpp"
#include "tests/support/paths.hpp"
#include "tools/market_data/market_reader.hpp"
#include "tools/sim/market_feed.hpp"

namespace exitbrain {
namespace {

const std::string kCanonical =
    R"({"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1680652800010,"s":"BTCUSDT","p":"28155.10000000","P":"28141.47600845","i":"28165.04857143","r":"0.00002760","T":1680652800000}})";

struct Answer {
  ParseStatus status = ParseStatus::kOk;
  std::vector<MarketEvent> events;
  std::string error_field, error_reason;
};

Answer parse_with(BinanceMessageParser& parser, const std::string& msg) {
  std::string buf = msg;
  buf.reserve(padded_capacity(msg.size()));
  Answer a;
  a.status = parser.parse(buf.data(), buf.size(), buf.capacity(),
                          [&](const MarketEvent& ev) { a.events.push_back(ev); });
  if (a.status == ParseStatus::kMalformed) {
    a.error_field = parser.last_error().field;
    a.error_reason = parser.last_error().reason;
  }
  return a;
}

// Both parsers over `msg`: the same answer, field by field.
void expect_same(BinanceMessageParser& fast, BinanceMessageParser& general,
                 const std::string& msg) {
  const Answer a = parse_with(fast, msg), b = parse_with(general, msg);
  ASSERT_EQ(a.status, b.status) << msg;
  EXPECT_EQ(a.error_field, b.error_field) << msg;
  EXPECT_EQ(a.error_reason, b.error_reason) << msg;
  ASSERT_EQ(a.events.size(), b.events.size()) << msg;
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    const MarketEvent &x = a.events[i], &y = b.events[i];
    EXPECT_EQ(x.kind, y.kind) << msg;
    EXPECT_EQ(x.event_time, y.event_time) << msg;
    EXPECT_EQ(x.symbol, y.symbol) << msg;
    EXPECT_EQ(x.price, y.price) << msg;
    EXPECT_EQ(x.funding_rate, y.funding_rate) << msg;
    EXPECT_EQ(x.bid, y.bid) << msg;
    EXPECT_EQ(x.ask, y.ask) << msg;
  }
}

// `from` replaced by `to` in `msg` (which must hold it).
std::string bend(std::string msg, const std::string& from, const std::string& to) {
  const std::size_t at = msg.find(from);
  EXPECT_NE(at, std::string::npos) << from << " in " << msg;
  if (at != std::string::npos) msg.replace(at, from.size(), to);
  return msg;
}

struct Parsers {
  SymbolTable symbols;
  BinanceMessageParser fast{symbols};
  BinanceMessageParser general{symbols};
  Parsers() {
    (void)symbols.intern("BTCUSDT");
    (void)symbols.intern("ETHUSDT");
    general.set_fast_paths(false);
  }
};

TEST(MarkPriceFastPath, TakesBinancesLayout) {
  FastMarketEvent m;
  ASSERT_TRUE(parse_market_fast(kCanonical, m));
  EXPECT_EQ(m.symbol, "BTCUSDT");
  EXPECT_EQ(m.event_time, 1680652800010);
  EXPECT_EQ(to_string(m.price), "28155.1");
  EXPECT_DOUBLE_EQ(m.funding_rate, 0.0000276);
  // No funding on delivery contracts: "r":"" reads as 0.
  std::string no_funding = kCanonical;
  no_funding.replace(no_funding.find("0.00002760"), 10, "");
  ASSERT_TRUE(parse_market_fast(no_funding, m));
  EXPECT_EQ(m.funding_rate, 0.0);
  ASSERT_TRUE(parse_market_fast(kCanonical + "\r\n", m));  // trailing whitespace only
  // Today's documented layout: "ap" after "p", and "i" before "P" (exitbrain-sim sends the
  // latter without "ap").
  const std::string documented =
      R"({"stream":"btcusdt@markPrice","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","ap":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}})";
  ASSERT_TRUE(parse_market_fast(documented, m));
  EXPECT_EQ(to_string(m.price), "11794.15");
  // What exitbrain-sim streams takes the fast path too (the live tests run through it).
  Decimal mark, index;
  ASSERT_EQ(parse_decimal("64000.5", mark), DecimalError::kOk);
  ASSERT_EQ(parse_decimal("64001", index), DecimalError::kOk);
  ASSERT_TRUE(parse_market_fast(
      sim::wrap_combined("btcusdt@markPrice@1s",
                         sim::mark_price_payload("BTCUSDT", 1771000000000, mark, index, "0.0001")),
      m));
  EXPECT_EQ(m.price, mark);
  EXPECT_EQ(m.event_time, 1771000000000);

  Parsers p;
  expect_same(p.fast, p.general, kCanonical);
  expect_same(p.fast, p.general, no_funding);
  expect_same(p.fast, p.general, documented);
}

TEST(MarkPriceFastPath, AnythingElseGoesTheGeneralWayWithTheSameAnswer) {
  Parsers p;
  auto variant = [&](const std::string& from, const std::string& to) {
    std::string m = kCanonical;
    const std::size_t at = m.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    m.replace(at, from.size(), to);
    return m;
  };
  const std::vector<std::string> bent = {
      variant(R"("E":1680652800010,"s":"BTCUSDT")", R"("s":"BTCUSDT","E":1680652800010)"),
      variant(R"(,"data":{)", R"(, "data": {)"),
      variant(R"("P":"28141.47600845")", R"("P":"28141.4\u0037600845")"),
      variant("28141.47600845", "28141.4760084\xff"),       // not UTF-8: simdjson refuses it
      variant("28141.47600845", "28141.47600845\xc3\xa9"),  // UTF-8, not ASCII
      variant("28141.47600845", std::string("28141.4\x01")),
      variant("28155.10000000", "-28155.1"),
      variant("28155.10000000", "0.00000000"),
      variant("28155.10000000", "28155.1x"),
      variant("28155.10000000", "28155.123456789"),
      variant("0.00002760", "abc"),
      variant(R"("i":"28165.04857143")", R"("P":"28165.04857143")"),  // "P" twice
      variant(R"("P":"28141.47600845")", R"("i":"28141.47600845")"),  // "i" twice
      variant(R"("p":"28155.10000000",)", R"("p":"28155.10000000","ap":"2815\u0035",)"),
      variant(R"("p":"28155.10000000",)", R"("p":"28155.10000000","ap":1,)"),
      variant(R"("p":"28155.10000000",)", R"("ap":"28155.1","p":"28155.10000000",)"),
      variant("1680652800010", "01680652800010"),
      variant("1680652800010", "16806528000101234567"),
      variant("1680652800010", "-1"),
      variant("1680652800010", "1.68e12"),
      variant("markPriceUpdate", "markPriceUpdatex"),
      variant(R"(,"T":1680652800000)", ""),
      variant(R"("T":1680652800000)", R"("T":1680652800000,"x":1)"),
      kCanonical + "x",
      kCanonical + "}",
      R"({"data":{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"1","P":"1","i":"1","r":"","T":1},"stream":"btcusdt@markPrice"})",
  };
  for (const std::string& m : bent) {
    FastMarketEvent f;
    EXPECT_FALSE(parse_market_fast(m, f)) << m;
    expect_same(p.fast, p.general, m);
  }
  // In the layout, the symbol read as a plain string: the table looks it up for both
  // paths, so a lower-case name finds its symbol and an empty one none, either way.
  for (const std::string& m :
       {variant("\"BTCUSDT\"", "\"btcusdt\""), variant("\"BTCUSDT\"", "\"\"")}) {
    FastMarketEvent f;
    EXPECT_TRUE(parse_market_fast(m, f)) << m;
    expect_same(p.fast, p.general, m);
  }
  EXPECT_EQ(parse_with(p.fast, variant("\"BTCUSDT\"", "\"btcusdt\"")).status, ParseStatus::kOk);
  EXPECT_NE(parse_with(p.fast, variant("\"BTCUSDT\"", "\"\"")).status, ParseStatus::kOk);
  // In the layout but a symbol the table lacks: the general path answers kUnknownSymbol,
  // or interns it for a parser that does.
  const std::string sol = variant("\"BTCUSDT\"", "\"SOLUSDT\"");
  FastMarketEvent sol_fields;
  EXPECT_TRUE(parse_market_fast(sol, sol_fields));
  expect_same(p.fast, p.general, sol);
  EXPECT_EQ(parse_with(p.fast, sol).status, ParseStatus::kUnknownSymbol);
  SymbolTable replay_symbols;
  BinanceMessageParser replay(replay_symbols, /*intern_unknown_symbols=*/true);
  const Answer interned = parse_with(replay, sol);
  ASSERT_EQ(interned.status, ParseStatus::kOk);
  EXPECT_EQ(replay_symbols.name(interned.events.at(0).symbol), "SOLUSDT");
  // Cut at every length: never taken, always the general parser's answer.
  for (std::size_t n = 0; n < kCanonical.size(); ++n) {
    FastMarketEvent f;
    const std::string cut = kCanonical.substr(0, n);
    EXPECT_FALSE(parse_market_fast(cut, f)) << cut;
    expect_same(p.fast, p.general, cut);
  }
}

TEST(MarkPriceFastPath, EveryRecordedMarkPriceGivesTheSameEvent) {
  const std::filesystem::path data = testing::shared_data_dir();
  if (data.empty()) GTEST_SKIP() << "recorded data absent (../shared/data or EXITBRAIN_DATA_DIR)";
  Parsers p;
  std::size_t marks = 0, taken = 0;
  for (const char* name : {"btcusdt_20230404.dat.gz", "btcusdt_20230405.dat.gz"}) {
    const std::filesystem::path path = data / "ws" / "usdm" / name;
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent";
    GzLineReader reader(path.string());
    std::string_view line;
    while (reader.next(line)) {
      const CaptureLine c = classify_capture_line(line);
      if (c.kind != CaptureLineKind::kJson || c.json.find("markPriceUpdate") == c.json.npos)
        continue;
      ++marks;
      FastMarketEvent f;
      taken += parse_market_fast(c.json, f);
      expect_same(p.fast, p.general, std::string(c.json));
    }
  }
  EXPECT_GT(marks, 400u);
  EXPECT_EQ(taken, marks) << "every recorded markPriceUpdate is in Binance's layout";
}

// Every recorded combined message of `type` ("bookTicker", "aggTrade") in `files` under
// ws/: all of them take the fast path and give the general path's event. Returns how many.
std::size_t expect_every_recorded_taken(const std::vector<std::string>& files,
                                        const std::string& type) {
  const std::filesystem::path data = testing::shared_data_dir();
  Parsers p;
  SymbolTable& symbols = p.symbols;
  std::size_t seen = 0, taken = 0;
  const std::string needle = "\"e\":\"" + type + "\"";
  for (const std::string& name : files) {
    const std::filesystem::path path = data / "ws" / name;
    if (!std::filesystem::exists(path)) continue;
    GzLineReader reader(path.string());
    std::string_view line;
    while (reader.next(line)) {
      const CaptureLine c = classify_capture_line(line);
      if (c.kind != CaptureLineKind::kJson || c.json.find(needle) == c.json.npos) continue;
      ++seen;
      FastMarketEvent f;
      const bool fast = parse_market_fast(c.json, f);
      taken += fast;
      if (fast) (void)symbols.intern(f.symbol);  // both paths then know the symbol
      expect_same(p.fast, p.general, std::string(c.json));
      if (!fast) ADD_FAILURE() << "not taken: " << c.json;
      if (::testing::Test::HasFailure()) return seen;
    }
  }
  EXPECT_EQ(taken, seen) << "every recorded " << type << " is in one of Binance's layouts";
  return seen;
}

// `layouts`, and three seconds of exitbrain-sim's synthetic BTCUSDT (with `o`'s streams) on
// the stream ending `suffix`: every message takes the fast path with the general path's event.
void expect_taken_as_the_general_path_reads_them(sim::SyntheticFeedOptions o,
                                                 const std::string& suffix,
                                                 const std::vector<std::string>& layouts) {
  o.symbols = {{"BTCUSDT", 60000.0}};
  o.end_ms = o.start_ms + 3000;
  auto feed = sim::make_synthetic_feed(o);
  Parsers p;
  FastMarketEvent m;
  int taken = 0;
  while (auto msg = feed->next()) {
    if (msg->stream.find(suffix) == std::string::npos) continue;
    const std::string combined = sim::wrap_combined(msg->stream, msg->payload);
    EXPECT_TRUE(parse_market_fast(combined, m)) << combined;
    expect_same(p.fast, p.general, combined);
    ++taken;
  }
  EXPECT_EQ(taken, 3) << suffix;
  for (const std::string& msg : layouts) {
    EXPECT_TRUE(parse_market_fast(msg, m)) << msg;
    expect_same(p.fast, p.general, msg);
  }
}

const std::string kBookStream =
    R"({"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":2710246762461,"s":"BTCUSDT","b":"28145.10","B":"3.868","a":"28145.20","A":"6.887","T":1680652700430,"E":1680652700435}})";
const std::string kBookDocumented =
    R"({"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BTCUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}})";

TEST(BookTickerFastPath, TakesBinancesLayouts) {
  FastMarketEvent m;
  ASSERT_TRUE(parse_market_fast(kBookStream, m));
  EXPECT_EQ(m.kind, MarketEventKind::kBookTicker);
  EXPECT_EQ(m.symbol, "BTCUSDT");
  EXPECT_EQ(m.event_time, 1680652700435) << "E, not T";
  EXPECT_EQ(to_string(m.bid), "28145.1");
  EXPECT_EQ(to_string(m.ask), "28145.2");
  EXPECT_TRUE(m.price.is_zero());
  ASSERT_TRUE(parse_market_fast(kBookDocumented, m));
  EXPECT_EQ(m.event_time, 1568014460893);
  EXPECT_EQ(to_string(m.bid), "25.3519");
  // What exitbrain-sim streams (--synthetic-book-ticker) takes it too.
  sim::SyntheticFeedOptions o;
  o.book_ticker = true;
  expect_taken_as_the_general_path_reads_them(o, "@bookTicker", {kBookStream, kBookDocumented});
}

TEST(BookTickerFastPath, AnythingElseGoesTheGeneralWayWithTheSameAnswer) {
  Parsers p;
  const std::string& k = kBookStream;
  const std::vector<std::string> bent = {
      bend(k, R"("s":"BTCUSDT","b")", R"("b")"),  // no symbol
      bend(k, R"(,"E":1680652700435)", ""),       // T only: the general path reads T
      bend(k, R"("T":1680652700430,)", ""),
      bend(k, R"("T":1680652700430,"E":1680652700435)", R"("E":1680652700435,"T":1680652700430)"),
      bend(k, "28145.10", "0"),
      bend(k, "28145.20", "-1"),
      bend(k, "28145.20", "28145.2x"),
      bend(k, R"("B":"3.868")", R"("B":3.868)"),
      bend(k, R"("A":"6.887")", R"("A":"6.8\u0037")"),
      bend(k, "2710246762461", "-2710246762461"),
      bend(k, "2710246762461", "\"2710246762461\""),
      bend(k, "1680652700435", "1680652700435.5"),
      bend(k, "1680652700435", "01680652700435"),
      bend(k, R"("e":"bookTicker")", R"("e":"bookTickers")"),
      bend(k, R"("u":2710246762461,)", ""),
      bend(k, R"(,"data":{)", R"(, "data":{)"),
      bend(kBookDocumented, R"("E":1568014460893,"T":1568014460891)", R"("E":1568014460893)"),
      bend(kBookDocumented, R"("A":"40.66000000")", R"("A":"40.66000000","x":1)"),
      k + "}",
      k + " x",
  };
  for (const std::string& m : bent) {
    FastMarketEvent f;
    EXPECT_FALSE(parse_market_fast(m, f)) << m;
    expect_same(p.fast, p.general, m);
  }
  // A symbol the table lacks: the general path's answer, either way.
  const std::string sol = bend(k, "\"BTCUSDT\"", "\"SOLUSDT\"");
  FastMarketEvent f;
  EXPECT_TRUE(parse_market_fast(sol, f));
  expect_same(p.fast, p.general, sol);
  EXPECT_EQ(parse_with(p.fast, sol).status, ParseStatus::kUnknownSymbol);
  for (const std::string& whole : {kBookStream, kBookDocumented}) {
    for (std::size_t n = 0; n < whole.size(); ++n) {
      const std::string cut = whole.substr(0, n);
      EXPECT_FALSE(parse_market_fast(cut, f)) << cut;
      expect_same(p.fast, p.general, cut);
    }
  }
}

TEST(BookTickerFastPath, EveryRecordedBookTickerGivesTheSameEvent) {
  if (testing::shared_data_dir().empty())
    GTEST_SKIP() << "recorded data absent (../shared/data or EXITBRAIN_DATA_DIR)";
  const std::size_t seen = expect_every_recorded_taken(
      {"usdm/btcusdt_20230404.dat.gz", "usdm/btcusdt_20240718.gz", "usdm/ethusdt_20240718.gz",
       "multi/BINANCE_FUTURES.ws.1.0", "multi/BINANCE_FUTURES.ws.5.0"},
      "bookTicker");
  EXPECT_GT(seen, 1000u);
}

const std::string kAggStream =
    R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1617647797640,"a":9445517,"s":"BTCUSDT","p":"0.69067","q":"369","f":12821738,"l":12821738,"T":1617647797485,"m":true}})";
const std::string kAggDocumented =
    R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","nq":"100","f":100,"l":105,"T":123456785,"m":false}})";

TEST(AggTradeFastPath, TakesBinancesLayouts) {
  FastMarketEvent m;
  ASSERT_TRUE(parse_market_fast(kAggStream, m));
  EXPECT_EQ(m.kind, MarketEventKind::kTrade);
  EXPECT_EQ(m.symbol, "BTCUSDT");
  EXPECT_EQ(m.event_time, 1617647797640) << "E, not T";
  EXPECT_EQ(to_string(m.price), "0.69067");
  ASSERT_TRUE(parse_market_fast(kAggDocumented, m));
  EXPECT_EQ(m.event_time, 123456789);
  EXPECT_EQ(to_string(m.price), "0.001");
  // Without "nq" (the documentation before 2025).
  ASSERT_TRUE(parse_market_fast(bend(kAggDocumented, R"(,"nq":"100")", ""), m));
  sim::SyntheticFeedOptions o;
  o.agg_trades = true;
  expect_taken_as_the_general_path_reads_them(o, "@aggTrade", {kAggStream, kAggDocumented});
}

TEST(AggTradeFastPath, AnythingElseGoesTheGeneralWayWithTheSameAnswer) {
  Parsers p;
  const std::string& k = kAggStream;
  const std::vector<std::string> bent = {
      bend(k, R"("m":true)", R"("m":1)"),
      bend(k, R"("m":true)", R"("m":tru)"),
      bend(k, R"("m":true)", R"("m":truex)"),
      bend(k, R"(,"m":true)", ""),
      bend(k, "0.69067", "0"),
      bend(k, "0.69067", "-0.69067"),
      bend(k, "0.69067", "0.69067x"),
      bend(k, R"("q":"369")", R"("q":369)"),
      bend(k, R"("q":"369",)", R"("q":"369","nq":7,)"),
      bend(k, R"("a":9445517,)", ""),
      bend(k, "12821738,\"l\"", "-1,\"l\""),
      bend(k, R"("s":"BTCUSDT")", R"("s":"BTC\u0055SDT")"),
      bend(k, R"("E":1617647797640)", R"("E":"1617647797640")"),
      bend(k, R"("e":"aggTrade")", R"("e":"trade")"),
      bend(kAggDocumented, R"("s":"BTCUSDT","a":5933014)", R"("s":"BTCUSDT")"),
      bend(kAggDocumented, R"("nq":"100",)", R"("nq":"100","nq":"100",)"),
      k + "\x01",
  };
  for (const std::string& m : bent) {
    FastMarketEvent f;
    EXPECT_FALSE(parse_market_fast(m, f)) << m;
    expect_same(p.fast, p.general, m);
  }
  FastMarketEvent f;
  for (const std::string& whole : {kAggStream, kAggDocumented}) {
    for (std::size_t n = 0; n < whole.size(); ++n) {
      const std::string cut = whole.substr(0, n);
      EXPECT_FALSE(parse_market_fast(cut, f)) << cut;
      expect_same(p.fast, p.general, cut);
    }
  }
}

TEST(AggTradeFastPath, EveryRecordedAggTradeGivesTheSameEvent) {
  if (testing::shared_data_dir().empty())
    GTEST_SKIP() << "recorded data absent (../shared/data or EXITBRAIN_DATA_DIR)";
  const std::size_t seen =
      expect_every_recorded_taken({"multi/BINANCE_FUTURES-1125a2.0", "multi/BINANCE_FUTURES.ws.1.0",
                                   "multi/BINANCE_FUTURES.ws.5.0"},
                                  "aggTrade");
  EXPECT_GT(seen, 500u);
}

}  // namespace
}  // namespace exitbrain
