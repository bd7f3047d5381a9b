// The markPriceUpdate fast path never changes a result: for every message, recorded or
// bent out of shape, the parser with it and the parser without it (simdjson only) answer
// the same status, the same event and the same error field. And it does take the common
// case, or it would save nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/symbol_table.hpp"
#include "net/binance_message_parser.hpp"
#include "net/mark_price_fast_path.hpp"
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
  FastMarkPrice m;
  ASSERT_TRUE(parse_mark_price_fast(kCanonical, m));
  EXPECT_EQ(m.symbol, "BTCUSDT");
  EXPECT_EQ(m.event_time, 1680652800010);
  EXPECT_EQ(to_string(m.price), "28155.1");
  EXPECT_DOUBLE_EQ(m.funding_rate, 0.0000276);
  // No funding on delivery contracts: "r":"" reads as 0.
  std::string no_funding = kCanonical;
  no_funding.replace(no_funding.find("0.00002760"), 10, "");
  ASSERT_TRUE(parse_mark_price_fast(no_funding, m));
  EXPECT_EQ(m.funding_rate, 0.0);
  ASSERT_TRUE(parse_mark_price_fast(kCanonical + "\r\n", m));  // trailing whitespace only
  // Today's documented layout: "ap" after "p", and "i" before "P" (exitbrain-sim sends the
  // latter without "ap").
  const std::string documented =
      R"({"stream":"btcusdt@markPrice","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","ap":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}})";
  ASSERT_TRUE(parse_mark_price_fast(documented, m));
  EXPECT_EQ(to_string(m.price), "11794.15");
  // What exitbrain-sim streams takes the fast path too (the live tests run through it).
  Decimal mark, index;
  ASSERT_EQ(parse_decimal("64000.5", mark), DecimalError::kOk);
  ASSERT_EQ(parse_decimal("64001", index), DecimalError::kOk);
  ASSERT_TRUE(parse_mark_price_fast(
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
    FastMarkPrice f;
    EXPECT_FALSE(parse_mark_price_fast(m, f)) << m;
    expect_same(p.fast, p.general, m);
  }
  // In the layout, the symbol read as a plain string: the table looks it up for both
  // paths, so a lower-case name finds its symbol and an empty one none, either way.
  for (const std::string& m :
       {variant("\"BTCUSDT\"", "\"btcusdt\""), variant("\"BTCUSDT\"", "\"\"")}) {
    FastMarkPrice f;
    EXPECT_TRUE(parse_mark_price_fast(m, f)) << m;
    expect_same(p.fast, p.general, m);
  }
  EXPECT_EQ(parse_with(p.fast, variant("\"BTCUSDT\"", "\"btcusdt\"")).status, ParseStatus::kOk);
  EXPECT_NE(parse_with(p.fast, variant("\"BTCUSDT\"", "\"\"")).status, ParseStatus::kOk);
  // In the layout but a symbol the table lacks: the general path answers kUnknownSymbol,
  // or interns it for a parser that does.
  const std::string sol = variant("\"BTCUSDT\"", "\"SOLUSDT\"");
  FastMarkPrice sol_fields;
  EXPECT_TRUE(parse_mark_price_fast(sol, sol_fields));
  expect_same(p.fast, p.general, sol);
  EXPECT_EQ(parse_with(p.fast, sol).status, ParseStatus::kUnknownSymbol);
  SymbolTable replay_symbols;
  BinanceMessageParser replay(replay_symbols, /*intern_unknown_symbols=*/true);
  const Answer interned = parse_with(replay, sol);
  ASSERT_EQ(interned.status, ParseStatus::kOk);
  EXPECT_EQ(replay_symbols.name(interned.events.at(0).symbol), "SOLUSDT");
  // Cut at every length: never taken, always the general parser's answer.
  for (std::size_t n = 0; n < kCanonical.size(); ++n) {
    FastMarkPrice f;
    const std::string cut = kCanonical.substr(0, n);
    EXPECT_FALSE(parse_mark_price_fast(cut, f)) << cut;
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
      FastMarkPrice f;
      taken += parse_mark_price_fast(c.json, f);
      expect_same(p.fast, p.general, std::string(c.json));
    }
  }
  EXPECT_GT(marks, 400u);
  EXPECT_EQ(taken, marks) << "every recorded markPriceUpdate is in Binance's layout";
}

}  // namespace
}  // namespace exitbrain
