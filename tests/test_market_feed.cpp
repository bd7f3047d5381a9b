// exitbrain-sim market-data sources: synthetic and recorded feeds, stream routes, and that
// every payload they produce parses with exitbrain's own BinanceMessageParser.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/symbol_table.hpp"
#include "net/binance_message_parser.hpp"
#include "tests/support/decimal_text.hpp"
#include "tests/support/paths.hpp"
#include "tools/sim/market_feed.hpp"

namespace exitbrain::sim {
namespace {

namespace fs = std::filesystem;
using exitbrain::testing::dec;

// Parses one message (raw or wrapped) with exitbrain's parser; the events it delivered.
class ParseCheck {
 public:
  ParseStatus parse(const std::string& message) {
    buffer_ = message;
    buffer_.resize(padded_capacity(message.size()));
    events.clear();
    return parser_.parse(buffer_.data(), message.size(), buffer_.size(),
                         [this](const MarketEvent& ev) { events.push_back(ev); });
  }
  std::string name(SymbolId id) const { return std::string(symbols_.name(id)); }
  const ParseError& error() const { return parser_.last_error(); }

  std::vector<MarketEvent> events;

 private:
  SymbolTable symbols_;
  BinanceMessageParser parser_{symbols_, /*intern_unknown_symbols=*/true};
  std::string buffer_;
};

MarketEventKind expected_kind(const FeedMessage& m) {
  if (m.is_mark) return MarketEventKind::kMarkPrice;
  if (m.stream.ends_with("@bookTicker")) return MarketEventKind::kBookTicker;
  if (m.stream.find("@kline_") != std::string::npos) return MarketEventKind::kKline;
  return MarketEventKind::kTrade;
}

// The message parses raw and wrapped into exactly one event of its kind, symbol and time.
void expect_parses(ParseCheck& check, const FeedMessage& m) {
  for (const std::string& text : {m.payload, wrap_combined(m.stream, m.payload)}) {
    ASSERT_EQ(check.parse(text), ParseStatus::kOk)
        << text << "\n"
        << check.error().field << ": " << check.error().reason;
    ASSERT_EQ(check.events.size(), 1u) << text;
    const MarketEvent& ev = check.events[0];
    EXPECT_EQ(ev.kind, expected_kind(m)) << text;
    EXPECT_EQ(check.name(ev.symbol), m.symbol) << text;
    EXPECT_EQ(ev.event_time, m.time) << text;
    if (m.is_mark) {
      EXPECT_EQ(ev.price, m.mark) << text;
    }
  }
}

std::vector<FeedMessage> take(MarketFeed& feed, std::size_t n) {
  std::vector<FeedMessage> out;
  while (out.size() < n) {
    auto m = feed.next();
    if (!m) break;
    out.push_back(std::move(*m));
  }
  return out;
}
std::vector<FeedMessage> drain(MarketFeed& feed) {
  return take(feed, static_cast<std::size_t>(-1));
}

bool same(const FeedMessage& a, const FeedMessage& b) {
  return a.time == b.time && a.symbol == b.symbol && a.stream == b.stream &&
         a.payload == b.payload && a.is_mark == b.is_mark && a.mark == b.mark;
}

// ---------------------------------------------------------------- helpers

TEST(MarketFeedHelpers, RouteOfStream) {
  EXPECT_EQ(route_of_stream("btcusdt@markPrice@1s"), "/market");
  EXPECT_EQ(route_of_stream("btcusdt@markPrice"), "/market");
  EXPECT_EQ(route_of_stream("!markPrice@arr@1s"), "/market");
  EXPECT_EQ(route_of_stream("!markPrice@arr"), "/market");
  EXPECT_EQ(route_of_stream("btcusdt@kline_1m"), "/market");
  EXPECT_EQ(route_of_stream("btcusdt@aggTrade"), "/market");
  EXPECT_EQ(route_of_stream("btcusdt@trade"), "/market");
  EXPECT_EQ(route_of_stream("btcusdt@ticker"), "/market");
  EXPECT_EQ(route_of_stream("btcusdt@bookTicker"), "/public");
  EXPECT_EQ(route_of_stream("!bookTicker"), "/public");
  EXPECT_EQ(route_of_stream("btcusdt@depth"), "/public");
  EXPECT_EQ(route_of_stream("btcusdt@depth@100ms"), "/public");
  EXPECT_EQ(route_of_stream("btcusdt@depth5@500ms"), "/public");
  EXPECT_EQ(route_of_stream("pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"),
            "/private");
}

TEST(MarketFeedHelpers, WrapCombined) {
  const std::string payload = R"({"e":"aggTrade","E":5,"s":"BTCUSDT","p":"1.5","T":4})";
  EXPECT_EQ(
      wrap_combined("btcusdt@aggTrade", payload),
      R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":5,"s":"BTCUSDT","p":"1.5","T":4}})");
}

TEST(MarketFeedHelpers, MarkPricePayloadLayout) {
  EXPECT_EQ(format_fixed(dec("28155.1"), 8), "28155.10000000");
  EXPECT_EQ(format_fixed(dec("0.00012345"), 5), "0.00012");
  EXPECT_EQ(format_fixed(dec("-3.5"), 2), "-3.50");
  EXPECT_EQ(format_fixed(dec("42"), 0), "42");
  EXPECT_EQ(lower_symbol("BTCUSDT"), "btcusdt");
  EXPECT_EQ(next_funding_time(1680652799999), 1680652800000);  // 2023-04-05 00:00 UTC
  EXPECT_EQ(next_funding_time(1680652800000), 1680681600000);  // then 08:00
  EXPECT_EQ(mark_price_payload("BTCUSDT", 1680652801000, dec("28155.2"), dec("28165.15")),
            R"({"e":"markPriceUpdate","E":1680652801000,"s":"BTCUSDT","p":"28155.20000000",)"
            R"("i":"28165.15000000","P":"28155.20000000","r":"0.00010000","T":1680681600000})");
}

// ---------------------------------------------------------------- synthetic feed

SyntheticFeedOptions synthetic_options() {
  SyntheticFeedOptions o;
  o.symbols = {{"BTCUSDT", 60000.0}, {"ethusdt", 3000.0}, {"DOGEUSDT", 0.12}};
  o.seed = 7;
  o.start_ms = 1'700'000'000'000;
  o.end_ms = o.start_ms + 600'000;  // ten minutes
  o.book_ticker = true;
  o.agg_trades = true;
  return o;
}

TEST(SyntheticFeed, SameSeedSameMessagesOtherSeedOtherPath) {
  auto a = make_synthetic_feed(synthetic_options());
  auto b = make_synthetic_feed(synthetic_options());
  SyntheticFeedOptions other = synthetic_options();
  other.seed = 8;
  auto c = make_synthetic_feed(other);
  const auto ma = drain(*a), mb = drain(*b), mc = drain(*c);
  ASSERT_EQ(ma.size(), 600u * 3 * 3);
  ASSERT_EQ(ma.size(), mb.size());
  ASSERT_EQ(ma.size(), mc.size());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < ma.size(); ++i) {
    EXPECT_TRUE(same(ma[i], mb[i])) << i << "\n" << ma[i].payload << "\n" << mb[i].payload;
    if (ma[i].payload != mc[i].payload) ++differing;
  }
  EXPECT_GT(differing, ma.size() / 2);
  EXPECT_EQ(a->stats().delivered, ma.size());
}

TEST(SyntheticFeed, MarksDoNotDependOnExtraStreams) {
  SyntheticFeedOptions plain = synthetic_options();
  plain.book_ticker = false;
  plain.agg_trades = false;
  auto with_extras = make_synthetic_feed(synthetic_options());
  auto marks_only = make_synthetic_feed(plain);
  std::vector<FeedMessage> marks;
  for (auto& m : drain(*with_extras)) {
    if (m.is_mark) marks.push_back(std::move(m));
  }
  const auto only = drain(*marks_only);
  ASSERT_EQ(only.size(), marks.size());
  for (std::size_t i = 0; i < only.size(); ++i) EXPECT_TRUE(same(only[i], marks[i])) << i;
}

TEST(SyntheticFeed, MessageShapeAndParse) {
  const SyntheticFeedOptions o = synthetic_options();
  auto feed = make_synthetic_feed(o);
  EXPECT_EQ(feed->symbols(), (std::vector<std::string>{"BTCUSDT", "ETHUSDT", "DOGEUSDT"}));
  const std::map<std::string, Decimal> ticks = {
      {"BTCUSDT", dec("0.1")}, {"ETHUSDT", dec("0.01")}, {"DOGEUSDT", dec("0.000001")}};
  const std::map<std::string, double> starts = {
      {"BTCUSDT", 60000.0}, {"ETHUSDT", 3000.0}, {"DOGEUSDT", 0.12}};
  ParseCheck check;
  std::map<std::string, TimeMs> last_mark_time;
  std::map<std::string, Decimal> mark_of;
  const auto all = drain(*feed);
  ASSERT_EQ(all.size(), 600u * 3 * 3);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const FeedMessage& m = all[i];
    SCOPED_TRACE(m.payload);
    const std::string lower = lower_symbol(m.symbol);
    // Per second: for each symbol, mark, bookTicker, aggTrade.
    const std::size_t second = i / 9, symbol = (i % 9) / 3, kind = i % 3;
    EXPECT_EQ(m.time, o.start_ms + static_cast<TimeMs>(second) * 1000);
    EXPECT_EQ(m.symbol, feed->symbols()[symbol]);
    EXPECT_EQ(m.stream, lower + (kind == 0   ? "@markPrice@1s"
                                 : kind == 1 ? "@bookTicker"
                                             : "@aggTrade"));
    EXPECT_EQ(m.is_mark, kind == 0);
    ASSERT_NO_FATAL_FAILURE(expect_parses(check, m));
    const MarketEvent& ev = check.events[0];
    const Decimal tick = ticks.at(m.symbol);
    if (kind == 0) {
      EXPECT_TRUE(m.mark.is_positive());
      EXPECT_TRUE(m.mark.is_multiple_of(tick));
      EXPECT_EQ(m.payload.find("\"e\":\"markPriceUpdate\",\"E\":"), 1u);
      if (last_mark_time.count(m.symbol)) {
        EXPECT_EQ(m.time - last_mark_time[m.symbol], 1000);
      }
      // A walk, not a jump: within 3 % of the last second's mark (and of the start price).
      const double price = m.mark.to_double();
      const double before =
          mark_of.count(m.symbol) ? mark_of[m.symbol].to_double() : starts.at(m.symbol);
      EXPECT_NEAR(price / before, 1.0, 0.03);
      last_mark_time[m.symbol] = m.time;
      mark_of[m.symbol] = m.mark;
    } else if (kind == 1) {
      EXPECT_EQ(ev.bid, mark_of[m.symbol] - tick);
      EXPECT_EQ(ev.ask, mark_of[m.symbol] + tick);
    } else {
      EXPECT_TRUE(ev.price == mark_of[m.symbol] - tick || ev.price == mark_of[m.symbol] + tick);
      EXPECT_NE(m.payload.find("\"m\":"), std::string::npos);
    }
    EXPECT_EQ(route_of_stream(m.stream), kind == 1 ? "/public" : "/market");
  }
  EXPECT_EQ(feed->next(), std::nullopt);
}

