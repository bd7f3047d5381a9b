#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "net/json_balance.hpp"
#include "net/user_data_parser.hpp"
#include "tests/support/counting_new.inc"
#include "tests/support/decimal_text.hpp"

namespace exitbrain {
namespace {

using testing::dec;

struct Harness {
  SymbolTable symbols;
  UserDataParser parser{symbols};
  std::vector<UserEvent> events;
  std::string buffer;
  Harness() {
    for (const char* s : {"BTCUSDT", "BNBUSDT"}) (void)symbols.intern(s);
  }
  ParseStatus parse(std::string_view msg) {
    events.clear();
    buffer.assign(msg);
    buffer.resize(padded_capacity(msg.size()), '\0');
    return parser.parse(buffer.data(), msg.size(), buffer.size(),
                        [this](const UserEvent& e) { events.push_back(e); });
  }
  std::string error() const {
    return std::string(parser.last_error().field) + ": " + parser.last_error().reason;
  }
};

// binance-api.md §4.2, verbatim.
constexpr std::string_view kOrderDoc =
    R"({"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,"o":{"s":"BTCUSDT","c":"TEST","S":"SELL","o":"TRAILING_STOP_MARKET","f":"GTC","q":"0.001","p":"0","ap":"0","sp":"7103.04","x":"NEW","X":"NEW","i":8886774,"l":"0","z":"0","L":"0","N":"USDT","n":"0","T":1568879465650,"t":0,"b":"0","a":"9.91","m":false,"R":false,"wt":"CONTRACT_PRICE","ot":"TRAILING_STOP_MARKET","ps":"LONG","cp":false,"AP":"7476.89","cr":"5.0","pP":false,"si":0,"ss":0,"rp":"0","V":"EXPIRE_TAKER","pm":"OPPONENT","gtd":0,"er":"0"}})";
constexpr std::string_view kFill =
    R"({"e":"ORDER_TRADE_UPDATE","E":1771000000123,"T":1771000000120,"o":{"s":"BTCUSDT","c":"xbx-16-3","S":"SELL","o":"MARKET","f":"GTC","q":"0.5","p":"0","ap":"64000.1","sp":"0","x":"TRADE","X":"FILLED","i":99,"l":"0.5","z":"0.5","L":"64000.1","N":"USDT","n":"12.80002","T":1771000000120,"t":5,"b":"0","a":"0","m":false,"R":true,"wt":"CONTRACT_PRICE","ot":"MARKET","ps":"BOTH","cp":false,"rp":"-7.25","V":"NONE","pm":"NONE","gtd":0}})";
// §4.3, verbatim.
constexpr std::string_view kAccountDoc =
    R"({"e":"ACCOUNT_UPDATE","E":1564745798939,"T":1564745798938,"a":{"m":"ORDER","B":[{"a":"USDT","wb":"122624.12345678","cw":"100.12345678","bc":"50.12345678"}],"P":[{"s":"BTCUSDT","pa":"20","ep":"6563.66500","bep":"0","cr":"0","up":"2850.21200","mt":"isolated","iw":"13200.70726908","ps":"LONG"}]}})";
// §4.4, verbatim.
constexpr std::string_view kAlgoDoc =
    R"({"e":"ALGO_UPDATE","T":1750515742297,"E":1750515742303,"o":{"caid":"Q5xaq5EGKgXXa0fD7fs0Ip","aid":2148719,"at":"CONDITIONAL","o":"TAKE_PROFIT","s":"BNBUSDT","S":"SELL","ps":"BOTH","f":"GTC","q":"0.01","X":"CANCELED","ai":"","ap":"0.00000","aq":"0.00000","act":"0","tp":"750","p":"750","V":"EXPIRE_MAKER","wt":"CONTRACT_PRICE","pm":"NONE","cp":false,"pP":false,"R":false,"tt":0,"gtd":0,"rm":"Reduce Only reject"}})";

