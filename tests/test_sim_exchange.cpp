// exitbrain-sim's exchange model: every request is signed the way exitbrain signs it
// (net/hmac_signer + net/order_format), and every user-data event goes through exitbrain's
// own parser (net/user_data_parser).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cctype>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/symbol_table.hpp"
#include "net/binance_errors.hpp"
#include "net/exchange_info.hpp"
#include "net/hmac_signer.hpp"
#include "net/order_format.hpp"
#include "net/rest_client.hpp"
#include "net/rest_responses.hpp"
#include "net/server_clock.hpp"
#include "net/user_data_parser.hpp"
#include "tests/support/decimal_text.hpp"
#include "tools/live/startup.hpp"
#include "tools/sim/market_feed.hpp"
#include "tools/sim/sim_exchange.hpp"
#include "tools/sim/sim_params.hpp"
#include "tools/sim/sim_server.hpp"

namespace exitbrain::sim {
namespace {

using exitbrain::testing::dec;

constexpr TimeMs kT0 = 1'770'998'400'000;  // on an hour boundary
constexpr std::string_view kKey = "sim-api-key";
constexpr std::string_view kSecret = "sim-api-secret";

// ---- JSON reading --------------------------------------------------------------------------

// The value at a JSON pointer as text: strings unquoted, numbers and booleans as written,
// arrays and objects minified. "<missing>" when absent or the text is not JSON.
std::string jget(const std::string& json, std::string_view pointer) {
  static simdjson::dom::parser parser;
  simdjson::dom::element root, e;
  if (parser.parse(json).get(root) || root.at_pointer(pointer).get(e)) return "<missing>";
  switch (e.type()) {
    case simdjson::dom::element_type::STRING:
      return std::string(e.get_string().value_unsafe());
    case simdjson::dom::element_type::INT64:
      return std::to_string(e.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64:
      return std::to_string(e.get_uint64().value_unsafe());
    case simdjson::dom::element_type::BOOL:
      return e.get_bool().value_unsafe() ? "true" : "false";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    default:
      return simdjson::minify(e);
  }
}

std::size_t jsize(const std::string& json, std::string_view pointer = "") {
  static simdjson::dom::parser parser;
  simdjson::dom::element root, e;
  if (parser.parse(json).get(root) || root.at_pointer(pointer).get(e)) return 9999;
  if (e.is_array()) return e.get_array().value_unsafe().size();
  if (e.is_object()) return e.get_object().value_unsafe().size();
  return 9999;
}

std::string header(const HttpAnswer& a, std::string_view name) {
  for (const auto& [k, v] : a.headers)
    if (k == name) return v;
  return "<none>";
}

// ---- the harness ---------------------------------------------------------------------------

SimAccountConfig config(bool hedge) {
  SimAccountConfig c;
  c.api_key = std::string(kKey);
  c.api_secret = std::string(kSecret);
  c.hedge_mode = hedge;
  c.taker_fee = 0.0004;
  c.wallet_balance = 10000.0;
  c.symbols = {{"BTCUSDT", dec("0.1"), dec("0.001"), dec("0.001"), dec("5")},
               {"ETHUSDT", dec("0.01"), dec("0.001"), dec("0.001"), dec("20")}};
  return c;
}

enum class Where { kQuery, kBody };

struct Sim {
  explicit Sim(bool hedge = false) : ex(config(hedge)), signer(kSecret) {
    for (const char* s : {"BTCUSDT", "ETHUSDT"}) (void)symbols.intern(s);
  }

  SimExchange ex;
  HmacSha256Signer signer;
  TimeMs now = kT0;
  SymbolTable symbols;
  UserDataParser parser{symbols};

  PositionMode mode() const {
    return ex.hedge_mode() ? PositionMode::kHedge : PositionMode::kOneWay;
  }
  RequestTiming timing() const { return RequestTiming{now, 5000}; }

  HttpAnswer raw(std::string_view method, std::string_view path, std::string_view query,
                 std::string_view body = "", std::string_view key = kKey) {
    return ex.handle(HttpRequestView{method, path, query, body, key}, now);
  }
  // `params` + recvWindow + timestamp, signed, sent in the query or the body.
  HttpAnswer send(std::string_view method, std::string_view path, std::string params,
                  Where where = Where::kQuery, std::int64_t timestamp = -1) {
    if (!params.empty()) params += '&';
    params += "recvWindow=5000&timestamp=" + std::to_string(timestamp < 0 ? now : timestamp);
    char hex[HmacSha256Signer::kHexLength];
    signer.sign(params, hex);
    params += "&signature=" + std::string(hex, sizeof hex);
    return where == Where::kQuery ? raw(method, path, params) : raw(method, path, "", params);
  }
  HttpAnswer send_signed(std::string_view method, std::string_view path, QueryWriter& q,
                         Where where = Where::kQuery) {
    q.sign(signer);
    EXPECT_TRUE(q.ok());
    return where == Where::kQuery ? raw(method, path, q.view()) : raw(method, path, "", q.view());
  }
  // exitbrain's exact exit and hard-stop bytes.
  HttpAnswer exit(Side position_side, std::string_view qty, const ClientId& id,
                  std::string_view symbol = "BTCUSDT", Where where = Where::kBody) {
    QueryWriter q;
    write_exit_order(q, symbol, position_side, dec(qty), id, mode(), timing());
    return send_signed("POST", "/fapi/v1/order", q, where);
  }
  HttpAnswer hard_stop(Side position_side, std::string_view trigger, const ClientId& id,
                       std::string_view symbol = "BTCUSDT") {
    QueryWriter q;
    write_hard_stop(q, symbol, position_side, dec(trigger), id, mode(), timing());
    return send_signed("POST", "/fapi/v1/algoOrder", q, Where::kBody);
  }
  void mark(std::string_view price, std::string_view symbol = "BTCUSDT") {
    ex.on_mark_price(symbol, dec(price), now);
  }
  void open(Side side, std::string_view qty, std::string_view symbol = "BTCUSDT") {
    const auto err = ex.open_position(symbol, side, dec(qty), now);
    ASSERT_FALSE(err.has_value()) << *err;
  }
  Decimal amount(std::string_view ps = "BOTH", std::string_view symbol = "BTCUSDT") const {
    return ex.position_amount(symbol, ps);
  }

  // Every pending user-data event through exitbrain's parser; each must parse.
  std::vector<UserEvent> events(std::vector<std::string>* raw_out = nullptr) {
    std::vector<UserEvent> out;
    for (const std::string& msg : ex.take_user_events()) {
      std::string buf = msg;
      buf.resize(padded_capacity(msg.size()), '\0');
      const ParseStatus st = parser.parse(buf.data(), msg.size(), buf.size(),
                                          [&](const UserEvent& e) { out.push_back(e); });
      EXPECT_EQ(st, ParseStatus::kOk)
          << parser.last_error().field << ": " << parser.last_error().reason << " in " << msg;
      if (raw_out) raw_out->push_back(msg);
    }
    return out;
  }
};

int code_of(const HttpAnswer& a) {
  const std::string c = jget(a.body, "/code");
  return c == "<missing>" ? 0 : std::stoi(c);
}

#define EXPECT_ERROR(answer, http, code_value, message)                      \
  do {                                                                       \
    const HttpAnswer& ans_ = (answer);                                       \
    EXPECT_EQ(ans_.status, http) << ans_.body;                               \
    EXPECT_EQ(code_of(ans_), code_value) << ans_.body;                       \
    if (std::string_view(message).size()) {                                  \
      EXPECT_EQ(jget(ans_.body, "/msg"), std::string(message)) << ans_.body; \
    }                                                                        \
  } while (0)

const ClientId kExit1 = ClientId::for_exit(42, 1);
const ClientId kExit2 = ClientId::for_exit(42, 2);
const ClientId kStop1 = ClientId::for_hard_stop(42, 1);

// ---- parameters and signatures ------------------------------------------------------------

TEST(SimParams, QueryWinsAndValuesAreDecoded) {
  const Params p = Params::parse("a=1&b=x%2By&c=", "a=2&d=hello+world");
  EXPECT_EQ(*p.get("a"), "1");
  EXPECT_EQ(*p.get("b"), "x+y");
  EXPECT_FALSE(p.has("c"));
  EXPECT_NE(p.get("c"), nullptr);
  EXPECT_EQ(*p.get("d"), "hello world");
  EXPECT_EQ(p.all().size(), 4u);
  const SignedParts s = split_signature("a=1&signature=AB", "b=2");
  EXPECT_TRUE(s.found);
  EXPECT_EQ(s.payload, "a=1b=2");
  EXPECT_EQ(s.signature, "AB");
  EXPECT_EQ(split_signature("", "signature=ff&x=1").payload, "x=1");
  EXPECT_TRUE(hex_equal("abCD", "ABcd"));
  EXPECT_FALSE(hex_equal("abcg", "abcg"));
  EXPECT_TRUE(valid_client_id("xbx-16-3"));
  EXPECT_TRUE(valid_client_id("web_A.b:c/d_e-f"));
  EXPECT_FALSE(valid_client_id(""));
  EXPECT_FALSE(valid_client_id("a b"));
  EXPECT_FALSE(valid_client_id(std::string(37, 'a')));
}

// binance-api.md §3.2: the doc's key, secret and payloads.
TEST(SimExchangeAuth, DocHmacVectorsAreAccepted) {
  SimAccountConfig cfg = config(false);
  cfg.api_key = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
  cfg.api_secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
  SimExchange ex(cfg);
  const std::string payload =
      "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&"
      "timestamp=1591702613943";
  const std::string sig = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9";
  const std::string with_sig = payload + "&signature=" + sig;
  const TimeMs t = 1591702614000;
  // Example 1 (query) and 2 (body): the signature holds; LIMIT orders are not simulated.
  for (bool in_body : {false, true}) {
    const HttpAnswer a =
        ex.handle(HttpRequestView{"POST", "/fapi/v1/order", in_body ? "" : with_sig,
                                  in_body ? with_sig : "", cfg.api_key},
                  t);
    EXPECT_ERROR(a, 400, -1116, "Invalid orderType.");
  }
  // Example 3 (mixed), with the doc's stray space removed.
  const HttpAnswer mixed = ex.handle(
      HttpRequestView{"POST", "/fapi/v1/order",
                      "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC",
                      "quantity=1&price=9000&recvWindow=5000&timestamp=1591702613943&signature="
                      "30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4",
                      cfg.api_key},
      t);
  EXPECT_ERROR(mixed, 400, -1116, "");
  // Upper-case hex is the same signature.
  std::string upper = sig;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(code_of(ex.handle(HttpRequestView{"POST", "/fapi/v1/order",
                                              payload + "&signature=" + upper, "", cfg.api_key},
                              t)),
            -1116);
  // One changed byte breaks it.
  std::string tampered = with_sig;
  tampered.replace(tampered.find("price=9000"), 10, "price=9001");
  EXPECT_ERROR(ex.handle(HttpRequestView{"POST", "/fapi/v1/order", tampered, "", cfg.api_key}, t),
               400, -1022, "Signature for this request is not valid.");
}

TEST(SimExchangeAuth, BadSignatureWrongKeyMissingParams) {
  Sim s;
  s.mark("60000");
  const std::string q = "recvWindow=5000&timestamp=" + std::to_string(s.now);
  EXPECT_ERROR(s.raw("GET", "/fapi/v2/positionRisk", q + "&signature=" + std::string(64, 'a')), 400,
               -1022, "Signature for this request is not valid.");
  EXPECT_ERROR(s.raw("GET", "/fapi/v2/positionRisk", q), 400, -1102,
               "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
  // A wrong secret signs differently.
  HmacSha256Signer other("not-the-secret");
  char hex[64];
  other.sign(q, hex);
  EXPECT_ERROR(s.raw("GET", "/fapi/v2/positionRisk", q + "&signature=" + std::string(hex, 64)), 400,
               -1022, "");
  // The API key header.
  EXPECT_ERROR(s.raw("GET", "/fapi/v2/positionRisk", q, "", "wrong-key"), 401, -2015,
               "Invalid API-key, IP, or permissions for action.");
  EXPECT_ERROR(s.raw("GET", "/fapi/v2/positionRisk", q, "", ""), 401, -2015, "");
  // Missing timestamp.
  HmacSha256Signer good(kSecret);
  good.sign("recvWindow=5000", hex);
  EXPECT_ERROR(
      s.raw("GET", "/fapi/v2/positionRisk", "recvWindow=5000&signature=" + std::string(hex, 64)),
      400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
  // A correct one.
  EXPECT_EQ(s.send("GET", "/fapi/v2/positionRisk", "").status, 200);
  EXPECT_EQ(s.send("GET", "/fapi/v2/positionRisk", "", Where::kBody).status, 200);
}

TEST(SimExchangeAuth, TimestampWindowAndClockSkew) {
  Sim s;
  EXPECT_EQ(s.send("GET", "/fapi/v1/positionSide/dual", "", Where::kQuery, s.now - 5000).status,
            200);
  EXPECT_ERROR(s.send("GET", "/fapi/v1/positionSide/dual", "", Where::kQuery, s.now - 5001), 400,
               -1021, "Timestamp for this request is outside of the recvWindow.");
  EXPECT_EQ(s.send("GET", "/fapi/v1/positionSide/dual", "", Where::kQuery, s.now + 999).status,
            200);
  EXPECT_EQ(code_of(s.send("GET", "/fapi/v1/positionSide/dual", "", Where::kQuery, s.now + 1000)),
            -1021);
  // A larger recvWindow (signed) accepts an older timestamp; more than 60000 is refused.
  QueryWriter q;
  q.add("recvWindow", std::int64_t{20000}).add("timestamp", s.now - 15000);
  EXPECT_EQ(s.send_signed("GET", "/fapi/v1/positionSide/dual", q).status, 200);
  q.clear();
  q.add("recvWindow", std::int64_t{60001}).add("timestamp", s.now);
  EXPECT_EQ(code_of(s.send_signed("GET", "/fapi/v1/positionSide/dual", q)), -1131);

  // The server clock runs 20 s ahead: /time says so, and a client that does not resync fails.
  s.ex.faults().clock_skew_ms = 20000;
  EXPECT_EQ(jget(s.raw("GET", "/fapi/v1/time", "").body, "/serverTime"),
            std::to_string(s.now + 20000));
  const HttpAnswer stale = s.send("GET", "/fapi/v1/positionSide/dual", "");
  EXPECT_ERROR(stale, 400, -1021, "Timestamp for this request is outside of the recvWindow.");
  EXPECT_EQ(classify_exchange_error(stale.status, code_of(stale), jget(stale.body, "/msg")),
            ErrorAction::kResyncClock);
  EXPECT_EQ(s.send("GET", "/fapi/v1/positionSide/dual", "", Where::kQuery, s.now + 20000).status,
            200);
  // Behind: a client clock ahead of the server by more than 1 s.
  s.ex.faults().clock_skew_ms = -3000;
  EXPECT_ERROR(s.send("GET", "/fapi/v1/positionSide/dual", ""), 400, -1021,
               "Timestamp for this request was 1000ms ahead of the server's time.");
}

// ---- orders: one-way mode -------------------------------------------------------------------

TEST(SimExchangeOrders, OneWayExitBytesFillAtTheMark) {
  Sim s;
  s.mark("60000");
  s.open(Side::kLong, "0.5");
  EXPECT_EQ(s.amount(), dec("0.5"));
  s.mark("61000.5");
  const HttpAnswer a = s.exit(Side::kLong, "0.2", kExit1);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(jget(a.body, "/status"), "FILLED");  // newOrderRespType=RESULT
  EXPECT_EQ(jget(a.body, "/clientOrderId"), "xbx-16-1");
  EXPECT_EQ(jget(a.body, "/executedQty"), "0.2");
  EXPECT_EQ(jget(a.body, "/origQty"), "0.2");
  EXPECT_EQ(jget(a.body, "/avgPrice"), "61000.5");
  EXPECT_EQ(jget(a.body, "/cumQuote"), "12200.1");
  EXPECT_EQ(jget(a.body, "/side"), "SELL");
  EXPECT_EQ(jget(a.body, "/positionSide"), "BOTH");
  EXPECT_EQ(jget(a.body, "/reduceOnly"), "true");
  EXPECT_EQ(jget(a.body, "/type"), "MARKET");
  EXPECT_EQ(jget(a.body, "/symbol"), "BTCUSDT");
  EXPECT_EQ(jget(a.body, "/updateTime"), std::to_string(s.now));
  EXPECT_EQ(s.amount(), dec("0.3"));
  // Order ids count up per symbol.
  const std::int64_t id1 = std::stoll(jget(a.body, "/orderId"));
  const HttpAnswer b = s.exit(Side::kLong, "0.1", kExit2, "BTCUSDT", Where::kQuery);
  EXPECT_EQ(std::stoll(jget(b.body, "/orderId")), id1 + 1);
  EXPECT_EQ(s.amount(), dec("0.2"));
  EXPECT_EQ(header(a, "X-MBX-ORDER-COUNT-1M"), "1");
  EXPECT_EQ(header(b, "X-MBX-ORDER-COUNT-1M"), "2");
  EXPECT_EQ(header(b, "X-MBX-ORDER-COUNT-10S"), "2");

  // A short is closed with BUY.
  Sim t;
  t.mark("60000");
  t.open(Side::kShort, "1");
  EXPECT_EQ(t.amount(), dec("-1"));
  const HttpAnswer c = t.exit(Side::kShort, "1", kExit1);
  EXPECT_EQ(jget(c.body, "/side"), "BUY");
  EXPECT_EQ(t.amount(), dec("0"));
}

TEST(SimExchangeOrders, AckAnswersNewThoughTheOrderFills) {
  Sim s;
  s.mark("100");
  const HttpAnswer a = s.send("POST", "/fapi/v1/order",
                              "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&newClientOrderId=o1");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(jget(a.body, "/status"), "NEW");
  EXPECT_EQ(jget(a.body, "/executedQty"), "0");
  EXPECT_EQ(jget(a.body, "/origQty"), "1");
  EXPECT_EQ(s.amount(), dec("1"));
  const HttpAnswer g = s.send("GET", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=o1");
  EXPECT_EQ(jget(g.body, "/status"), "FILLED");
  EXPECT_EQ(jget(g.body, "/executedQty"), "1");
  EXPECT_EQ(jget(g.body, "/time"), std::to_string(s.now));
  const HttpAnswer by_id =
      s.send("GET", "/fapi/v1/order", "symbol=BTCUSDT&orderId=" + jget(a.body, "/orderId"));
  EXPECT_EQ(jget(by_id.body, "/clientOrderId"), "o1");
  EXPECT_ERROR(s.send("GET", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=nope"), 400, -2013,
               "Order does not exist.");
  EXPECT_ERROR(s.send("GET", "/fapi/v1/order", "symbol=ETHUSDT&origClientOrderId=o1"), 400, -2013,
               "");
  EXPECT_EQ(code_of(s.send("GET", "/fapi/v1/order", "symbol=BTCUSDT")), -1102);
  // Nothing is ever open: cancel says unknown, openOrders is empty.
  EXPECT_ERROR(s.send("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=o1"), 400,
               -2011, "Unknown order sent.");
  EXPECT_EQ(s.send("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").body, "[]");
  // Auto-generated client ids are valid and foreign.
  const HttpAnswer auto_id =
      s.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=1");
  const std::string id = jget(auto_id.body, "/clientOrderId");
  EXPECT_TRUE(valid_client_id(id)) << id;
  EXPECT_FALSE(is_exitbrain_client_id(id));
}

TEST(SimExchangeOrders, OneWayRules) {
  Sim s;
  // No mark price yet.
  EXPECT_EQ(
      code_of(s.send("POST", "/fapi/v1/order", "symbol=ETHUSDT&side=BUY&type=MARKET&quantity=1")),
      -1000);
  s.mark("60000");
  s.mark("3000", "ETHUSDT");
  s.open(Side::kLong, "1");
  const auto order = [&](std::string params) { return s.send("POST", "/fapi/v1/order", params); };
  // positionSide LONG/SHORT in one-way mode.
  EXPECT_ERROR(order("symbol=BTCUSDT&side=SELL&positionSide=LONG&type=MARKET&quantity=0.1"), 400,
               -4061, "Order's position side does not match user's setting.");
  EXPECT_EQ(order("symbol=BTCUSDT&side=SELL&positionSide=BOTH&type=MARKET&quantity=0.1").status,
            200);
  // exitbrain's hedge-mode bytes sent to a one-way account.
  QueryWriter q;
  write_exit_order(q, "BTCUSDT", Side::kLong, dec("0.1"), kExit1, PositionMode::kHedge, s.timing());
  EXPECT_EQ(code_of(s.send_signed("POST", "/fapi/v1/order", q)), -4061);
  // Conditional types moved to the algo endpoint; LIMIT is not simulated.
  for (const char* type :
       {"STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP", "TAKE_PROFIT", "TRAILING_STOP_MARKET"})
    EXPECT_ERROR(order(std::string("symbol=BTCUSDT&side=SELL&type=") + type +
                       "&quantity=0.1&stopPrice=59000"),
                 400, -4120,
                 "Order type not supported for this endpoint. Please use the Algo Order API "
                 "endpoints instead.");
  EXPECT_ERROR(order("symbol=BTCUSDT&side=SELL&type=FOO&quantity=0.1"), 400, -1116,
               "Invalid orderType.");
  // reduceOnly that would increase, and with no position.
  EXPECT_ERROR(order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.1&reduceOnly=true"), 400,
               -2022, "ReduceOnly Order is rejected.");
  EXPECT_ERROR(order("symbol=ETHUSDT&side=SELL&type=MARKET&quantity=1&reduceOnly=true"), 400, -2022,
               "");
  // Precision: off the step grid, and beyond 8 decimals.
  EXPECT_ERROR(order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.0015&reduceOnly=true"), 400,
               -1111, "Precision is over the maximum defined for this asset.");
  EXPECT_ERROR(order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.100000001"), 400, -1111, "");
  EXPECT_EQ(code_of(order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=abc")), -1100);
  EXPECT_EQ(code_of(order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0")), -4003);
  EXPECT_EQ(code_of(order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=-1")), -4003);
  EXPECT_EQ(code_of(order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=999999999")), -4005);
  // Mandatory parameters, symbol, side.
  EXPECT_ERROR(order("symbol=BTCUSDT&side=SELL&type=MARKET"), 400, -1102,
               "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
  EXPECT_EQ(code_of(order("side=SELL&type=MARKET&quantity=1")), -1102);
  EXPECT_ERROR(order("symbol=DOGEUSDT&side=SELL&type=MARKET&quantity=1"), 400, -1121,
               "Invalid symbol.");
  EXPECT_EQ(code_of(order("symbol=BTCUSDT&side=UP&type=MARKET&quantity=1")), -1117);
  // Unknown and not-required parameters.
  EXPECT_EQ(code_of(order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.1&foo=1")), -1104);
  EXPECT_ERROR(order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.1&price=60000"), 400, -1106,
               "Parameter 'price' sent when not required.");
  // Client ids.
  EXPECT_ERROR(
      order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.1&newClientOrderId=has%20space"), 400,
      -1100,
      R"(Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\.A-Z\:/a-z0-9_-]{1,36}$'.)");
  EXPECT_EQ(code_of(order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.1&newClientOrderId=" +
                          std::string(37, 'a'))),
            -1100);
  // Min notional: 0.001 × 60000 = 60 >= 5 passes; at a mark of 100, 0.01 × 100 = 1 does not,
  // unless reduce-only.
  s.mark("100");
  EXPECT_ERROR(order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01"), 400, -4164,
               "Order's notional must be no smaller than 5.0 (unless you choose reduce only)");
  EXPECT_EQ(order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.01&reduceOnly=true").status,
            200);
}

TEST(SimExchangeOrders, ReduceOnlyIsCutToThePosition) {
  Sim s;
  s.mark("60000");
  s.open(Side::kLong, "0.3");
  const HttpAnswer a = s.exit(Side::kLong, "1", kExit1);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(jget(a.body, "/executedQty"), "0.3");
  EXPECT_EQ(jget(a.body, "/origQty"), "0.3");
  EXPECT_EQ(s.amount(), dec("0"));
  // The position is gone: the next exit has nothing to reduce.
  const HttpAnswer b = s.exit(Side::kLong, "0.3", kExit2);
  EXPECT_ERROR(b, 400, -2022, "ReduceOnly Order is rejected.");
  EXPECT_EQ(classify_exchange_error(b.status, code_of(b), jget(b.body, "/msg")),
            ErrorAction::kNothingToReduce);
}

TEST(SimExchangeOrders, ResendOfAFilledExitIsDuplicated) {
  Sim s;
  s.mark("60000");
  s.open(Side::kLong, "1");
  ASSERT_EQ(s.exit(Side::kLong, "0.4", kExit1).status, 200);
  s.now += 1500;
  const HttpAnswer again = s.exit(Side::kLong, "0.4", kExit1);
  EXPECT_ERROR(again, 400, -4116, "ClientOrderId is duplicated.");
  EXPECT_EQ(classify_exchange_error(again.status, code_of(again), jget(again.body, "/msg")),
            ErrorAction::kAlreadyAccepted);
  EXPECT_EQ(s.amount(), dec("0.6")) << "filled once";
  // The same id on another symbol is a different order.
  s.mark("3000", "ETHUSDT");
  s.open(Side::kLong, "1", "ETHUSDT");
  EXPECT_EQ(s.exit(Side::kLong, "1", kExit1, "ETHUSDT").status, 200);
}

// ---- orders: hedge mode ---------------------------------------------------------------------

TEST(SimExchangeOrders, HedgeModeRules) {
  Sim s(true);
  s.mark("60000");
  s.open(Side::kLong, "1");
  s.open(Side::kShort, "2");
  EXPECT_EQ(s.amount("LONG"), dec("1"));
  EXPECT_EQ(s.amount("SHORT"), dec("-2"));
  // exitbrain's hedge bytes: positionSide, no reduceOnly.
  const HttpAnswer l = s.exit(Side::kLong, "0.4", kExit1);
  ASSERT_EQ(l.status, 200) << l.body;
  EXPECT_EQ(jget(l.body, "/positionSide"), "LONG");
  EXPECT_EQ(jget(l.body, "/side"), "SELL");
  EXPECT_EQ(s.amount("LONG"), dec("0.6"));
  const HttpAnswer sh = s.exit(Side::kShort, "5", kExit2);  // cut to the short's 2
  ASSERT_EQ(sh.status, 200) << sh.body;
  EXPECT_EQ(jget(sh.body, "/executedQty"), "2");
  EXPECT_EQ(s.amount("SHORT"), dec("0"));
  EXPECT_EQ(s.amount("LONG"), dec("0.6")) << "the other side is untouched";

  const auto order = [&](std::string params) { return s.send("POST", "/fapi/v1/order", params); };
  // One-way bytes (reduceOnly, no positionSide) sent to a hedge account.
  QueryWriter q;
  write_exit_order(q, "BTCUSDT", Side::kLong, dec("0.1"), ClientId::for_exit(42, 9),
                   PositionMode::kOneWay, s.timing());
  EXPECT_EQ(code_of(s.send_signed("POST", "/fapi/v1/order", q)), -4061);
  EXPECT_ERROR(order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.1"), 400, -4061,
               "Order's position side does not match user's setting.");
  EXPECT_EQ(code_of(order("symbol=BTCUSDT&side=SELL&positionSide=BOTH&type=MARKET&quantity=0.1")),
            -4061);
  EXPECT_ERROR(
      order("symbol=BTCUSDT&side=SELL&positionSide=LONG&type=MARKET&quantity=0.1&reduceOnly=true"),
      400, -1106, "Parameter 'reduceOnly' sent when not required.");
  // Closing a side that is flat.
  EXPECT_ERROR(order("symbol=BTCUSDT&side=BUY&positionSide=SHORT&type=MARKET&quantity=0.1"), 400,
               -2022, "ReduceOnly Order is rejected.");
  // Opening more on LONG is fine, min notional applies to it.
  EXPECT_EQ(order("symbol=BTCUSDT&side=BUY&positionSide=LONG&type=MARKET&quantity=0.1").status,
            200);
  EXPECT_EQ(s.amount("LONG"), dec("0.7"));
  EXPECT_EQ(code_of(order("symbol=BTCUSDT&side=SELL&positionSide=SIDEWAYS&type=MARKET&quantity=1")),
            -4060);
}

// ---- faults ---------------------------------------------------------------------------------

TEST(SimExchangeFaults, Unknown503ExecutesAndTheLookupFindsIt) {
  Sim s;
  s.mark("60000");
  s.open(Side::kLong, "1");
  s.ex.faults().unknown_503_next = 1;
  const HttpAnswer a = s.exit(Side::kLong, "1", kExit1);
  EXPECT_ERROR(a, 503, -1000, "Unknown error, please check your request or try again later.");
  EXPECT_EQ(classify_exchange_error(a.status, code_of(a), jget(a.body, "/msg")),
            ErrorAction::kUnknownOutcome);
  EXPECT_EQ(s.amount(), dec("0")) << "executed anyway";
  EXPECT_EQ(s.ex.faults().unknown_503_next, 0);
  const HttpAnswer g = s.send("GET", "/fapi/v1/order",
                              "symbol=BTCUSDT&origClientOrderId=" + std::string(kExit1.view()));
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(jget(g.body, "/status"), "FILLED");
  EXPECT_EQ(jget(g.body, "/executedQty"), "1");
  EXPECT_EQ(code_of(s.exit(Side::kLong, "1", kExit1)), -4116);
  // The fill's events went out as usual.
  int fills = 0;
  for (const UserEvent& e : s.events())
    if (e.kind == UserEventKind::kOrder && e.order.status == OrderStatus::kFilled &&
        e.order.client_id.view() == kExit1.view())
      ++fills;
  EXPECT_EQ(fills, 1);
  const std::string log = s.ex.orders_json();
  EXPECT_EQ(jget(log, "/1/http_status"), "503");
  EXPECT_EQ(jget(log, "/1/code"), "-1000");
  EXPECT_EQ(jget(log, "/1/outcome"), "FILLED");
  EXPECT_EQ(jget(log, "/1/executed_qty"), "1");
}

TEST(SimExchangeFaults, Unavailable503DoesNotExecute) {
  Sim s;
  s.mark("60000");
  s.open(Side::kLong, "1");
  s.ex.faults().unavailable_503_next = 2;
  const HttpAnswer a = s.exit(Side::kLong, "1", kExit1);
  EXPECT_ERROR(a, 503, -1001, "Service Unavailable.");
  EXPECT_EQ(classify_exchange_error(a.status, code_of(a), jget(a.body, "/msg")),
            ErrorAction::kRetryBackoff);
  EXPECT_EQ(code_of(s.hard_stop(Side::kLong, "59000", kStop1)), -1001);
  EXPECT_EQ(s.amount(), dec("1"));
  EXPECT_EQ(code_of(s.send("GET", "/fapi/v1/order",
                           "symbol=BTCUSDT&origClientOrderId=" + std::string(kExit1.view()))),
            -2013);
  // The retry under the same id goes through.
  EXPECT_EQ(s.exit(Side::kLong, "1", kExit1).status, 200);
  EXPECT_EQ(s.amount(), dec("0"));
  EXPECT_EQ(jget(s.ex.orders_json(), "/1/outcome"), "UNAVAILABLE");
}

TEST(SimExchangeFaults, RateLimit429CarriesRetryAfter) {
  Sim s;
  s.mark("60000");
  s.ex.faults().rate_limit_429_next = 1;
  const HttpAnswer a = s.send("GET", "/fapi/v2/positionRisk", "");
  EXPECT_EQ(a.status, 429);
  EXPECT_EQ(code_of(a), -1003);
  EXPECT_EQ(header(a, "Retry-After"), "1");
  EXPECT_EQ(classify_exchange_error(a.status, code_of(a), jget(a.body, "/msg")),
            ErrorAction::kRateLimited);
  EXPECT_EQ(s.send("GET", "/fapi/v2/positionRisk", "").status, 200);
  // Public endpoints are not affected.
  s.ex.faults().rate_limit_429_next = 1;
  EXPECT_EQ(s.raw("GET", "/fapi/v1/time", "").status, 200);
  EXPECT_EQ(s.send("GET", "/fapi/v2/positionRisk", "").status, 429);
}

// ---- algo orders ----------------------------------------------------------------------------

TEST(SimExchangeAlgo, HardStopTriggersOnTheMarkAndClosesThePosition) {
  for (bool hedge : {false, true}) {
    SCOPED_TRACE(hedge ? "hedge" : "one-way");
    Sim s(hedge);
    s.mark("60000");
    s.open(Side::kLong, "0.5");
    (void)s.events();
    const HttpAnswer a = s.hard_stop(Side::kLong, "59000.5", kStop1);
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(jget(a.body, "/algoStatus"), "NEW");
    EXPECT_EQ(jget(a.body, "/algoType"), "CONDITIONAL");
    EXPECT_EQ(jget(a.body, "/orderType"), "STOP_MARKET");
    EXPECT_EQ(jget(a.body, "/clientAlgoId"), "xbs-16-1");
    EXPECT_EQ(jget(a.body, "/triggerPrice"), "59000.5");
    EXPECT_EQ(jget(a.body, "/closePosition"), "true");
    EXPECT_EQ(jget(a.body, "/reduceOnly"), "false");
    EXPECT_EQ(jget(a.body, "/workingType"), "MARK_PRICE");
    EXPECT_EQ(jget(a.body, "/positionSide"), hedge ? "LONG" : "BOTH");
    EXPECT_EQ(jget(a.body, "/icebergQuantity"), "null");
    const std::string algo_id = jget(a.body, "/algoId");
    const HttpAnswer open = s.send("GET", "/fapi/v1/openAlgoOrders", "symbol=BTCUSDT");
    EXPECT_EQ(jsize(open.body), 1u);
    EXPECT_EQ(jget(open.body, "/0/algoId"), algo_id);
    std::vector<UserEvent> ev = s.events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, UserEventKind::kAlgo);
    EXPECT_EQ(ev[0].algo.status, AlgoStatus::kNew);
    EXPECT_EQ(ev[0].algo.trigger, dec("59000.5"));

    s.now += 1000;
    s.mark("59000.6");  // above the stop: nothing
    EXPECT_TRUE(s.events().empty());
    s.now += 1000;
    s.mark("59000.5");  // touches it
    ev = s.events();
    ASSERT_EQ(ev.size(), 6u);
    EXPECT_EQ(ev[0].algo.status, AlgoStatus::kTriggering);
    EXPECT_EQ(ev[1].algo.status, AlgoStatus::kTriggered);
    EXPECT_EQ(ev[2].kind, UserEventKind::kOrder);
    EXPECT_EQ(ev[2].order.status, OrderStatus::kNew);
    EXPECT_EQ(ev[3].kind, UserEventKind::kPosition);
    EXPECT_EQ(ev[3].position.amount, dec("0"));
    EXPECT_EQ(ev[3].position.position_side,
              hedge ? PositionSideField::kLong : PositionSideField::kBoth);
    EXPECT_EQ(ev[4].kind, UserEventKind::kOrder);
    EXPECT_EQ(ev[4].order.status, OrderStatus::kFilled);
    EXPECT_EQ(ev[4].order.client_id.view(), "xbs-16-1");
    EXPECT_FALSE(ev[4].order.buy);
    EXPECT_EQ(ev[4].order.last_filled, dec("0.5"));
    EXPECT_EQ(ev[4].order.last_price, dec("59000.5"));
    EXPECT_DOUBLE_EQ(ev[4].order.realized_pnl, -499.75);  // (59000.5 - 60000) × 0.5
    EXPECT_DOUBLE_EQ(ev[4].order.commission, 11.8001);    // 29500.25 × 0.0004
    EXPECT_EQ(ev[5].algo.status, AlgoStatus::kFinished);
    EXPECT_EQ(ev[5].algo.executed, dec("0.5"));
    EXPECT_EQ(ev[5].algo.average_price, dec("59000.5"));
    EXPECT_EQ(ev[5].event_time, s.now);
    EXPECT_EQ(s.amount(hedge ? "LONG" : "BOTH"), dec("0"));

    const HttpAnswer q = s.send("GET", "/fapi/v1/algoOrder", "algoId=" + algo_id);
    EXPECT_EQ(jget(q.body, "/algoStatus"), "FINISHED");
    EXPECT_EQ(jget(q.body, "/actualOrderId"), std::to_string(ev[4].order.order_id));
    EXPECT_EQ(jget(q.body, "/actualPrice"), "59000.5");
    EXPECT_EQ(jget(q.body, "/triggerTime"), std::to_string(s.now));
    EXPECT_EQ(s.send("GET", "/fapi/v1/openAlgoOrders", "").body, "[]");
    EXPECT_EQ(code_of(s.send("DELETE", "/fapi/v1/algoOrder", "algoId=" + algo_id)), -2011);
    const std::string log = s.ex.orders_json();
    EXPECT_EQ(jget(log, "/1/endpoint"), "POST /fapi/v1/algoOrder");
    EXPECT_EQ(jget(log, "/1/outcome"), "NEW");
    EXPECT_EQ(jget(log, "/1/params/closePosition"), "true");
    EXPECT_EQ(jget(log, "/2/endpoint"), "TRIGGER algoOrder");
    EXPECT_EQ(jget(log, "/2/outcome"), "FILLED");
    EXPECT_EQ(jget(log, "/2/params/clientAlgoId"), "xbs-16-1");
    EXPECT_EQ(jget(log, "/2/executed_qty"), "0.5");
  }
}

TEST(SimExchangeAlgo, ShortStopFiresOnARise) {
  Sim s;
  s.mark("60000");
  s.open(Side::kShort, "0.2");
  ASSERT_EQ(s.hard_stop(Side::kShort, "61000", kStop1).status, 200);
  s.mark("60999.9");
  EXPECT_EQ(s.amount(), dec("-0.2"));
  s.mark("61500");  // gaps through: fills at the mark, not the trigger
  EXPECT_EQ(s.amount(), dec("0"));
  EXPECT_EQ(s.ex.wallet_balance(), dec("10000") - dec("300") - dec("4.8") - dec("4.92"));
}

TEST(SimExchangeAlgo, ExpiresWhenThePositionIsAlreadyFlat) {
  Sim s;
  s.mark("60000");
  s.open(Side::kLong, "1");
  ASSERT_EQ(s.hard_stop(Side::kLong, "59000", kStop1).status, 200);
  ASSERT_EQ(s.exit(Side::kLong, "1", kExit1).status, 200);
  (void)s.events();
  const Decimal wallet = s.ex.wallet_balance();
  s.mark("58000");
  const std::vector<UserEvent> ev = s.events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].algo.status, AlgoStatus::kTriggering);
  EXPECT_EQ(ev[1].algo.status, AlgoStatus::kExpired);
  EXPECT_EQ(ev[1].algo.executed, dec("0"));
  EXPECT_EQ(s.amount(), dec("0"));
  EXPECT_EQ(s.ex.wallet_balance(), wallet);
  const HttpAnswer q = s.send("GET", "/fapi/v1/algoOrder", "clientAlgoId=xbs-16-1");
  EXPECT_EQ(jget(q.body, "/algoStatus"), "EXPIRED");
  EXPECT_EQ(jget(q.body, "/actualOrderId"), "");
  // A stop on the other side of a reversed position does not close it either.
  s.open(Side::kShort, "1");
  ASSERT_EQ(s.hard_stop(Side::kLong, "57000", kStop1).status, 200);
  s.mark("56000");
  EXPECT_EQ(s.amount(), dec("-1"));
}

TEST(SimExchangeAlgo, TakeProfitWithQuantityAndReduceOnly) {
  Sim s;
  s.mark("100");
  s.open(Side::kLong, "10");
  const HttpAnswer a =
      s.send("POST", "/fapi/v1/algoOrder",
             "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TAKE_PROFIT_"
             "MARKET&quantity=4&reduceOnly=true&triggerPrice=110&clientAlgoId=tp1");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(jget(a.body, "/quantity"), "4");
  EXPECT_EQ(jget(a.body, "/workingType"), "CONTRACT_PRICE");
  s.mark("109.9");
  EXPECT_EQ(s.amount(), dec("10"));
  s.mark("110");
  EXPECT_EQ(s.amount(), dec("6"));
  // TAKE_PROFIT on the wrong side of the mark would trigger at once.
  EXPECT_ERROR(s.send("POST", "/fapi/v1/algoOrder",
                      "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TAKE_PROFIT_MARKET&"
                      "closePosition=true&triggerPrice=105"),
               400, -2021, "Order would immediately trigger.");
}

TEST(SimExchangeAlgo, Rules) {
  for (bool hedge : {false, true}) {
    SCOPED_TRACE(hedge ? "hedge" : "one-way");
    Sim s(hedge);
    s.mark("60000");
    const std::string ps = hedge ? "&positionSide=LONG" : "";
    const auto algo = [&](std::string params) {
      return s.send("POST", "/fapi/v1/algoOrder", params);
    };
    const std::string base = "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL" + ps;
    EXPECT_ERROR(algo(base + "&type=STOP_MARKET&closePosition=true&triggerPrice=61000"), 400, -2021,
                 "Order would immediately trigger.");
    EXPECT_ERROR(algo(base + "&type=STOP_MARKET&closePosition=true&triggerPrice=59000.05"), 400,
                 -4014, "Price not increased by tick size.");
    EXPECT_ERROR(algo(base + "&type=STOP_MARKET&closePosition=true"), 400, -1102,
                 "Mandatory parameter 'triggerPrice' was not sent, was empty/null, or malformed.");
    EXPECT_ERROR(algo(base + "&type=STOP_MARKET&closePosition=true&quantity=1&triggerPrice=59000"),
                 400, -1106, "Parameter 'quantity' sent when not required.");
    EXPECT_ERROR(
        algo(base + "&type=STOP_MARKET&closePosition=true&reduceOnly=true&triggerPrice=59000"), 400,
        -1106, "Parameter 'reduceOnly' sent when not required.");
    EXPECT_ERROR(algo(base + "&type=STOP&quantity=1&price=59000&triggerPrice=59000"), 400, -1116,
                 "Invalid orderType.");
    EXPECT_ERROR(algo(base + "&type=TRAILING_STOP_MARKET&quantity=1&callbackRate=1"), 400, -1116,
                 "");
    EXPECT_EQ(code_of(algo("algoType=VP&symbol=BTCUSDT&side=SELL" + ps +
                           "&type=STOP_MARKET&closePosition=true&triggerPrice=59000")),
              -1130);
    // The pre-migration parameter name.
    EXPECT_EQ(code_of(algo(base + "&type=STOP_MARKET&closePosition=true&stopPrice=59000")), -1104);
    EXPECT_EQ(code_of(algo(base + "&type=STOP_MARKET&triggerPrice=59000")), -1102)
        << "quantity is mandatory without closePosition";
    EXPECT_EQ(code_of(algo(base + "&type=STOP_MARKET&closePosition=true&triggerPrice=59000&"
                                  "workingType=LAST")),
              -1130);
    EXPECT_EQ(code_of(algo(base + "&type=STOP_MARKET&closePosition=true&triggerPrice=59000&"
                                  "clientAlgoId=bad%21id")),
              -1100);
    // positionSide against the mode.
    const std::string wrong_ps = hedge ? "" : "&positionSide=LONG";
    EXPECT_ERROR(algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL" + wrong_ps +
                      "&type=STOP_MARKET&closePosition=true&triggerPrice=59000"),
                 400, -4061, "Order's position side does not match user's setting.");
    if (hedge) {
      EXPECT_ERROR(algo(base + "&type=STOP_MARKET&quantity=1&reduceOnly=true&triggerPrice=59000"),
                   400, -1106, "Parameter 'reduceOnly' sent when not required.");
      // closePosition BUY on LONG / SELL on SHORT.
      EXPECT_EQ(code_of(algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=BUY&positionSide=LONG&type="
                             "STOP_MARKET&closePosition=true&triggerPrice=61000")),
                -4061);
      EXPECT_EQ(code_of(algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&positionSide=SHORT&"
                             "type=STOP_MARKET&closePosition=true&triggerPrice=59000")),
                -4061);
    }
    // exitbrain's own bytes pass, and a second live stop under the same id is a duplicate.
    ASSERT_EQ(s.hard_stop(Side::kLong, "59000", kStop1).status, 200);
    EXPECT_ERROR(s.hard_stop(Side::kLong, "58000", kStop1), 400, -4116,
                 "ClientOrderId is duplicated.");
    EXPECT_EQ(s.hard_stop(Side::kShort, "61000", ClientId::for_hard_stop(43, 1)).status, 200);
    // Once cancelled, the id can be used again.
    const HttpAnswer c = s.send("DELETE", "/fapi/v1/algoOrder", "clientAlgoId=xbs-16-1");
    ASSERT_EQ(c.status, 200) << c.body;
    EXPECT_EQ(jget(c.body, "/code"), "200");
    EXPECT_EQ(jget(c.body, "/msg"), "success");
    EXPECT_EQ(jget(c.body, "/clientAlgoId"), "xbs-16-1");
    EXPECT_EQ(s.hard_stop(Side::kLong, "58000", kStop1).status, 200);
  }
}

TEST(SimExchangeAlgo, CancelAndCancelAll) {
  Sim s;
  s.mark("60000");
  s.open(Side::kLong, "1");
  const HttpAnswer a = s.hard_stop(Side::kLong, "59000", kStop1);
  const std::string id = jget(a.body, "/algoId");
  (void)s.events();
  const HttpAnswer c = s.send("DELETE", "/fapi/v1/algoOrder", "algoId=" + id);
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(jget(c.body, "/algoId"), id);
  std::vector<UserEvent> ev = s.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].algo.status, AlgoStatus::kCanceled);
  EXPECT_ERROR(s.send("DELETE", "/fapi/v1/algoOrder", "algoId=" + id), 400, -2011,
               "Unknown order sent.");
  EXPECT_EQ(code_of(s.send("DELETE", "/fapi/v1/algoOrder", "algoId=999")), -2011);
  EXPECT_EQ(code_of(s.send("DELETE", "/fapi/v1/algoOrder", "")), -1102);
  EXPECT_EQ(code_of(s.send("GET", "/fapi/v1/algoOrder", "algoId=999")), -2013);
  // The cancelled stop does not fire.
  s.mark("58000");
  EXPECT_EQ(s.amount(), dec("1"));
  // Cancel all on a symbol.
  ASSERT_EQ(s.hard_stop(Side::kLong, "57000", ClientId::for_hard_stop(1, 1)).status, 200);
  ASSERT_EQ(s.hard_stop(Side::kLong, "56000", ClientId::for_hard_stop(1, 2)).status, 200);
  EXPECT_EQ(jsize(s.send("GET", "/fapi/v1/openAlgoOrders", "").body), 2u);
  (void)s.events();
  const HttpAnswer all = s.send("DELETE", "/fapi/v1/algoOpenOrders", "symbol=BTCUSDT");
  EXPECT_EQ(jget(all.body, "/code"), "200");
  EXPECT_EQ(s.events().size(), 2u);
  EXPECT_EQ(s.send("GET", "/fapi/v1/openAlgoOrders", "symbol=BTCUSDT").body, "[]");
  EXPECT_EQ(code_of(s.send("DELETE", "/fapi/v1/algoOpenOrders", "")), -1102);
  const std::string log = s.ex.orders_json();
  EXPECT_EQ(jget(log, "/2/endpoint"), "DELETE /fapi/v1/algoOrder");
  EXPECT_EQ(jget(log, "/2/outcome"), "CANCELED");
  EXPECT_EQ(jget(log, "/3/outcome"), "REJECTED");
  EXPECT_EQ(jget(log, "/3/code"), "-2011");
}

// ---- money ----------------------------------------------------------------------------------

TEST(SimExchangeMoney, RoundTripPnlAndFees) {
  Sim s;
  s.mark("100");
  const auto order = [&](std::string params) {
    return s.send("POST", "/fapi/v1/order", params + "&newOrderRespType=RESULT");
  };
  ASSERT_EQ(order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1").status, 200);  // fee 0.04
  s.mark("110");
  ASSERT_EQ(order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1").status, 200);  // fee 0.044
  // Averaged entry: (100 + 110) / 2.
  HttpAnswer risk = s.send("GET", "/fapi/v2/positionRisk", "symbol=BTCUSDT");
  EXPECT_EQ(jget(risk.body, "/0/positionAmt"), "2");
  EXPECT_EQ(jget(risk.body, "/0/entryPrice"), "105");
  EXPECT_EQ(jget(risk.body, "/0/unRealizedProfit"), "10");
  EXPECT_EQ(jget(risk.body, "/0/markPrice"), "110");
  EXPECT_EQ(jget(risk.body, "/0/notional"), "220");
  EXPECT_EQ(jget(risk.body, "/0/positionSide"), "BOTH");
  EXPECT_EQ(jget(risk.body, "/0/leverage"), "20");
  (void)s.events();
  s.mark("120");
  // Sell 3: closes 2 (+30 realised) and opens a 1 short at 120. Fee 360 × 0.0004 = 0.144.
  const HttpAnswer flip = order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=3");
  ASSERT_EQ(flip.status, 200) << flip.body;
  std::vector<UserEvent> ev = s.events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_DOUBLE_EQ(ev[2].order.realized_pnl, 30.0);
  EXPECT_DOUBLE_EQ(ev[2].order.commission, 0.144);
  EXPECT_EQ(ev[1].position.amount, dec("-1"));
  EXPECT_EQ(ev[1].position.entry, dec("120"));
  EXPECT_EQ(s.ex.wallet_balance(), dec("10029.772"));  // 10000 + 30 - 0.04 - 0.044 - 0.144
  s.mark("119");
  risk = s.send("GET", "/fapi/v3/positionRisk", "");
  ASSERT_EQ(jsize(risk.body), 1u) << "v3 lists held positions only";
  EXPECT_EQ(jget(risk.body, "/0/positionAmt"), "-1");
  EXPECT_EQ(jget(risk.body, "/0/unRealizedProfit"), "1");
  EXPECT_EQ(jget(risk.body, "/0/notional"), "-119");
  EXPECT_EQ(jget(risk.body, "/0/initialMargin"), "5.95");  // 119 / 20
  EXPECT_EQ(jget(risk.body, "/0/marginAsset"), "USDT");
  EXPECT_EQ(jget(risk.body, "/0/leverage"), "<missing>");
  EXPECT_EQ(jsize(s.send("GET", "/fapi/v2/positionRisk", "").body), 2u) << "v2 lists all";
  const std::string pos = s.ex.positions_json();
  EXPECT_EQ(jget(pos, "/walletBalance"), "10029.772");
  EXPECT_EQ(jget(pos, "/totalFees"), "0.228");
  EXPECT_EQ(jget(pos, "/totalRealizedPnl"), "30");
  EXPECT_EQ(jget(pos, "/positions/0/symbol"), "BTCUSDT");
  EXPECT_EQ(jget(pos, "/positions/0/positionAmt"), "-1");
  EXPECT_EQ(jget(pos, "/positions/0/entryPrice"), "120");
  EXPECT_EQ(jget(pos, "/positions/0/unRealizedProfit"), "1");
  EXPECT_EQ(jget(pos, "/positions/0/fees"), "0.228");
  EXPECT_EQ(jget(s.raw("GET", "/sim/positions", "").body, "/walletBalance"), "10029.772");
}

// ---- user-data events -----------------------------------------------------------------------

TEST(SimExchangeEvents, EveryEventParsesWithExitbrainsParser) {
  Sim s;
  s.mark("60000");
  s.open(Side::kLong, "0.5");
  std::vector<std::string> raw;
  std::vector<UserEvent> ev = s.events(&raw);
  ASSERT_EQ(ev.size(), 3u);
  // NEW
  EXPECT_EQ(ev[0].kind, UserEventKind::kOrder);
  EXPECT_EQ(ev[0].order.status, OrderStatus::kNew);
  EXPECT_EQ(ev[0].order.client_id.view().substr(0, 4), "web_");
  EXPECT_FALSE(is_exitbrain_client_id(ev[0].order.client_id.view()));
  EXPECT_TRUE(ev[0].order.buy);
  EXPECT_EQ(ev[0].order.cumulative_filled, dec("0"));
  EXPECT_EQ(s.symbols.name(ev[0].symbol), "BTCUSDT");
  EXPECT_EQ(ev[0].event_time, s.now);
  EXPECT_EQ(jget(raw[0], "/o/n"), "<missing>") << "no commission before a fill";
  EXPECT_EQ(jget(raw[0], "/o/x"), "NEW");
  // ACCOUNT_UPDATE
  EXPECT_EQ(ev[1].kind, UserEventKind::kPosition);
  EXPECT_EQ(ev[1].position.amount, dec("0.5"));
  EXPECT_EQ(ev[1].position.entry, dec("60000"));
  EXPECT_EQ(ev[1].position.position_side, PositionSideField::kBoth);
  EXPECT_EQ(jget(raw[1], "/a/m"), "ORDER");
  EXPECT_EQ(jget(raw[1], "/a/B/0/a"), "USDT");
  EXPECT_EQ(jget(raw[1], "/a/B/0/wb"), "9988");  // 10000 - 30000 × 0.0004
  EXPECT_EQ(jget(raw[1], "/a/P/0/mt"), "cross");
  // TRADE
  EXPECT_EQ(ev[2].order.status, OrderStatus::kFilled);
  EXPECT_EQ(ev[2].order.order_id, ev[0].order.order_id);
  EXPECT_EQ(ev[2].order.last_filled, dec("0.5"));
  EXPECT_EQ(ev[2].order.cumulative_filled, dec("0.5"));
  EXPECT_EQ(ev[2].order.last_price, dec("60000"));
  EXPECT_EQ(ev[2].order.average_price, dec("60000"));
  EXPECT_DOUBLE_EQ(ev[2].order.commission, 12.0);
  EXPECT_DOUBLE_EQ(ev[2].order.realized_pnl, 0.0);
  EXPECT_FALSE(ev[2].order.reduce_only);
  EXPECT_EQ(jget(raw[2], "/o/x"), "TRADE");
  EXPECT_EQ(jget(raw[2], "/o/N"), "USDT");
  EXPECT_EQ(jget(raw[2], "/o/o"), "MARKET");
  EXPECT_EQ(jget(raw[2], "/e"), "ORDER_TRADE_UPDATE");

  // An exit: reduce-only flag and realised PnL on the fill.
  s.mark("60100");
  ASSERT_EQ(s.exit(Side::kLong, "0.5", kExit1).status, 200);
  ev = s.events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[2].order.client_id.view(), "xbx-16-1");
  EXPECT_TRUE(ev[2].order.reduce_only);
  EXPECT_FALSE(ev[2].order.buy);
  EXPECT_DOUBLE_EQ(ev[2].order.realized_pnl, 50.0);
  EXPECT_DOUBLE_EQ(ev[2].order.commission, 12.02);
  EXPECT_EQ(ev[1].position.amount, dec("0"));

  // Hedge-mode events name the side.
  Sim h(true);
  h.mark("60000");
  h.open(Side::kShort, "1");
  ev = h.events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].order.position_side, PositionSideField::kShort);
  EXPECT_EQ(ev[1].position.position_side, PositionSideField::kShort);
  EXPECT_EQ(ev[1].position.amount, dec("-1"));
}

// ---- market data ----------------------------------------------------------------------------

TEST(SimExchangeMarket, KlinesAggregateTheMarks) {
  Sim s;
  // Minute 0: 100 → 104 → 99 → 101; minute 1: 102; minute 3: 98 → 97; minute 5: 110.
  const std::vector<std::pair<TimeMs, const char*>> marks = {
      {0, "100"},      {10'000, "104"}, {20'000, "99"},  {59'999, "101"},
      {60'000, "102"}, {180'000, "98"}, {200'000, "97"}, {300'000, "110"}};
  for (const auto& [dt, p] : marks) s.ex.on_mark_price("BTCUSDT", dec(p), kT0 + dt);
  const std::string t0 = std::to_string(kT0);
  HttpAnswer k = s.raw("GET", "/fapi/v1/klines", "symbol=BTCUSDT&interval=1m");
  ASSERT_EQ(k.status, 200) << k.body;
  ASSERT_EQ(jsize(k.body), 4u);
  EXPECT_EQ(jget(k.body, "/0"), "[" + t0 + R"(,"100","104","99","101","0",)" +
                                    std::to_string(kT0 + 59'999) + R"(,"0",0,"0","0","0"])");
  EXPECT_EQ(jget(k.body, "/1/1"), "102");
  EXPECT_EQ(jget(k.body, "/2/0"), std::to_string(kT0 + 180'000));
  EXPECT_EQ(jget(k.body, "/2/3"), "97");
  // 5m: [0,5) and [5,10) minutes.
  k = s.raw("GET", "/fapi/v1/klines", "symbol=BTCUSDT&interval=5m");
  ASSERT_EQ(jsize(k.body), 2u) << k.body;
  EXPECT_EQ(jget(k.body, "/0/0"), t0);
  EXPECT_EQ(jget(k.body, "/0/1"), "100");
  EXPECT_EQ(jget(k.body, "/0/2"), "104");
  EXPECT_EQ(jget(k.body, "/0/3"), "97");
  EXPECT_EQ(jget(k.body, "/0/4"), "97");
  EXPECT_EQ(jget(k.body, "/0/6"), std::to_string(kT0 + 299'999));
  EXPECT_EQ(jget(k.body, "/1/4"), "110");
  // 3m: [0,3) and [3,6): open times aligned to the interval.
  k = s.raw("GET", "/fapi/v1/klines", "symbol=BTCUSDT&interval=3m");
  ASSERT_EQ(jsize(k.body), 2u) << k.body;
  EXPECT_EQ(std::stoll(jget(k.body, "/0/0")) % 180'000, 0);
  // 1h: one candle.
  k = s.raw("GET", "/fapi/v1/klines", "symbol=BTCUSDT&interval=1h");
  ASSERT_EQ(jsize(k.body), 1u);
  EXPECT_EQ(jget(k.body, "/0/2"), "110");
  EXPECT_EQ(jget(k.body, "/0/3"), "97");
  // limit: the latest; startTime: from there; endTime: up to there.
  k = s.raw("GET", "/fapi/v1/klines", "symbol=BTCUSDT&interval=1m&limit=2");
  ASSERT_EQ(jsize(k.body), 2u);
  EXPECT_EQ(jget(k.body, "/1/1"), "110");
  k = s.raw("GET", "/fapi/v1/klines",
            "symbol=BTCUSDT&interval=1m&limit=2&startTime=" + std::to_string(kT0 + 1));
  ASSERT_EQ(jsize(k.body), 2u);
  EXPECT_EQ(jget(k.body, "/0/1"), "102");
  k = s.raw("GET", "/fapi/v1/klines",
            "symbol=BTCUSDT&interval=1m&endTime=" + std::to_string(kT0 + 60'000));
  EXPECT_EQ(jsize(k.body), 2u);
  EXPECT_EQ(header(k, "X-MBX-USED-WEIGHT-1M") != "<none>", true);
  // Errors.
  EXPECT_ERROR(s.raw("GET", "/fapi/v1/klines", "symbol=BTCUSDT&interval=7m"), 400, -1120,
               "Invalid interval.");
  EXPECT_ERROR(s.raw("GET", "/fapi/v1/klines", "symbol=XYZ&interval=1m"), 400, -1121,
               "Invalid symbol.");
  EXPECT_EQ(code_of(s.raw("GET", "/fapi/v1/klines", "interval=1m")), -1102);
  EXPECT_EQ(code_of(s.raw("GET", "/fapi/v1/klines", "symbol=BTCUSDT&interval=1m&limit=1501")),
            -1130);
  EXPECT_EQ(s.raw("GET", "/fapi/v1/klines", "symbol=ETHUSDT&interval=1m").body, "[]");
}

TEST(SimExchangeMarket, TimeExchangeInfoPremiumIndex) {
  Sim s;
  EXPECT_EQ(s.raw("GET", "/fapi/v1/time", "").body,
            "{\"serverTime\":" + std::to_string(s.now) + "}");
  const HttpAnswer info = s.raw("GET", "/fapi/v1/exchangeInfo", "");
  ASSERT_EQ(info.status, 200);
  EXPECT_EQ(jget(info.body, "/symbols/0/status"), "TRADING");
  EXPECT_EQ(jget(info.body, "/symbols/0/contractType"), "PERPETUAL");
  EXPECT_EQ(jget(info.body, "/rateLimits/0/limit"), "2400");
  // exitbrain reads it.
  SymbolTable table;
  const ExchangeInfoResult r = apply_exchange_info(info.body, table, ExchangeInfoOptions{true});
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.symbols_updated, 2u);
  const SymbolFilters& f = table.filters(*table.find("ETHUSDT"));
  EXPECT_EQ(f.tick_size, dec("0.01"));
  EXPECT_EQ(f.step_size, dec("0.001"));
  EXPECT_EQ(f.min_qty, dec("0.001"));
  EXPECT_EQ(f.min_notional, dec("20"));

  s.ex.on_mark_price("BTCUSDT", dec("64000.1"), s.now - 500, 0.0001);
  HttpAnswer p = s.raw("GET", "/fapi/v1/premiumIndex", "symbol=BTCUSDT");
  EXPECT_EQ(jget(p.body, "/markPrice"), "64000.1");
  EXPECT_EQ(jget(p.body, "/lastFundingRate"), "0.00010000");
  EXPECT_EQ(jget(p.body, "/time"), std::to_string(s.now - 500));
  EXPECT_EQ(std::stoll(jget(p.body, "/nextFundingTime")) % (8 * 3600 * 1000), 0);
  EXPECT_GT(std::stoll(jget(p.body, "/nextFundingTime")), s.now);
  EXPECT_EQ(header(p, "X-MBX-USED-WEIGHT-1M"), "3");  // time 1 + exchangeInfo 1 + this 1
  p = s.raw("GET", "/fapi/v1/premiumIndex", "");
  EXPECT_EQ(jsize(p.body), 2u);
  EXPECT_EQ(header(p, "X-MBX-USED-WEIGHT-1M"), "13");
  EXPECT_EQ(code_of(s.raw("GET", "/fapi/v1/premiumIndex", "symbol=NOPE")), -1121);
  // The weight window restarts each minute.
  s.now += 60'000;
  EXPECT_EQ(header(s.raw("GET", "/fapi/v1/time", ""), "X-MBX-USED-WEIGHT-1M"), "1");
  EXPECT_EQ(s.raw("GET", "/fapi/v1/nothing", "").status, 404);
}

// ---- account settings -----------------------------------------------------------------------

TEST(SimExchangeAccount, PositionModeAndLeverage) {
  Sim s;
  s.mark("60000");
  EXPECT_EQ(s.send("GET", "/fapi/v1/positionSide/dual", "").body, R"({"dualSidePosition":false})");
  EXPECT_ERROR(s.send("POST", "/fapi/v1/positionSide/dual", "dualSidePosition=false"), 400, -4059,
               "No need to change position side.");
  s.open(Side::kLong, "1");
  EXPECT_EQ(code_of(s.send("POST", "/fapi/v1/positionSide/dual", "dualSidePosition=true")), -4068);
  EXPECT_EQ(code_of(s.raw("POST", "/sim/mode", "hedge=true")), -4068);
  ASSERT_EQ(s.exit(Side::kLong, "1", kExit1).status, 200);
  ASSERT_EQ(s.hard_stop(Side::kLong, "59000", kStop1).status, 200);
  EXPECT_EQ(code_of(s.send("POST", "/fapi/v1/positionSide/dual", "dualSidePosition=true")), -4067);
  ASSERT_EQ(s.send("DELETE", "/fapi/v1/algoOpenOrders", "symbol=BTCUSDT").status, 200);
  EXPECT_EQ(s.send("POST", "/fapi/v1/positionSide/dual", "dualSidePosition=true").status, 200);
  EXPECT_TRUE(s.ex.hedge_mode());
  EXPECT_EQ(jget(s.send("GET", "/fapi/v1/positionSide/dual", "").body, "/dualSidePosition"),
            "true");
  EXPECT_EQ(jsize(s.send("GET", "/fapi/v2/positionRisk", "symbol=BTCUSDT").body), 2u)
      << "LONG and SHORT";
  EXPECT_EQ(s.raw("POST", "/sim/mode", "hedge=false").body, R"({"hedge":false})");

  const HttpAnswer lev = s.send("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=5");
  ASSERT_EQ(lev.status, 200) << lev.body;
  EXPECT_EQ(jget(lev.body, "/leverage"), "5");
  EXPECT_EQ(jget(lev.body, "/symbol"), "BTCUSDT");
  EXPECT_EQ(jget(lev.body, "/maxNotionalValue"), "20000000");
  EXPECT_EQ(jget(s.send("GET", "/fapi/v2/positionRisk", "symbol=BTCUSDT").body, "/0/leverage"),
            "5");
  EXPECT_ERROR(s.send("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=126"), 400, -4028,
               "Leverage 126 is not valid");
  EXPECT_EQ(code_of(s.send("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=0")), -4028);
  EXPECT_EQ(code_of(s.send("POST", "/fapi/v1/leverage", "symbol=BTCUSDT")), -1102);
  EXPECT_EQ(code_of(s.send("POST", "/fapi/v1/leverage", "symbol=NOPE&leverage=3")), -1121);
}

// Binance's own rules for a bracket table (§7.1, §7.2): contiguous ranges from 0, MMR rising,
// leverage falling, cum_n = floor_n × (MMR_n − MMR_{n−1}) + cum_{n−1}.
void expect_consistent_brackets(const SymbolBrackets& s) {
  SCOPED_TRACE(s.symbol);
  ASSERT_FALSE(s.brackets.empty());
  EXPECT_TRUE(validate_brackets(s.brackets).ok()) << validate_brackets(s.brackets).message();
  EXPECT_EQ(s.brackets[0].notional_floor, 0);
  EXPECT_EQ(s.brackets[0].cum, 0);
  for (std::size_t i = 1; i < s.brackets.size(); ++i) {
    const LeverageBracket &a = s.brackets[i - 1], &b = s.brackets[i];
    EXPECT_EQ(b.notional_floor, a.notional_cap) << i;
    EXPECT_GT(b.maint_margin_ratio, a.maint_margin_ratio) << i;
    EXPECT_LT(b.max_leverage, a.max_leverage) << i;
    EXPECT_NEAR(b.cum, b.notional_floor * (b.maint_margin_ratio - a.maint_margin_ratio) + a.cum,
                1e-6)
        << i;
  }
  EXPECT_EQ(s.brackets.back().max_leverage, 1);
}

TEST(SimExchangeAccount, LeverageBracketsSignedBothFormsConsistent) {
  Sim s;
  RestResponseParser parser;
  std::vector<SymbolBrackets> out;

  // USER_DATA: signed like the other account endpoints.
  EXPECT_ERROR(s.raw("GET", "/fapi/v1/leverageBracket", "symbol=BTCUSDT"), 400, -1102, "");
  EXPECT_EQ(code_of(s.raw("GET", "/fapi/v1/leverageBracket", "symbol=BTCUSDT", "", "x")), -2015);
  EXPECT_ERROR(s.send("GET", "/fapi/v1/leverageBracket", "symbol=NOPE"), 400, -1121,
               "Invalid symbol.");

  // One symbol: the object form, with Binance's BTCUSDT brackets.
  const HttpAnswer one = s.send("GET", "/fapi/v1/leverageBracket", "symbol=BTCUSDT");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_NE(one.body.find(R"("initialLeverage":125,"notionalCap":50000,"notionalFloor":0,)"
                          R"("maintMarginRatio":0.004,"cum":0})"),
            std::string::npos)
      << "plain JSON numbers: " << one.body;
  ASSERT_TRUE(parser.parse_leverage_brackets(one.body, out).ok);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].symbol, "BTCUSDT");
  const std::vector<LeverageBracket>& b = out[0].brackets;
  ASSERT_GE(b.size(), 3u);
  EXPECT_EQ(b[1].max_leverage, 100);
  EXPECT_EQ(b[1].notional_cap, 600'000);
  EXPECT_EQ(b[1].maint_margin_ratio, 0.005);
  EXPECT_EQ(b[1].cum, 50);
  EXPECT_EQ(b[2].max_leverage, 75);
  EXPECT_EQ(b[2].notional_cap, 3'000'000);
  EXPECT_EQ(b[2].cum, 950);
  expect_consistent_brackets(out[0]);

  // No symbol: the array of every symbol the exchange lists.
  const HttpAnswer all = s.send("GET", "/fapi/v1/leverageBracket", "");
  ASSERT_EQ(all.status, 200) << all.body;
  ASSERT_TRUE(parser.parse_leverage_brackets(all.body, out).ok);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].symbol, "BTCUSDT");
  EXPECT_EQ(out[1].symbol, "ETHUSDT");
  for (const SymbolBrackets& sb : out) expect_consistent_brackets(sb);
  EXPECT_LT(out[1].brackets[0].max_leverage, out[0].brackets[0].max_leverage);
}

TEST(SimExchangeAccount, AltcoinBracketsHaveLessLeverageAndMoreMargin) {
  SimAccountConfig c = config(false);
  c.symbols.push_back({"NEARUSDT", dec("0.001"), dec("1"), dec("1"), dec("5")});
  Sim s;
  SimExchange alt(c);
  RestResponseParser parser;
  std::vector<SymbolBrackets> out;
  std::string q = "symbol=NEARUSDT&recvWindow=5000&timestamp=" + std::to_string(s.now);
  char hex[HmacSha256Signer::kHexLength];
  s.signer.sign(q, hex);
  q += "&signature=" + std::string(hex, sizeof hex);
  const HttpAnswer a =
      alt.handle(HttpRequestView{"GET", "/fapi/v1/leverageBracket", q, "", kKey}, s.now);
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_TRUE(parser.parse_leverage_brackets(a.body, out).ok);
  expect_consistent_brackets(out[0]);
  EXPECT_EQ(out[0].brackets[0].max_leverage, 20);
  EXPECT_EQ(out[0].brackets[0].maint_margin_ratio, 0.025);
  EXPECT_EQ(out[0].brackets[1].cum, 125);  // 5 000 × (5 % − 2.5 %)
}

// Over real loopback sockets: exitbrain's start-up fetch (signed with exitbrain's signer,
// its REST client, its parser) against the simulator's server.
// exitbrain-sim on a free loopback port with a synthetic BTCUSDT market, served on its own
// thread for the tests over real sockets; stopped and joined when the test ends.
struct ServedSim {
  explicit ServedSim(SimAccountConfig account, SimServerOptions o = {}, TimeMs history_ms = 0)
      : exchange(std::move(account)),
        server(unshifted(o), make_synthetic_feed(btc_from(wall_clock_ms() - history_ms)), {},
               exchange),
        port(server.listen()),
        io([this] { server.run(); }) {}
  ~ServedSim() {
    server.stop();
    io.join();
  }
  static SimServerOptions unshifted(SimServerOptions o) {
    o.shift_times = false;
    return o;
  }
  static SyntheticFeedOptions btc_from(TimeMs start_ms) {
    SyntheticFeedOptions feed;
    feed.symbols = {{"BTCUSDT", 60000.0}};
    feed.start_ms = start_ms;
    return feed;
  }
  SimExchange exchange;
  SimServer server;
  std::uint16_t port;
  std::thread io;
};

TEST(SimExchangeSockets, LeverageBracketsFetchedOverRealSockets) {
  SimAccountConfig account = config(false);
  account.api_key = "socket-key";
  account.api_secret = "socket-secret";
  ServedSim sim(account);
  const std::uint16_t port = sim.port;

  RestClientOptions ro;
  ro.api_key = "socket-key";
  RestClient rest(HttpTarget{false, "127.0.0.1", std::to_string(port)}, nullptr, ro);
  const HmacSha256Signer signer("socket-secret");
  ServerClock clock;
  LiveConfig live;
  live.symbols = {"ETHUSDT", "BTCUSDT"};
  std::string error;
  LeverageBracketTable table;
  try {
    table = fetch_leverage_brackets(rest, signer, clock, live);
  } catch (const std::exception& e) {
    error = e.what();
  }
  EXPECT_EQ(error, "");
  EXPECT_EQ(table.size(), 2u);
  ASSERT_FALSE(table.find("BTCUSDT").empty());
  EXPECT_EQ(table.find("BTCUSDT")[0].max_leverage, 125);
  EXPECT_EQ(table.find("BTCUSDT")[2].cum, 950);
  ASSERT_FALSE(table.find("ETHUSDT").empty());
  EXPECT_EQ(table.find("ETHUSDT")[0].maint_margin_ratio, 0.005);

  // A symbol the exchange does not list names the step and the symbol.
  live.symbols = {"NOPEUSDT"};
  try {
    (void)fetch_leverage_brackets(rest, signer, clock, live);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("leverageBracket"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("-1121"), std::string::npos) << e.what();
  }
  // A wrong secret is refused by the exchange, and said so.
  const HmacSha256Signer wrong("not-the-secret");
  live.symbols = {"BTCUSDT"};
  try {
    (void)fetch_leverage_brackets(rest, wrong, clock, live);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("-1022"), std::string::npos) << e.what();
  }
}

// Found by the fault soak: a restart that met a 429 ended the process, leaving the
// positions unmanaged. Start-up now waits out 429 and 418 (after their Retry-After) and
// answers again; a refusal (a wrong secret) still stops it at once.
TEST(SimExchangeSockets, StartUpWaitsOutARateLimitAndABanButNotARefusal) {
  SimAccountConfig account = config(false);
  ServedSim sim(account);
  RestClientOptions ro;
  ro.api_key = std::string(kKey);
  RestClient rest(HttpTarget{false, "127.0.0.1", std::to_string(sim.port)}, nullptr, ro);
  ASSERT_EQ(
      rest.request(HttpMethod::kPost, "/sim/faults", "rate_limit_429=2&ban_418=1", false).status,
      200);
  const HmacSha256Signer signer(kSecret);
  ServerClock clock;
  LiveConfig live;
  live.symbols = {"BTCUSDT"};
  std::string error;
  LeverageBracketTable table;
  try {
    table = fetch_leverage_brackets(rest, signer, clock, live);
  } catch (const std::exception& e) {
    error = e.what();
  }
  EXPECT_EQ(error, "");
  EXPECT_FALSE(table.find("BTCUSDT").empty());
  const std::string faults = rest.request(HttpMethod::kGet, "/sim/faults", {}, false).body;
  EXPECT_NE(faults.find("\"rate_limit_429\":0"), std::string::npos) << faults;
  EXPECT_NE(faults.find("\"ban_418\":0"), std::string::npos) << faults;
  const HmacSha256Signer wrong("not-the-secret");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW((void)fetch_leverage_brackets(rest, wrong, clock, live), std::runtime_error);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5))
      << "a refusal is not waited out";
}

// --open works with every market source: a synthetic feed has no marks in its history, so
// the position used to be refused at start ("no mark price for BTCUSDT yet"); now it opens
// at its symbol's first mark.
TEST(SimExchangeSockets, OpenAtStartWorksWithASyntheticFeed) {
  SimAccountConfig account = config(false);
  SimServerOptions o;
  o.history_ms = 3'600'000;
  o.open_at_start = {"BTCUSDT:LONG:0.01"};
  ServedSim sim(account, o, 3'600'000);
  const std::uint16_t port = sim.port;
  RestClient rest(HttpTarget{false, "127.0.0.1", std::to_string(port)}, nullptr, {});
  std::string body;
  for (int i = 0; i < 250 && body.find("\"positionAmt\":\"0.01\"") == std::string::npos; ++i) {
    const RestReply& r = rest.request(HttpMethod::kGet, "/sim/positions", {}, false);
    body = r.body;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(body.find("\"positionAmt\":\"0.01\""), std::string::npos) << body;
}

// The account endpoints a client reads its money from (GET /fapi/v2|v3/account,
// /fapi/v2|v3/balance) and the trade list (GET /fapi/v1/userTrades) follow the fills: the
// wallet less every commission plus the realised PnL, the margin at the mark, one trade per
// fill with its order id.
TEST(SimExchangeAccount, AccountBalanceAndTradesFollowTheFills) {
  Sim s;
  s.mark("100");
  const auto order = [&](std::string params) {
    return s.send("POST", "/fapi/v1/order", params + "&newOrderRespType=RESULT");
  };
  const HttpAnswer buy = order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=2");  // fee 0.08
  ASSERT_EQ(buy.status, 200) << buy.body;
  s.mark("110");
  HttpAnswer acct = s.send("GET", "/fapi/v3/account", "");
  ASSERT_EQ(acct.status, 200) << acct.body;
  EXPECT_EQ(jget(acct.body, "/totalWalletBalance"), "9999.92");
  EXPECT_EQ(jget(acct.body, "/totalUnrealizedProfit"), "20");
  EXPECT_EQ(jget(acct.body, "/totalMarginBalance"), "10019.92");
  EXPECT_EQ(jget(acct.body, "/totalInitialMargin"), "11");  // 220 / 20
  EXPECT_EQ(jget(acct.body, "/availableBalance"), "10008.92");
  EXPECT_EQ(jget(acct.body, "/maxWithdrawAmount"), "9999.92") << "unrealised profit stays";
  EXPECT_EQ(jget(acct.body, "/assets/0/asset"), "USDT");
  EXPECT_EQ(jget(acct.body, "/assets/0/walletBalance"), "9999.92");
  ASSERT_EQ(jsize(acct.body, "/positions"), 1u) << "v3 lists open positions only";
  EXPECT_EQ(jget(acct.body, "/positions/0/positionAmt"), "2");
  EXPECT_EQ(jget(acct.body, "/positions/0/notional"), "220");
  const HttpAnswer v2 = s.send("GET", "/fapi/v2/account", "");
  EXPECT_EQ(jsize(v2.body, "/positions"), 2u) << "v2 lists every symbol";
  EXPECT_EQ(jget(v2.body, "/canTrade"), "true");
  for (const char* path : {"/fapi/v2/balance", "/fapi/v3/balance"}) {
    const HttpAnswer bal = s.send("GET", path, "");
    ASSERT_EQ(bal.status, 200) << path << bal.body;
    EXPECT_EQ(jget(bal.body, "/0/asset"), "USDT") << path;
    EXPECT_EQ(jget(bal.body, "/0/balance"), "9999.92") << path;
    EXPECT_EQ(jget(bal.body, "/0/crossUnPnl"), "20") << path;
  }
  // Sell 2 at 110: +20 realised, fee 0.088.
  const HttpAnswer sell = order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=2&reduceOnly=true");
  ASSERT_EQ(sell.status, 200) << sell.body;
  acct = s.send("GET", "/fapi/v3/account", "");
  EXPECT_EQ(jget(acct.body, "/totalWalletBalance"), "10019.832");
  EXPECT_EQ(jsize(acct.body, "/positions"), 0u);

  const HttpAnswer trades = s.send("GET", "/fapi/v1/userTrades", "symbol=BTCUSDT");
  ASSERT_EQ(trades.status, 200) << trades.body;
  ASSERT_EQ(jsize(trades.body), 2u) << trades.body;
  EXPECT_EQ(jget(trades.body, "/0/side"), "BUY");
  EXPECT_EQ(jget(trades.body, "/0/buyer"), "true");
  EXPECT_EQ(jget(trades.body, "/0/price"), "100");
  EXPECT_EQ(jget(trades.body, "/0/qty"), "2");
  EXPECT_EQ(jget(trades.body, "/0/commission"), "0.08");
  EXPECT_EQ(jget(trades.body, "/0/orderId"), jget(buy.body, "/orderId"));
  EXPECT_EQ(jget(trades.body, "/1/side"), "SELL");
  EXPECT_EQ(jget(trades.body, "/1/realizedPnl"), "20");
  EXPECT_EQ(jget(trades.body, "/1/quoteQty"), "220");
  // By order id; paging from an id; the most recent `limit`.
  const std::string sell_id = jget(sell.body, "/orderId");
  const HttpAnswer one = s.send("GET", "/fapi/v1/userTrades", "symbol=BTCUSDT&orderId=" + sell_id);
  ASSERT_EQ(jsize(one.body), 1u) << one.body;
  EXPECT_EQ(jget(one.body, "/0/side"), "SELL");
  const std::string first_id = jget(trades.body, "/0/id");
  EXPECT_EQ(
      jget(s.send("GET", "/fapi/v1/userTrades", "symbol=BTCUSDT&fromId=" + first_id + "&limit=1")
               .body,
           "/0/side"),
      "BUY");
  EXPECT_EQ(jget(s.send("GET", "/fapi/v1/userTrades", "symbol=BTCUSDT&limit=1").body, "/0/side"),
            "SELL");
  EXPECT_EQ(jsize(s.send("GET", "/fapi/v1/userTrades", "symbol=ETHUSDT").body), 0u);
  // Refusals, named as the exchange names them.
  EXPECT_ERROR(s.send("GET", "/fapi/v1/userTrades", ""), 400, -1102, "");
  EXPECT_ERROR(s.send("GET", "/fapi/v1/userTrades", "symbol=NOPEUSDT"), 400, -1121, "");
  EXPECT_ERROR(s.send("GET", "/fapi/v1/userTrades", "symbol=BTCUSDT&limit=1001"), 400, -1130, "");
  EXPECT_ERROR(s.send("GET", "/fapi/v1/userTrades",
                      "symbol=BTCUSDT&fromId=1&startTime=" + std::to_string(s.now)),
               400, -4000, "");
  EXPECT_ERROR(s.raw("GET", "/fapi/v3/account", ""), 400, -1102, "");  // unsigned
}

// Stream mode on /private as Binance's own connector uses it: connect to
// /private/stream?streams= with no key, SUBSCRIBE the listen key with a string id (the
// connector sends 32 hex digits), and the user-data events arrive named by the key, as
// market streams are named: {"stream":"<listenKey>","data":{...}}.
TEST(SimExchangeSockets, PrivateStreamModeSubscribesTheListenKey) {
  namespace beast = boost::beast;
  namespace websocket = beast::websocket;
  using tcp = boost::asio::ip::tcp;
  SimAccountConfig account = config(false);
  ServedSim sim(account);
  const std::uint16_t port = sim.port;

  RestClientOptions ro;
  ro.api_key = std::string(kKey);
  RestClient rest(HttpTarget{false, "127.0.0.1", std::to_string(port)}, nullptr, ro);
  const std::string key =
      jget(rest.request(HttpMethod::kPost, "/fapi/v1/listenKey", {}, true).body, "/listenKey");
  ASSERT_EQ(key.size(), 64u);

  boost::asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws(ioc);
  beast::get_lowest_layer(ws).connect(
      tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
  ws.handshake("127.0.0.1", "/private/stream?streams=");
  const auto read_text = [&] {
    beast::flat_buffer b;
    ws.read(b);
    return beast::buffers_to_string(b.data());
  };
  ws.write(boost::asio::buffer(std::string(R"({"method":"SUBSCRIBE","params":[")") + key +
                               R"("],"id":"0123456789abcdef0123456789abcdef"})"));
  EXPECT_EQ(read_text(), R"({"result":null,"id":"0123456789abcdef0123456789abcdef"})");
  // An object as an id is still refused.
  ws.write(boost::asio::buffer(std::string(R"({"method":"LIST_SUBSCRIPTIONS","id":{}})")));
  EXPECT_NE(read_text().find("\"code\":2"), std::string::npos);

  // A position opened on the exchange: its events come named by the key.
  std::string body;
  for (int i = 0; i < 250; ++i) {
    body = rest.request(HttpMethod::kPost, "/sim/open", "symbol=BTCUSDT&side=LONG&qty=0.01", false)
               .body;
    if (body.find("\"positionAmt\":\"0.01\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // until the first mark
  }
  ASSERT_NE(body.find("\"positionAmt\":\"0.01\""), std::string::npos) << body;
  const std::string event = read_text();
  EXPECT_EQ(event.rfind(std::string(R"({"stream":")") + key + R"(","data":{"e":")", 0), 0u)
      << event;
  ws.close(websocket::close_code::normal);

  // /private/ws still needs its key up front, and an unknown key is refused at the upgrade.
  websocket::stream<beast::tcp_stream> bad(ioc);
  beast::get_lowest_layer(bad).connect(
      tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  beast::get_lowest_layer(bad).expires_after(std::chrono::seconds(10));
  beast::error_code ec;
  bad.handshake("127.0.0.1", "/private/ws/not-a-key", ec);
  EXPECT_TRUE(ec) << "an unknown listen key was accepted";
}

TEST(SimExchangeAccount, ListenKeyLifecycle) {
  Sim s;
  EXPECT_ERROR(s.raw("POST", "/fapi/v1/listenKey", "", "", ""), 401, -2015, "");
  const HttpAnswer a = s.raw("POST", "/fapi/v1/listenKey", "");
  ASSERT_EQ(a.status, 200);
  const std::string key = jget(a.body, "/listenKey");
  EXPECT_EQ(key.size(), 64u);
  EXPECT_TRUE(s.ex.listen_key_valid(key, s.now));
  EXPECT_FALSE(s.ex.listen_key_valid("other", s.now));
  // Same key while active; PUT extends by 60 minutes.
  s.now += 30 * 60'000;
  EXPECT_EQ(jget(s.raw("POST", "/fapi/v1/listenKey", "").body, "/listenKey"), key);
  s.now += 50 * 60'000;
  EXPECT_TRUE(s.ex.listen_key_valid(key, s.now));
  EXPECT_EQ(s.raw("PUT", "/fapi/v1/listenKey", "").status, 200);
  EXPECT_TRUE(s.ex.listen_key_valid(key, s.now + 59 * 60'000));
  EXPECT_FALSE(s.ex.listen_key_valid(key, s.now + 60 * 60'000));
  s.now += 60 * 60'000;
  EXPECT_ERROR(s.raw("PUT", "/fapi/v1/listenKey", ""), 400, -1125,
               "This listenKey does not exist.");
  // Expired: POST makes a new one; DELETE closes it.
  const std::string key2 = jget(s.raw("POST", "/fapi/v1/listenKey", "").body, "/listenKey");
  EXPECT_NE(key2, key);
  EXPECT_EQ(s.raw("DELETE", "/fapi/v1/listenKey", "").status, 200);
  EXPECT_FALSE(s.ex.listen_key_valid(key2, s.now));
  EXPECT_EQ(code_of(s.raw("PUT", "/fapi/v1/listenKey", "")), -1125);
}

// ---- /sim/* ---------------------------------------------------------------------------------

TEST(SimExchangeControl, SimEndpoints) {
  Sim s;
  EXPECT_EQ(code_of(s.raw("POST", "/sim/open", "symbol=BTCUSDT&side=LONG&qty=1")), -1)
      << "no mark yet";
  EXPECT_EQ(s.raw("POST", "/sim/mark", "symbol=BTCUSDT&price=60000").status, 200);
  EXPECT_EQ(s.ex.mark_price("BTCUSDT"), dec("60000"));
  EXPECT_EQ(s.raw("POST", "/sim/open", "symbol=BTCUSDT&side=LONG&qty=0.01").status, 200);
  EXPECT_EQ(s.raw("POST", "/sim/open", "symbol=BTCUSDT&side=UP&qty=0.01").status, 400);
  EXPECT_EQ(s.raw("POST", "/sim/open", "symbol=BTCUSDT&side=LONG&qty=0.0001").status, 400);
  EXPECT_EQ(s.raw("POST", "/sim/open", "symbol=NOPE&side=LONG&qty=1").status, 400);
  EXPECT_EQ(s.amount(), dec("0.01"));
  EXPECT_EQ(jget(s.raw("GET", "/sim/positions", "").body, "/positions/0/positionAmt"), "0.01");

  const HttpAnswer f =
      s.raw("POST", "/sim/faults",
            "unknown_503=2&unavailable_503=1&rate_limit_429=3&ban_418=4&clock_skew_ms=-250&"
            "delay_ms=40&drop_market_ws=1&silence_ms=5000&refuse_market_ws_ms=1500&"
            "drop_user_ws=1&expire_listen_key=1");
  ASSERT_EQ(f.status, 200) << f.body;
  EXPECT_EQ(f.body, R"({"unknown_503":2,"unavailable_503":1,"rate_limit_429":3,"ban_418":4,)"
                    R"("clock_skew_ms":-250,"delay_ms":40,"drop_market_ws":true,"silence_ms":5000,)"
                    R"("refuse_market_ws_ms":1500,"drop_user_ws":true,"expire_listen_key":true})");
  EXPECT_EQ(s.ex.faults().ban_418_next, 4);
  EXPECT_TRUE(s.ex.faults().drop_user_ws);
  EXPECT_TRUE(s.ex.faults().expire_listen_key);
  // A 418 says so, with a Retry-After, and counts down.
  s.ex.faults().rate_limit_429_next = 0;
  const HttpAnswer banned = s.send("GET", "/fapi/v1/positionSide/dual", "");
  EXPECT_ERROR(banned, 418, -1003, "");
  EXPECT_EQ(header(banned, "Retry-After"), "1");
  EXPECT_EQ(s.ex.faults().ban_418_next, 3);
  s.ex.faults().ban_418_next = 0;
  EXPECT_EQ(s.ex.faults().refuse_market_ws_ms, 1500);
  EXPECT_EQ(s.ex.faults().unknown_503_next, 2);
  EXPECT_EQ(s.ex.faults().clock_skew_ms, -250);
  EXPECT_TRUE(s.ex.faults().drop_market_ws);
  EXPECT_EQ(s.raw("POST", "/sim/faults", "delay_ms=abc").status, 400);
  EXPECT_EQ(s.ex.faults().delay_ms, 40) << "a bad request changes nothing";
  EXPECT_EQ(s.raw("POST", "/sim/faults",
                  "unknown_503=0&unavailable_503=0&rate_limit_429=0&"
                  "clock_skew_ms=0&drop_market_ws=0")
                .status,
            200);
  EXPECT_EQ(jget(s.raw("GET", "/sim/faults", "").body, "/unknown_503"), "0");
  // Cancelling a symbol's algo orders by hand (none open here); an unknown symbol is refused.
  EXPECT_EQ(s.raw("POST", "/sim/cancel_algo", "symbol=BTCUSDT").body, R"({"cancelled":0})");
  EXPECT_EQ(s.raw("POST", "/sim/cancel_algo", "symbol=NOPE").status, 400);

  // /sim/orders: every order request, params without the signature.
  ASSERT_EQ(s.exit(Side::kLong, "0.01", kExit1).status, 200);
  EXPECT_EQ(code_of(s.exit(Side::kLong, "0.01", kExit1)), -4116);
  const std::string log = s.raw("GET", "/sim/orders", "").body;
  EXPECT_EQ(log, s.ex.orders_json());
  ASSERT_EQ(jsize(log), 3u) << log;
  EXPECT_EQ(jget(log, "/0/endpoint"), "SIM open");
  EXPECT_EQ(jget(log, "/1/seq"), "2");
  EXPECT_EQ(jget(log, "/1/endpoint"), "POST /fapi/v1/order");
  EXPECT_EQ(jget(log, "/1/time"), std::to_string(s.now));
  EXPECT_EQ(jget(log, "/1/params/newClientOrderId"), "xbx-16-1");
  EXPECT_EQ(jget(log, "/1/params/reduceOnly"), "true");
  EXPECT_EQ(jget(log, "/1/params/positionSide"), "<missing>");
  EXPECT_EQ(jget(log, "/1/params/signature"), "<missing>");
  EXPECT_EQ(jget(log, "/1/http_status"), "200");
  EXPECT_EQ(jget(log, "/1/code"), "0");
  EXPECT_EQ(jget(log, "/1/outcome"), "FILLED");
  EXPECT_EQ(jget(log, "/1/executed_qty"), "0.01");
  EXPECT_NE(jget(log, "/1/order_id"), "<missing>");
  EXPECT_EQ(jget(log, "/2/http_status"), "400");
  EXPECT_EQ(jget(log, "/2/code"), "-4116");
  EXPECT_EQ(jget(log, "/2/msg"), "ClientOrderId is duplicated.");
  EXPECT_EQ(jget(log, "/2/outcome"), "REJECTED");
  EXPECT_EQ(s.raw("GET", "/sim/nothing", "").status, 404);
}

// ---- robustness -----------------------------------------------------------------------------

TEST(SimExchangeRobustness, GarbageNeverCrashesAndAlwaysAnswersJson) {
  Sim s;
  s.mark("60000");
  s.open(Side::kLong, "1");
  const std::vector<std::string> paths = {"/fapi/v1/order",
                                          "/fapi/v1/algoOrder",
                                          "/fapi/v1/klines",
                                          "/fapi/v1/premiumIndex",
                                          "/fapi/v2/positionRisk",
                                          "/fapi/v1/leverage",
                                          "/fapi/v1/listenKey",
                                          "/fapi/v1/openAlgoOrders",
                                          "/sim/faults",
                                          "/sim/open",
                                          "/sim/mark",
                                          "/fapi/v1/positionSide/dual"};
  const std::vector<std::string> methods = {"GET", "POST", "PUT", "DELETE"};
  const std::vector<std::string> pieces = {"symbol=BTCUSDT",
                                           "side=SELL",
                                           "type=MARKET",
                                           "quantity=1e400",
                                           "quantity=%",
                                           "algoType=CONDITIONAL",
                                           "triggerPrice=-1",
                                           "triggerPrice=1e-20",
                                           "limit=-5",
                                           "interval=1m",
                                           "startTime=99999999999999999999",
                                           "orderId=abc",
                                           "qty=1",
                                           "price=0",
                                           "&&&",
                                           "=",
                                           "==x",
                                           "signature=",
                                           "timestamp=1",
                                           "%ff%00",
                                           "leverage=99999999999",
                                           "dualSidePosition=maybe",
                                           "clock_skew_ms=-99999999999",
                                           "recvWindow=-1",
                                           "newClientOrderId=\x01\xff",
                                           "closePosition=true"};
  std::uint64_t x = 12345;
  for (int i = 0; i < 3000; ++i) {
    const auto next = [&] {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      return static_cast<std::size_t>(x >> 33);
    };
    std::string q, body;
    const std::size_t n = next() % 6;
    for (std::size_t k = 0; k < n; ++k) {
      std::string& dst = next() % 2 ? q : body;
      if (!dst.empty()) dst += '&';
      dst += pieces[next() % pieces.size()];
    }
    const std::string& m = methods[next() % methods.size()];
    const std::string& p = paths[next() % paths.size()];
    const HttpAnswer a = s.raw(m, p, q, body, next() % 3 ? kKey : "x");
    simdjson::dom::parser parser;
    simdjson::dom::element e;
    EXPECT_FALSE(parser.parse(a.body).get(e)) << m << " " << p << "?" << q << " " << a.body;
    EXPECT_TRUE(a.status == 200 || a.status == 400 || a.status == 401 || a.status == 404 ||
                a.status == 429 || a.status == 503)
        << a.status;
  }
  // Signed garbage reaches the parameter checks of every order endpoint.
  const std::vector<std::string> signed_paths = {"/fapi/v1/order", "/fapi/v1/algoOrder",
                                                 "/fapi/v1/positionSide/dual", "/fapi/v1/leverage",
                                                 "/fapi/v3/positionRisk"};
  const std::vector<std::string> signed_pieces = {"symbol=BTCUSDT",
                                                  "symbol=ETHUSDT",
                                                  "side=SELL",
                                                  "side=BUY",
                                                  "type=MARKET",
                                                  "type=STOP_MARKET",
                                                  "type=TAKE_PROFIT_MARKET",
                                                  "algoType=CONDITIONAL",
                                                  "quantity=0.001",
                                                  "quantity=5",
                                                  "quantity=1e400",
                                                  "quantity=0.00000001",
                                                  "triggerPrice=59000",
                                                  "triggerPrice=61000",
                                                  "triggerPrice=0",
                                                  "closePosition=true",
                                                  "reduceOnly=true",
                                                  "reduceOnly=x",
                                                  "positionSide=LONG",
                                                  "positionSide=SHORT",
                                                  "positionSide=BOTH",
                                                  "newClientOrderId=a",
                                                  "clientAlgoId=a",
                                                  "newOrderRespType=RESULT",
                                                  "leverage=7",
                                                  "dualSidePosition=true",
                                                  "dualSidePosition=false",
                                                  "workingType=MARK_PRICE"};
  for (int i = 0; i < 3000; ++i) {
    const auto next = [&] {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      return static_cast<std::size_t>(x >> 33);
    };
    std::string q;
    const std::size_t n = 3 + next() % 6;
    for (std::size_t k = 0; k < n; ++k) {
      if (!q.empty()) q += '&';
      q += signed_pieces[next() % signed_pieces.size()];
    }
    const std::string& p = signed_paths[next() % signed_paths.size()];
    if (next() % 5 == 0) s.mark(next() % 2 ? "59500" : "60500");
    const HttpAnswer a = s.send(p.find("Risk") != std::string::npos ? "GET" : "POST", p, q);
    simdjson::dom::parser parser;
    simdjson::dom::element e;
    EXPECT_FALSE(parser.parse(a.body).get(e)) << p << "?" << q << " " << a.body;
    EXPECT_NE(code_of(a), -1022) << q;
    EXPECT_TRUE(a.status == 200 || a.status == 400) << p << "?" << q << " " << a.body;
  }
  for (const UserEvent& ev : s.events()) (void)ev;  // every event still parses
  // The orders log stays valid JSON after all that.
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  EXPECT_FALSE(parser.parse(s.ex.orders_json()).get(e));
  // Marks of zero or for unknown symbols are ignored.
  const std::optional<Decimal> before = s.ex.mark_price("BTCUSDT");
  ASSERT_TRUE(before.has_value());
  s.ex.on_mark_price("BTCUSDT", Decimal{}, s.now);
  s.ex.on_mark_price("NOPE", dec("1"), s.now);
  EXPECT_EQ(s.ex.mark_price("BTCUSDT"), before);
  EXPECT_TRUE(s.ex.open_position("BTCUSDT", Side::kLong, dec("-1"), s.now).has_value());
}

// The fault soak's view of the market and the stops: the marks that were streamed, in order,
// and the stops standing on a symbol, without a signature.
TEST(SimExchangeTest, StreamedMarksAndStandingStopsAreThereForTheSoak) {
  Sim s;
  s.mark("60000");
  s.open(Side::kLong, "0.5");
  ASSERT_EQ(s.hard_stop(Side::kLong, "59000", kStop1).status, 200);
  s.ex.note_streamed_mark("BTCUSDT", dec("60000"), kT0);
  s.ex.note_streamed_mark("ETHUSDT", dec("3000.5"), kT0 + 1);
  s.ex.note_streamed_mark("NOPEUSDT", dec("1"), kT0 + 2);  // not a symbol of the sim: not kept
  const HttpAnswer m = s.raw("GET", "/sim/marks", "");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(jget(m.body, "/marks_dropped"), "0");
  EXPECT_EQ(jget(m.body, "/marks/0/s"), "BTCUSDT");
  EXPECT_EQ(jget(m.body, "/marks/0/p"), "60000");
  EXPECT_EQ(jget(m.body, "/marks/1/t"), std::to_string(kT0 + 1));
  EXPECT_EQ(jget(m.body, "/marks/1/p"), "3000.5");
  EXPECT_EQ(jget(m.body, "/marks/2/s"), "<missing>");
  const HttpAnswer a = s.raw("GET", "/sim/algos", "symbol=BTCUSDT");
  EXPECT_EQ(jget(a.body, "/0/clientAlgoId"), std::string(kStop1.view()));
  EXPECT_EQ(jget(a.body, "/0/side"), "SELL");
  EXPECT_EQ(jget(a.body, "/0/triggerPrice"), "59000");
  EXPECT_EQ(s.raw("GET", "/sim/algos", "symbol=ETHUSDT").body, "[]");
  EXPECT_EQ(s.raw("GET", "/sim/algos", "symbol=NOPE").status, 400);
}

}  // namespace
}  // namespace exitbrain::sim