TEST(SyntheticFeed, EndlessWithoutEndAndEmptyWithoutSymbols) {
  SyntheticFeedOptions o;
  o.symbols = {{"SYNTHUSDT", 100.0}};
  o.start_ms = 1'000'000;
  auto feed = make_synthetic_feed(o);
  const auto got = take(*feed, 20'000);  // 5.5 hours of marks
  ASSERT_EQ(got.size(), 20'000u);
  EXPECT_EQ(got.back().time, 1'000'000 + 19'999 * 1000);
  EXPECT_TRUE(feed->next().has_value());

  SyntheticFeedOptions none;
  EXPECT_EQ(make_synthetic_feed(none)->next(), std::nullopt);
  SyntheticFeedOptions ended = o;
  ended.end_ms = o.start_ms;
  EXPECT_EQ(make_synthetic_feed(ended)->next(), std::nullopt);
}

TEST(SyntheticFeed, RejectsBadOptions) {
  SyntheticFeedOptions o;
  o.symbols = {{"BTC-USDT", 1.0}};
  EXPECT_THROW(make_synthetic_feed(o), std::invalid_argument);
  o.symbols = {{"BTCUSDT", 0.0}};
  EXPECT_THROW(make_synthetic_feed(o), std::invalid_argument);
  o.symbols = {{"BTCUSDT", -5.0}};
  EXPECT_THROW(make_synthetic_feed(o), std::invalid_argument);
}

// ---------------------------------------------------------------- recorded feed

class RecordedFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("exitbrain_market_feed_" + std::to_string(::getpid()) + "_" + info->name());
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

  fs::path dir_;
};

// Times are T0 + the offset in the comments. T0 is a whole second.
const std::string kFileA =
    std::string() +
    // header
    "wss://fstream.binance.com/stream?streams=btcusdt@markPrice@1s/btcusdt@bookTicker\n" +
    // 0: combined, microsecond receive stamp
    R"(1700000000100000 {"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1700000000000,"s":"BTCUSDT","p":"100.50000000","i":"100.40000000","P":"100.45000000","r":"0.00010000","T":1700006400000}})"
    "\n"
    // 205: raw bookTicker with T and E
    R"({"e":"bookTicker","u":1,"s":"BTCUSDT","b":"100.4","B":"1.5","a":"100.6","A":"2","T":1700000000200,"E":1700000000205})"
    "\n"
    // 600: combined bookTicker without E or T: the "<seconds>: " receive stamp
    R"(1700000000.6: {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":2,"s":"BTCUSDT","b":"100.5","B":"1","a":"100.7","A":"1"}})"
    "\n"
    // 700: XYZUSDT has only trades
    R"(1700000000700000 {"stream":"xyzusdt@trade","data":{"e":"trade","E":1700000000700,"T":1700000000699,"s":"XYZUSDT","t":1,"p":"2.5000","q":"10","X":"MARKET","m":true}})"
    "\n"
    // skipped: depth, REST snapshot, blank line
    R"(1700000000800000 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1700000000800,"T":1700000000800,"s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[],"a":[]}})"
    "\n"
    R"(1700000000900000 {"lastUpdateId":5,"E":1700000000900,"T":1700000000900,"bids":[],"asks":[]})"
    "\n"
    "\n"
    // 1000: a raw array (one message per element, markPrice@1s)
    R"([{"e":"markPriceUpdate","E":1700000001000,"s":"ETHUSDT","p":"2000.00000000","i":"2000.10000000","P":"2000.00000000","r":"0.00010000","T":1700006400000},{"e":"markPriceUpdate","E":1700000001000,"s":"SOLUSDT","p":"50.00000000","i":"50.00000000","P":"50.00000000","r":"0.00010000","T":1700006400000}])"
    "\n"
    // 2300: raw aggTrade
    R"({"e":"aggTrade","E":1700000002300,"s":"XYZUSDT","a":7,"p":"2.6000","q":"3","nq":"3","f":10,"l":11,"T":1700000002299,"m":false})"
    "\n"
    // skipped: an unknown type
    R"({"e":"forceOrder","E":1700000002400,"o":{"s":"BTCUSDT"}})"
    "\n"
    // 2500: combined kline; 2600: raw kline
    R"({"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1700000002500,"s":"BTCUSDT","k":{"t":1699999980000,"T":1700000039999,"s":"BTCUSDT","i":"1m","f":1,"L":2,"o":"100.1","c":"100.5","h":"100.9","l":"100.0","v":"10","n":2,"x":false,"q":"1005","V":"5","Q":"502","B":"0"}}})"
    "\n"
    R"({"e":"kline","E":1700000002600,"s":"BTCUSDT","k":{"t":1699999800000,"T":1700000099999,"s":"BTCUSDT","i":"5m","f":1,"L":2,"o":"100.1","c":"100.5","h":"100.9","l":"100.0","v":"10","n":2,"x":false,"q":"1005","V":"5","Q":"502","B":"0"}})"
    "\n"
    // 3000: the 3 s all-market array, combined: "@markPrice"
    R"({"stream":"!markPrice@arr","data":[{"e":"markPriceUpdate","E":1700000003000,"s":"ETHUSDT","p":"2001.00000000","i":"2001.00000000","P":"2001.00000000","r":"0.00010000","T":1700006400000}]})"
    "\n"
    // malformed: truncated, not a message
    R"({"stream":"btcusdt@trade","data":)"
    "\n"
    "this is not a message\n"
    // a subscription reply
    R"({"result":null,"id":1})"
    "\n"
    // 4500
    R"({"e":"trade","E":1700000004500,"T":1700000004500,"s":"XYZUSDT","t":2,"p":"2.7000","q":"1","X":"MARKET","m":true})"
    "\n";