TEST(UserDataParser, OrderUpdateFromTheDocs) {
  Harness h;
  ASSERT_EQ(h.parse(kOrderDoc), ParseStatus::kOk) << h.error();
  ASSERT_EQ(h.events.size(), 1u);
  const UserEvent& e = h.events[0];
  EXPECT_EQ(e.kind, UserEventKind::kOrder);
  EXPECT_EQ(e.event_time, 1568879465651);
  EXPECT_EQ(h.symbols.name(e.symbol), "BTCUSDT");
  EXPECT_EQ(e.order.client_id.view(), "TEST");
  EXPECT_EQ(e.order.order_id, 8886774);
  EXPECT_EQ(e.order.status, OrderStatus::kNew);
  EXPECT_FALSE(e.order.buy);
  EXPECT_EQ(e.order.position_side, PositionSideField::kLong);
  EXPECT_EQ(e.order.average_price, dec("0")) << "ap is the average price, not AP (activation)";
}

TEST(UserDataParser, ExitFillCarriesQuantitiesPnlAndFees) {
  Harness h;
  ASSERT_EQ(h.parse(kFill), ParseStatus::kOk) << h.error();
  const OrderUpdate& o = h.events.at(0).order;
  EXPECT_EQ(o.client_id.view(), "xbx-16-3");
  EXPECT_EQ(o.status, OrderStatus::kFilled);
  EXPECT_EQ(o.last_filled, dec("0.5"));
  EXPECT_EQ(o.cumulative_filled, dec("0.5"));
  EXPECT_EQ(o.last_price, dec("64000.1"));
  EXPECT_EQ(o.average_price, dec("64000.1"));
  EXPECT_DOUBLE_EQ(o.realized_pnl, -7.25);
  EXPECT_DOUBLE_EQ(o.commission, 12.80002);
  EXPECT_TRUE(o.reduce_only);
  EXPECT_EQ(o.position_side, PositionSideField::kBoth);
}

TEST(UserDataParser, AccountUpdateGivesOneEventPerManagedPosition) {
  Harness h;
  ASSERT_EQ(h.parse(kAccountDoc), ParseStatus::kOk) << h.error();
  ASSERT_EQ(h.events.size(), 1u);
  const UserEvent& e = h.events[0];
  EXPECT_EQ(e.kind, UserEventKind::kPosition);
  EXPECT_EQ(e.position.amount, dec("20"));
  EXPECT_EQ(e.position.entry, dec("6563.665"));
  EXPECT_DOUBLE_EQ(e.position.unrealized_pnl, 2850.212);
  EXPECT_EQ(e.position.position_side, PositionSideField::kLong);
  ASSERT_EQ(
      h.parse(
          R"({"e":"ACCOUNT_UPDATE","E":1,"T":1,"a":{"m":"ORDER","B":[],"P":[{"s":"ETHUSDT","pa":"-3","ep":"3000","up":"0","ps":"BOTH"},{"s":"BNBUSDT","pa":"-1.5","ep":"600","up":"-2","ps":"BOTH"}]}})"),
      ParseStatus::kOk);
  ASSERT_EQ(h.events.size(), 1u) << "ETHUSDT is not managed";
  EXPECT_EQ(h.events[0].position.amount, dec("-1.5"));
  EXPECT_EQ(
      h.parse(
          R"({"e":"ACCOUNT_UPDATE","E":1,"T":1,"a":{"m":"FUNDING_FEE","B":[{"a":"USDT","wb":"1","cw":"1","bc":"0"}]}})"),
      ParseStatus::kIgnored);
}

TEST(UserDataParser, AlgoUpdateFromTheDocs) {
  Harness h;
  ASSERT_EQ(h.parse(kAlgoDoc), ParseStatus::kOk) << h.error();
  const UserEvent& e = h.events.at(0);
  EXPECT_EQ(e.kind, UserEventKind::kAlgo);
  EXPECT_EQ(e.event_time, 1750515742303) << "E is the event time";
  EXPECT_EQ(e.algo.client_algo_id.view(), "Q5xaq5EGKgXXa0fD7fs0Ip");
  EXPECT_EQ(e.algo.algo_id, 2148719);
  EXPECT_EQ(e.algo.status, AlgoStatus::kCanceled);
  EXPECT_EQ(e.algo.trigger, dec("750"));
  EXPECT_STREQ(e.algo.reason.data(), "Reduce Only reject");
}

TEST(UserDataParser, CombinedWrapperAndListenKeyExpiry) {
  Harness h;
  ASSERT_EQ(h.parse(R"({"stream":"pqia91ma","data":)" + std::string(kFill) + "}"), ParseStatus::kOk)
      << h.error();
  EXPECT_EQ(h.events.at(0).order.client_id.view(), "xbx-16-3");
  ASSERT_EQ(h.parse(R"({"e":"listenKeyExpired","E":1736996475556,"listenKey":"WsCMN0a4"})"),
            ParseStatus::kOk);
  EXPECT_EQ(h.events.at(0).kind, UserEventKind::kListenKeyExpired);
  EXPECT_EQ(h.parse(R"({"e":"MARGIN_CALL","E":1})"), ParseStatus::kIgnored);
}

TEST(UserDataParser, BadMessagesNameTheField) {
  Harness h;
  std::string bad(kFill);
  bad.replace(bad.find(R"("z":"0.5")"), 9, R"("z":"0,5")");
  EXPECT_EQ(h.parse(bad), ParseStatus::kMalformed);
  EXPECT_EQ(h.error(), "o.z: not a decimal number");
  bad = kFill;
  bad.replace(bad.find(R"("c":"xbx-16-3",)"), 15, "");
  EXPECT_EQ(h.parse(bad), ParseStatus::kMalformed);
  EXPECT_EQ(h.error(), "o.c: missing");
  EXPECT_EQ(h.parse("{not json"), ParseStatus::kMalformed);
  EXPECT_EQ(h.parse(R"({"E":1})"), ParseStatus::kMalformed);
  EXPECT_EQ(h.error(), "e: missing");
  std::string other(kFill);
  other.replace(other.find("BTCUSDT"), 7, "XRPUSDT");
  EXPECT_EQ(h.parse(other), ParseStatus::kUnknownSymbol);
  EXPECT_TRUE(h.events.empty());
}

TEST(UserDataParser, AllocatesNothingOnceWarm) {
  Harness h;
  std::vector<std::string> msgs{std::string(kOrderDoc), std::string(kFill),
                                std::string(kAccountDoc), std::string(kAlgoDoc)};
  for (auto& m : msgs) m.resize(padded_capacity(m.size()), '\0');
  int events = 0;
  auto sink = [&](const UserEvent&) { ++events; };
  for (const auto& m : msgs) (void)h.parser.parse(m.data(), std::strlen(m.c_str()), m.size(), sink);
  const long before = g_allocations.load();
  for (int i = 0; i < 5000; ++i)
    for (const auto& m : msgs)
      (void)h.parser.parse(m.data(), std::strlen(m.c_str()), m.size(), sink);
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_EQ(events, 4 * 5001);
}

}  // namespace
}  // namespace exitbrain