const std::string kFileB =
    std::string() +
    // 2300: the same time as XYZUSDT's aggTrade in file A: after it. ABCUSDT: book only.
    R"(1700000002300123456 {"stream":"abcusdt@bookTicker","data":{"e":"bookTicker","u":9,"s":"ABCUSDT","b":"1.0001","B":"5","a":"1.0004","A":"5","T":1700000002300,"E":1700000002300}})"
    "\n"
    // 50: out of order in its file
    R"(1700000000060000000 {"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1700000000050,"s":"BTCUSDT","a":1,"p":"100.5","q":"1","nq":"1","f":1,"l":1,"T":1700000000049,"m":true}})"
    "\n"
    // 4000
    R"(1700000004000500000 {"stream":"abcusdt@bookTicker","data":{"e":"bookTicker","u":10,"s":"ABCUSDT","b":"1.0003","B":"5","a":"1.0005","A":"5","T":1700000004000,"E":1700000004000}})";

constexpr TimeMs kT0 = 1'700'000'000'000;

TEST_F(RecordedFeedTest, MergesParsesAndDerivesMarks) {
  const std::string a = write_plain("a.txt", kFileA);
  const std::string b = write_gzip("b.gz", kFileB);
  std::string error;
  auto feed = open_recorded_feed({a, b}, &error);
  ASSERT_NE(feed, nullptr) << error;
  const auto all = drain(*feed);

  struct Expected {
    TimeMs offset;
    std::string stream;
  };
  const std::vector<Expected> expected = {
      {0, "btcusdt@markPrice@1s"},    {50, "btcusdt@aggTrade"},
      {205, "btcusdt@bookTicker"},    {600, "btcusdt@bookTicker"},
      {700, "xyzusdt@trade"},         {1000, "ethusdt@markPrice@1s"},
      {1000, "solusdt@markPrice@1s"}, {1000, "xyzusdt@markPrice@1s"},  // derived
      {2000, "xyzusdt@markPrice@1s"},                                  // derived
      {2300, "xyzusdt@aggTrade"},     {2300, "abcusdt@bookTicker"},
      {2500, "btcusdt@kline_1m"},     {2600, "btcusdt@kline_5m"},
      {3000, "ethusdt@markPrice"},    {3000, "xyzusdt@markPrice@1s"},  // derived
      {3000, "abcusdt@markPrice@1s"},                                  // derived
      {4000, "abcusdt@bookTicker"},   {4000, "xyzusdt@markPrice@1s"},  // derived
      {4000, "abcusdt@markPrice@1s"},                                  // derived
      {4500, "xyzusdt@trade"},
  };
  ASSERT_EQ(all.size(), expected.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].time, kT0 + expected[i].offset) << i << " " << all[i].payload;
    EXPECT_EQ(all[i].stream, expected[i].stream) << i << " " << all[i].payload;
  }

  // Payloads are kept byte for byte; array elements are split.
  EXPECT_EQ(
      all[2].payload,
      R"({"e":"bookTicker","u":1,"s":"BTCUSDT","b":"100.4","B":"1.5","a":"100.6","A":"2","T":1700000000200,"E":1700000000205})");
  EXPECT_EQ(
      all[6].payload,
      R"({"e":"markPriceUpdate","E":1700000001000,"s":"SOLUSDT","p":"50.00000000","i":"50.00000000","P":"50.00000000","r":"0.00010000","T":1700006400000})");
  // Without E, the time it was given is added after "e".
  EXPECT_EQ(
      all[3].payload,
      R"({"e":"bookTicker","E":1700000000600,"u":2,"s":"BTCUSDT","b":"100.5","B":"1","a":"100.7","A":"1"})");
  EXPECT_TRUE(all[0].is_mark);
  EXPECT_EQ(all[0].mark, dec("100.5"));
  EXPECT_EQ(all[0].symbol, "BTCUSDT");
  EXPECT_FALSE(all[1].is_mark);

  // Derived marks: last trade at or before the second; the mid before any trade.
  const std::map<std::size_t, std::string> derived_prices = {
      {7, "2.5"}, {8, "2.5"}, {14, "2.6"}, {15, "1.00025"}, {17, "2.6"}, {18, "1.0004"}};
  for (const auto& [i, price] : derived_prices) {
    SCOPED_TRACE(all[i].payload);
    EXPECT_TRUE(all[i].is_mark);
    EXPECT_EQ(all[i].mark, dec(price));
    EXPECT_EQ(all[i].payload,
              mark_price_payload(all[i].symbol, all[i].time, dec(price), dec(price)));
  }
  EXPECT_EQ(all[7].payload,
            R"({"e":"markPriceUpdate","E":1700000001000,"s":"XYZUSDT","p":"2.50000000",)"
            R"("i":"2.50000000","P":"2.50000000","r":"0.00010000","T":1700006400000})");

  ParseCheck check;
  for (const FeedMessage& m : all) {
    SCOPED_TRACE(m.payload);
    ASSERT_NO_FATAL_FAILURE(expect_parses(check, m));
  }

  EXPECT_EQ(feed->symbols(),
            (std::vector<std::string>{"BTCUSDT", "XYZUSDT", "ETHUSDT", "SOLUSDT", "ABCUSDT"}));
  const FeedStats s = feed->stats();
  EXPECT_EQ(s.lines, 18u + 3u);
  EXPECT_EQ(s.payloads, 14u);
  EXPECT_EQ(s.non_events, 4u);  // header, REST snapshot, blank, reply
  EXPECT_EQ(s.skipped, 2u);
  EXPECT_EQ(s.skipped_by_type,
            (std::map<std::string, std::uint64_t>{{"depthUpdate", 1}, {"forceOrder", 1}}));
  EXPECT_EQ(s.malformed, 2u);
  ASSERT_EQ(s.first_errors.size(), 2u);
  EXPECT_NE(s.first_errors[0].find("a.txt:15: "), std::string::npos) << s.first_errors[0];
  EXPECT_NE(s.first_errors[1].find("a.txt:16: not a websocket message"), std::string::npos)
      << s.first_errors[1];
  EXPECT_EQ(s.derived_mark_symbols, (std::vector<std::string>{"XYZUSDT", "ABCUSDT"}));
  EXPECT_EQ(s.delivered, all.size());
  EXPECT_EQ(s.derived_marks, 6u);
}