namespace exitbrain {
namespace {

// Every prefix of every event (a frame cut short, say) is refused, never crashes, never
// emits an event, and names why. simdjson On-Demand does not check that an object is closed
// before its fields are looked up: `{"e":"ORDER_TRADE_UPDATE","E":1,"o":{}` used to crash.
TEST(UserDataParser, EveryTruncatedEventIsRefusedWithoutCrashing) {
  const std::vector<std::string> docs = {
      std::string(kOrderDoc),
      std::string(kFill),
      std::string(kAccountDoc),
      std::string(kAlgoDoc),
      R"({"e":"ORDER_TRADE_UPDATE","E":1,"o":{}})",
      R"({"e":"ACCOUNT_UPDATE","E":1,"a":{}})",
      std::string(R"({"stream":"k","data":)") + std::string(kFill) + "}"};
  for (const std::string& doc : docs) {
    for (std::size_t n = 0; n < doc.size(); ++n) {
      Harness h;
      const std::string cut = doc.substr(0, n);
      const ParseStatus s = h.parse(cut);
      EXPECT_EQ(s, ParseStatus::kMalformed) << cut;
      EXPECT_TRUE(h.events.empty()) << cut;
      EXPECT_STRNE(h.parser.last_error().reason, "") << cut;
    }
  }
}

// Found by fuzz/fuzz_user_data. Bytes between two fields make simdjson's field search fail
// with an error that is not "no such field": the document is spent, and the parser used to
// go on looking into it (undefined behaviour; UBSan: "member call on null pointer").
TEST(UserDataParser, BytesBetweenFieldsAreNotValidJsonNotUndefinedBehaviour) {
  Harness h;
  const std::string msg = R"({"e":"ACCOUNT_UPDATE")" + std::string(40, '\\') + R"(,"E":1,"a":{}})";
  EXPECT_EQ(h.parse(msg), ParseStatus::kMalformed);
  EXPECT_EQ(h.error(), "json: not valid JSON");
  EXPECT_TRUE(h.events.empty());
}

// Found by fuzz/fuzz_user_data: an algo update whose "rm" is not a string used to copy
// from the null data of the empty view it left (undefined, UBSan in the sanitize build).
TEST(UserDataParser, AReasonThatIsNotAStringIsRefusedCleanly) {
  std::string m(kAlgoDoc);
  m.replace(m.find(R"("rm":"Reduce Only reject")"), 25, R"("rm":17)");
  Harness h;
  EXPECT_EQ(h.parse(m), ParseStatus::kMalformed);
  EXPECT_EQ(h.error(), "o.rm: not a string");
}

// Also found by the fuzzer: a fill larger than the order's cumulative fill, or a negative
// one, contradicts itself and is refused with the field named, not half believed.
TEST(UserDataParser, FillsThatContradictThemselvesAreRefused) {
  auto with = [](std::string l, std::string z) {
    std::string m(kFill);
    m.replace(m.find(R"("l":"0.5")"), 9, R"("l":")" + l + "\"");
    m.replace(m.find(R"("z":"0.5")"), 9, R"("z":")" + z + "\"");
    return m;
  };
  Harness h;
  EXPECT_EQ(h.parse(with("0.5", "0.4")), ParseStatus::kMalformed);
  EXPECT_EQ(h.error(), "o.z: less than the last fill o.l");
  EXPECT_EQ(h.parse(with("-0.1", "0.4")), ParseStatus::kMalformed);
  EXPECT_EQ(h.error(), "o.l: negative");
  EXPECT_EQ(h.parse(with("0.2", "0.7")), ParseStatus::kOk) << h.error();
  ASSERT_EQ(h.events.size(), 1u);
  EXPECT_EQ(to_string(h.events[0].order.cumulative_filled), "0.7");
}

TEST(JsonBalance, BracketsInsideStringsAndEscapesDoNotCount) {
  auto ok = [](std::string_view s) { return json_brackets_balanced(s.data(), s.size()); };
  EXPECT_TRUE(ok(R"({"a":[1,{"b":"}]"}],"c":"\\","d":"\"{"})"));
  EXPECT_TRUE(ok(""));                // nothing open (simdjson refuses the empty text itself)
  EXPECT_FALSE(ok(R"({"a":[1,2})"));  // closed in the wrong order
  EXPECT_FALSE(ok(R"({"a":"x})"));    // a string left open
  EXPECT_FALSE(ok(R"({"a":"\"})"));   // its quote is escaped: still open
  EXPECT_FALSE(ok(R"({"a":1}})"));    // one closed too many
  EXPECT_TRUE(ok(std::string(64, '[') + std::string(64, ']')));
  EXPECT_FALSE(ok(std::string(65, '[') + std::string(65, ']')));  // deeper than kMaxJsonDepth
}

}  // namespace
}  // namespace exitbrain