TEST_F(RecordedFeedTest, NoDerivedMarksAcrossAHoleInTheRecording) {
  const std::string trades =
      R"({"e":"trade","E":1700000000500,"T":1700000000500,"s":"XYZUSDT","t":1,"p":"1.5","q":"1","X":"MARKET","m":true})"
      "\n"
      R"({"e":"trade","E":1700000300200,"T":1700000300200,"s":"XYZUSDT","t":2,"p":"1.6","q":"1","X":"MARKET","m":true})"
      "\n"
      R"({"e":"trade","E":1700000301000,"T":1700000301000,"s":"XYZUSDT","t":3,"p":"1.7","q":"1","X":"MARKET","m":true})"
      "\n";
  std::string error;
  auto feed = open_recorded_feed({write_plain("t.txt", trades)}, &error);
  ASSERT_NE(feed, nullptr) << error;
  std::vector<TimeMs> marks;
  TimeMs last = 0;
  for (const FeedMessage& m : drain(*feed)) {
    EXPECT_GE(m.time, last);
    last = m.time;
    if (m.is_mark) marks.push_back(m.time - kT0);
  }
  // 1 s .. 60 s after the first trade (at 0.5 s: the last one at 60 s), then from the next
  // trade (300.2 s): 301 s, priced by the trade stamped 301 s.
  ASSERT_EQ(marks.size(), 61u);
  EXPECT_EQ(marks.front(), 1000);
  EXPECT_EQ(marks[59], 60'000);
  EXPECT_EQ(marks.back(), 301'000);
}

TEST_F(RecordedFeedTest, ReportsFilesItCannotOpen) {
  std::string error;
  EXPECT_EQ(open_recorded_feed({(dir_ / "missing.gz").string()}, &error), nullptr);
  EXPECT_NE(error.find("missing.gz"), std::string::npos) << error;
  error.clear();
  EXPECT_EQ(open_recorded_feed({}, &error), nullptr);
  EXPECT_FALSE(error.empty());
  auto empty = open_recorded_feed({write_plain("empty.txt", "")}, &error);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->next(), std::nullopt);
  EXPECT_TRUE(empty->symbols().empty());
}

// ---------------------------------------------------------------- real captures

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct CaptureSummary {
  std::size_t messages = 0;
  std::map<std::string, std::size_t> per_stream_kind;  // "markPrice@1s", "bookTicker", ...
  std::set<std::string> mark_symbols;
};

CaptureSummary check_capture(const std::vector<std::string>& files) {
  std::string error;
  auto feed = open_recorded_feed(files, &error);
  EXPECT_NE(feed, nullptr) << error;
  CaptureSummary summary;
  if (!feed) return summary;
  ParseCheck check;
  TimeMs last = 0;
  while (auto m = feed->next()) {
    ++summary.messages;
    EXPECT_GE(m->time, last) << m->payload;
    last = m->time;
    const std::string kind = m->stream.substr(m->stream.find('@') + 1);
    ++summary.per_stream_kind[kind];
    if (m->is_mark) summary.mark_symbols.insert(m->symbol);
    EXPECT_EQ(m->stream.substr(0, m->stream.find('@')), lower_symbol(m->symbol)) << m->payload;
    EXPECT_EQ(route_of_stream(m->stream), kind == "bookTicker" ? "/public" : "/market");
    expect_parses(check, *m);
    if (::testing::Test::HasFailure()) break;  // one bad message, not a million lines of it
  }
  const FeedStats s = feed->stats();
  EXPECT_EQ(s.malformed, 0u) << (s.first_errors.empty() ? "" : s.first_errors[0]);
  EXPECT_EQ(s.delivered, summary.messages);
  EXPECT_EQ(s.payloads + s.derived_marks, summary.messages);
  EXPECT_GT(s.skipped_by_type.count("depthUpdate"), 0u);
  return summary;
}

TEST(RecordedFeedCaptures, UsdmCaptures) {
  const fs::path data = exitbrain::testing::shared_data_dir();
  if (data.empty() || !fs::exists(data / "ws" / "usdm")) {
    GTEST_SKIP() << "shared data not found (set EXITBRAIN_DATA_DIR or place it at ../shared/data)";
  }
  CaptureSummary s = check_capture(files_in(data / "ws" / "usdm"));
  EXPECT_GT(s.messages, 300'000u);
  EXPECT_GT(s.per_stream_kind["bookTicker"], 0u);
  EXPECT_GT(s.per_stream_kind["trade"], 0u);
  // BTCUSDT's 2023 captures carry real markPrice@1s (514 of them); ETHUSDT's 2024 captures
  // have none, so ETHUSDT gets derived ones, about one per second of its ~14 minutes
  // (BTCUSDT's 2024 captures get none: the symbol has real marks).
  EXPECT_GT(s.per_stream_kind["markPrice@1s"], 514u + 800u);
  EXPECT_EQ(s.mark_symbols, (std::set<std::string>{"BTCUSDT", "ETHUSDT"}));
}

TEST(RecordedFeedCaptures, MultiSymbolCaptures) {
  const fs::path data = exitbrain::testing::shared_data_dir();
  if (data.empty() || !fs::exists(data / "ws" / "multi")) {
    GTEST_SKIP() << "shared data not found (set EXITBRAIN_DATA_DIR or place it at ../shared/data)";
  }
  CaptureSummary s = check_capture(files_in(data / "ws" / "multi"));
  EXPECT_GT(s.messages, 0u);
  EXPECT_GT(s.per_stream_kind["aggTrade"], 0u);
  EXPECT_GT(s.per_stream_kind["bookTicker"], 0u);
  EXPECT_GT(s.per_stream_kind["kline_1m"], 0u);
  // No marks in these captures: every symbol with a price gets derived ones.
  EXPECT_GT(s.per_stream_kind["markPrice@1s"], 0u);
  EXPECT_EQ(s.mark_symbols.size(), 12u);
}

}  // namespace
}  // namespace exitbrain::sim
