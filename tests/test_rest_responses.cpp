#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "net/rest_responses.hpp"
#include "tests/support/counting_new.inc"
#include "tests/support/decimal_text.hpp"

namespace exitbrain {
namespace {

using testing::dec;

// binance-api.md, verbatim where the file has an example.
constexpr std::string_view kServerTimeDoc = R"({"serverTime": 1499827319559})";  // §2.12
constexpr std::string_view kPositionModeDoc = R"({"dualSidePosition": true})";   // §2.6
// §2.7 (the v3 element, in its array).
constexpr std::string_view kPositionV3Doc =
    R"([{"symbol":"ADAUSDT","positionSide":"BOTH","positionAmt":"30","entryPrice":"0.385","breakEvenPrice":"0.385077","markPrice":"0.41047590","unRealizedProfit":"0.76427700","liquidationPrice":"0","isolatedMargin":"0","notional":"12.31427700","marginAsset":"USDT","isolatedWallet":"0","initialMargin":"0.61571385","maintMargin":"0.08004280","positionInitialMargin":"0.61571385","openOrderInitialMargin":"0","adl":2,"bidNotional":"0","askNotional":"0","updateTime":1720736417660}])";
// §2.7 v2 field list (every symbol, leverage as a string).
constexpr std::string_view kPositionsV2 =
    R"([{"entryPrice":"0.00000","breakEvenPrice":"0.0","marginType":"isolated","isAutoAddMargin":"false","isolatedMargin":"0.00000000","leverage":"10","liquidationPrice":"0","markPrice":"6679.50671178","maxNotionalValue":"20000000","positionAmt":"0.000","notional":"0","isolatedWallet":"0","symbol":"BTCUSDT","unRealizedProfit":"0.00000000","positionSide":"BOTH","updateTime":0},
        {"entryPrice":"3410.5","breakEvenPrice":"3411.86","marginType":"cross","isAutoAddMargin":"false","isolatedMargin":"0.00000000","leverage":"20","liquidationPrice":"5120.33","markPrice":"3400.12","maxNotionalValue":"5000000","positionAmt":"-1.250","notional":"-4250.15","isolatedWallet":"0","symbol":"ETHUSDT","unRealizedProfit":"12.97500000","positionSide":"SHORT","updateTime":1771000000123}])";
// §2.10.
constexpr std::string_view kKlinesDoc =
    R"([[1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","17928899.62484339"]])";
// §2.11.
constexpr std::string_view kPremiumIndexDoc =
    R"({"symbol":"BTCUSDT","markPrice":"11793.63104562","indexPrice":"11781.80495970","estimatedSettlePrice":"11781.16138815","lastFundingRate":"0.00038246","interestRate":"0.00010000","nextFundingTime":1597392000000,"time":1597370495002})";
// §2.3.
constexpr std::string_view kOrderAckDoc =
    R"({"clientOrderId":"testOrder","cumQty":"0","cumQuote":"0","executedQty":"0","orderId":22542179,"avgPrice":"0.00000","origQty":"10","price":"0","reduceOnly":false,"side":"BUY","positionSide":"SHORT","status":"NEW","stopPrice":"0","closePosition":false,"symbol":"BTCUSDT","timeInForce":"GTD","type":"LIMIT","origType":"LIMIT","updateTime":1566818724722,"workingType":"CONTRACT_PRICE","priceProtect":false,"priceMatch":"NONE","selfTradePreventionMode":"NONE","goodTillDate":1693207680000})";
// §2.4.
constexpr std::string_view kAlgoOrderDoc =
    R"({"algoId":2146760,"clientAlgoId":"6B2I9XVcJpCjqPAJ4YoFX7","algoType":"CONDITIONAL","orderType":"TAKE_PROFIT","symbol":"BNBUSDT","side":"SELL","positionSide":"BOTH","timeInForce":"GTC","quantity":"0.01","algoStatus":"NEW","triggerPrice":"750.000","price":"750.000","icebergQuantity":null,"selfTradePreventionMode":"EXPIRE_MAKER","workingType":"CONTRACT_PRICE","priceMatch":"NONE","closePosition":false,"priceProtect":false,"reduceOnly":false,"activatePrice":"","callbackRate":"","createTime":1750485492076,"updateTime":1750485492076,"triggerTime":0,"goodTillDate":0})";
constexpr std::string_view kAlgoCancelDoc =
    R"({"algoId":2146760,"clientAlgoId":"6B2I9XVcJpCjqPAJ4YoFX7","code":"200","msg":"success"})";
constexpr std::string_view kListenKeyDoc =
    R"({"listenKey":"pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"})";  // §4.1
constexpr std::string_view kLeverageDoc =
    R"({"leverage": 21, "maxNotionalValue": "1000000", "symbol": "BTCUSDT"})";  // §2.9

std::string field_of(const RestResult& r) {
  return r.ok ? std::string("<ok>") : std::string(r.field);
}

// ---- server time, position mode ----------------------------------------------------------

TEST(RestResponses, ServerTimeFromTheDocs) {
  RestResponseParser p;
  TimeMs t = 0;
  const RestResult r = p.parse_server_time(kServerTimeDoc, t);
  ASSERT_TRUE(r.ok) << r.message();
  EXPECT_EQ(t, 1499827319559);
  EXPECT_EQ(r.message(), "");
}

TEST(RestResponses, ServerTimeMalformed) {
  RestResponseParser p;
  TimeMs t = 7;
  RestResult r = p.parse_server_time(R"({"serverTime":"1499827319559"})", t);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(field_of(r), "serverTime");
  EXPECT_STREQ(r.reason, "not an integer");
  EXPECT_EQ(r.message(), "field 'serverTime': not an integer");
  r = p.parse_server_time(R"({"time":1})", t);
  EXPECT_EQ(field_of(r), "serverTime");
  EXPECT_STREQ(r.reason, "missing");
  r = p.parse_server_time(R"({"serverTime":0})", t);
  EXPECT_EQ(field_of(r), "serverTime");
  r = p.parse_server_time("", t);
  EXPECT_EQ(field_of(r), "json");
  EXPECT_STREQ(r.reason, "empty body");
  r = p.parse_server_time("[1]", t);
  EXPECT_EQ(field_of(r), "json");
  r = p.parse_server_time(R"({"serverTime":14998)", t);  // truncated
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(t, 7) << "a failed parse leaves the output alone";
}

TEST(RestResponses, PositionMode) {
  RestResponseParser p;
  bool dual = false;
  ASSERT_TRUE(p.parse_position_mode(kPositionModeDoc, dual).ok);
  EXPECT_TRUE(dual);
  ASSERT_TRUE(p.parse_position_mode(R"({"dualSidePosition":false})", dual).ok);
  EXPECT_FALSE(dual);
  RestResult r = p.parse_position_mode(R"({"dualSidePosition":"true"})", dual);
  EXPECT_EQ(field_of(r), "dualSidePosition");
  EXPECT_STREQ(r.reason, "not a boolean");
  r = p.parse_position_mode(R"({})", dual);
  EXPECT_EQ(field_of(r), "dualSidePosition");
  EXPECT_STREQ(r.reason, "missing");
}

// ---- positions ---------------------------------------------------------------------------

TEST(RestResponses, PositionsV3FromTheDocs) {
  RestResponseParser p;
  std::vector<PositionRisk> out;
  const RestResult r = p.parse_positions(kPositionV3Doc, out);
  ASSERT_TRUE(r.ok) << r.message();
  ASSERT_EQ(out.size(), 1u);
  const PositionRisk& a = out[0];
  EXPECT_EQ(a.symbol, "ADAUSDT");
  EXPECT_EQ(a.position_side, PositionSideField::kBoth);
  EXPECT_EQ(a.amount, dec("30"));
  EXPECT_EQ(a.entry_price, dec("0.385"));
  EXPECT_EQ(a.mark_price, dec("0.41047590"));
  EXPECT_EQ(a.liquidation_price, dec("0"));
  EXPECT_DOUBLE_EQ(a.unrealized_pnl, 0.764277);
  EXPECT_EQ(a.leverage, 0) << "v3 has no leverage";
  EXPECT_EQ(a.update_time, 1720736417660);
}

TEST(RestResponses, PositionsV2AndTheNonZeroFilter) {
  RestResponseParser p;
  std::vector<PositionRisk> out;
  ASSERT_TRUE(p.parse_positions(kPositionsV2, out).ok);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].symbol, "BTCUSDT");
  EXPECT_TRUE(out[0].amount.is_zero());
  EXPECT_EQ(out[0].leverage, 10);

  const RestResult r = p.parse_positions(kPositionsV2, out, /*nonzero_only=*/true);
  ASSERT_TRUE(r.ok) << r.message();
  ASSERT_EQ(out.size(), 1u);
  const PositionRisk& e = out[0];
  EXPECT_EQ(e.symbol, "ETHUSDT");
  EXPECT_EQ(e.position_side, PositionSideField::kShort);
  EXPECT_EQ(e.amount, dec("-1.25"));
  EXPECT_TRUE(e.amount.is_negative());
  EXPECT_EQ(e.entry_price, dec("3410.5"));
  EXPECT_EQ(e.mark_price, dec("3400.12"));
  EXPECT_EQ(e.liquidation_price, dec("5120.33"));
  EXPECT_DOUBLE_EQ(e.unrealized_pnl, 12.975);
  EXPECT_EQ(e.leverage, 20);
  EXPECT_EQ(e.update_time, 1771000000123);

  ASSERT_TRUE(p.parse_positions("[]", out).ok);
  EXPECT_TRUE(out.empty());
}

TEST(RestResponses, PositionsMalformedNameFieldAndElement) {
  RestResponseParser p;
  std::vector<PositionRisk> out;
  RestResult r =
      p.parse_positions(R"([{"symbol":"A","positionAmt":"1","entryPrice":"1","markPrice":"1"},)"
                        R"({"symbol":"B","positionAmt":"1.x","entryPrice":"1","markPrice":"1"}])",
                        out);
  EXPECT_EQ(field_of(r), "positionAmt");
  EXPECT_EQ(r.index, 1);
  EXPECT_EQ(r.message(), "field 'positionAmt' of element 1: not a decimal number");
  EXPECT_TRUE(out.empty()) << "nothing half-filled";

  r = p.parse_positions(R"([{"symbol":"A","entryPrice":"1","markPrice":"1"}])", out);
  EXPECT_EQ(field_of(r), "positionAmt");
  EXPECT_STREQ(r.reason, "missing");
  EXPECT_EQ(r.index, 0);

  r = p.parse_positions(
      R"([{"symbol":"A","positionAmt":"1","entryPrice":"1","markPrice":"1","positionSide":"UP"}])",
      out);
  EXPECT_EQ(field_of(r), "positionSide");

  r = p.parse_positions(
      R"([{"symbol":"A","positionAmt":"1","entryPrice":"1","markPrice":"1","leverage":"x"}])", out);
  EXPECT_EQ(field_of(r), "leverage");

  r = p.parse_positions(R"([{"symbol":7,"positionAmt":"1","entryPrice":"1","markPrice":"1"}])",
                        out);
  EXPECT_EQ(field_of(r), "symbol");
  EXPECT_STREQ(r.reason, "not a string");

  r = p.parse_positions(R"([3])", out);
  EXPECT_EQ(field_of(r), "[]");
  r = p.parse_positions(R"({"code":-2015,"msg":"Invalid API-key"})", out);
  EXPECT_EQ(field_of(r), "json");
}

// ---- klines ----------------------------------------------------------------------------

TEST(RestResponses, KlinesFromTheDocs) {
  RestResponseParser p;
  KlineCandles k;
  const RestResult r = p.parse_klines(kKlinesDoc, 1499644800000, k);
  ASSERT_TRUE(r.ok) << r.message();
  ASSERT_EQ(k.candles.size(), 1u);
  const Candle& c = k.candles[0];
  EXPECT_EQ(c.open_time, 1499040000000);
  EXPECT_EQ(c.interval_ms, 1499644799999 - 1499040000000 + 1);
  EXPECT_EQ(c.close_time(), 1499644799999);
  EXPECT_EQ(c.open, dec("0.01634790"));
  EXPECT_EQ(c.high, dec("0.8"));
  EXPECT_EQ(c.low, dec("0.015758"));
  EXPECT_EQ(c.close, dec("0.01577100"));
  EXPECT_TRUE(k.last_closed);
  // The same bar seen while still forming.
  ASSERT_TRUE(p.parse_klines(kKlinesDoc, 1499644799999, k).ok);
  EXPECT_FALSE(k.last_closed);
}

TEST(RestResponses, KlinesLastOneStillForming) {
  RestResponseParser p;
  KlineCandles k;
  constexpr std::string_view body =
      R"([[1771000000000,"100.0","101.5","99.5","101.0","5",1771000059999,"1",2,"1","1","0"],)"
      R"([1771000060000,"101.0","102.0","100.5","101.8","5",1771000119999,"1",2,"1","1","0"]])";
  ASSERT_TRUE(p.parse_klines(body, 1771000075000, k).ok);
  ASSERT_EQ(k.candles.size(), 2u);
  EXPECT_EQ(k.candles[0].interval_ms, 60000);
  EXPECT_EQ(k.candles[1].open_time, 1771000060000);
  EXPECT_EQ(k.candles[1].close, dec("101.8"));
  EXPECT_FALSE(k.last_closed);
  ASSERT_TRUE(p.parse_klines(body, 1771000120000, k).ok);
  EXPECT_TRUE(k.last_closed);
  ASSERT_TRUE(p.parse_klines("[]", 1771000120000, k).ok);
  EXPECT_TRUE(k.candles.empty());
}

TEST(RestResponses, KlinesMalformed) {
  RestResponseParser p;
  KlineCandles k;
  RestResult r = p.parse_klines(R"([[1,"1","1","1","x","5",60000]])", 0, k);
  EXPECT_EQ(field_of(r), "close");
  EXPECT_EQ(r.index, 0);
  r = p.parse_klines(R"([[1,"1","1","1","1","5"]])", 0, k);
  EXPECT_EQ(field_of(r), "closeTime");
  EXPECT_STREQ(r.reason, "missing");
  r = p.parse_klines(R"([[60000,"1","1","1","1","5",59999]])", 0, k);
  EXPECT_EQ(field_of(r), "closeTime");
  EXPECT_STREQ(r.reason, "before openTime");
  r = p.parse_klines(R"([[60000,"1","1","1","1","5",119999],[0,"1","1","1","1","5",59999]])", 0, k);
  EXPECT_EQ(field_of(r), "openTime");
  EXPECT_EQ(r.index, 1);
  EXPECT_TRUE(k.candles.empty());
  r = p.parse_klines(R"([["1","1","1","1","1","5",2]])", 0, k);
  EXPECT_EQ(field_of(r), "openTime");
  r = p.parse_klines(R"([{"t":1}])", 0, k);
  EXPECT_EQ(field_of(r), "[]");
  r = p.parse_klines(R"([[1,1.5,"1","1","1","5",2]])", 0, k);
  EXPECT_EQ(field_of(r), "open");
  EXPECT_STREQ(r.reason, "not a string");
  // Found by fuzz/fuzz_rest_answers: a candle that is not one (they seed the ATR).
  r = p.parse_klines(R"([[0,"1","1","0","1","5",59999]])", 0, k);
  EXPECT_EQ(field_of(r), "low");
  EXPECT_STREQ(r.reason, "not positive");
  r = p.parse_klines(R"([[0,"1","0.9","0.8","0.85","5",59999]])", 0, k);
  EXPECT_EQ(field_of(r), "high");
  EXPECT_STREQ(r.reason, "below the open, close or low");
  r = p.parse_klines(R"([[0,"1","1.2","1.1","1.15","5",59999]])", 0, k);
  EXPECT_EQ(field_of(r), "low");
  EXPECT_STREQ(r.reason, "above the open or close");
  EXPECT_TRUE(k.candles.empty());
}

// ---- premiumIndex ---------------------------------------------------------------------

TEST(RestResponses, PremiumIndexFromTheDocs) {
  RestResponseParser p;
  PremiumIndex pi;
  const RestResult r = p.parse_premium_index(kPremiumIndexDoc, pi);
  ASSERT_TRUE(r.ok) << r.message();
  EXPECT_EQ(pi.symbol, "BTCUSDT");
  EXPECT_EQ(pi.mark_price, dec("11793.63104562"));
  EXPECT_EQ(pi.index_price, dec("11781.80495970"));
  EXPECT_EQ(pi.time, 1597370495002);
}

TEST(RestResponses, PremiumIndexMalformed) {
  RestResponseParser p;
  PremiumIndex pi;
  RestResult r = p.parse_premium_index(R"({"symbol":"BTCUSDT","time":1})", pi);
  EXPECT_EQ(field_of(r), "markPrice");
  r = p.parse_premium_index(R"({"symbol":"BTCUSDT","markPrice":"1"})", pi);
  EXPECT_EQ(field_of(r), "time");
  r = p.parse_premium_index(R"({"markPrice":"1e-9","time":1})", pi);
  EXPECT_EQ(field_of(r), "markPrice");
  r = p.parse_premium_index(std::string("[") + std::string(kPremiumIndexDoc) + "]", pi);
  EXPECT_EQ(field_of(r), "json");
  // Found by fuzzing: a negative or zero mark was taken.
  r = p.parse_premium_index(R"({"symbol":"BTCUSDT","markPrice":"-1793.6","time":1})", pi);
  EXPECT_EQ(field_of(r), "markPrice");
  EXPECT_STREQ(r.reason, "not positive");
  r = p.parse_premium_index(R"({"symbol":"BTCUSDT","markPrice":"0","time":1})", pi);
  EXPECT_EQ(field_of(r), "markPrice");
}

// ---- order answers -------------------------------------------------------------------

TEST(RestResponses, OrderAckFromTheDocs) {
  RestResponseParser p;
  OrderAnswer a;
  const RestResult r = p.parse_order(kOrderAckDoc, a);
  ASSERT_TRUE(r.ok) << r.message();
  EXPECT_EQ(a.order_id, 22542179);
  EXPECT_EQ(a.client_order_id.view(), "testOrder");
  EXPECT_EQ(a.symbol.view(), "BTCUSDT");
  EXPECT_EQ(a.status, RestOrderStatus::kNew);
  EXPECT_EQ(a.executed_qty, dec("0"));
  EXPECT_EQ(a.avg_price, dec("0"));
  EXPECT_EQ(a.orig_qty, dec("10"));
  EXPECT_EQ(a.update_time, 1566818724722);
}

TEST(RestResponses, OrderStatuses) {
  RestResponseParser p;
  OrderAnswer a;
  const std::pair<const char*, RestOrderStatus> cases[] = {
      {"NEW", RestOrderStatus::kNew},
      {"PARTIALLY_FILLED", RestOrderStatus::kPartiallyFilled},
      {"FILLED", RestOrderStatus::kFilled},
      {"CANCELED", RestOrderStatus::kCanceled},
      {"REJECTED", RestOrderStatus::kRejected},
      {"EXPIRED", RestOrderStatus::kExpired},
      {"EXPIRED_IN_MATCH", RestOrderStatus::kExpiredInMatch},
      {"SOMETHING_NEW", RestOrderStatus::kOther},
  };
  for (const auto& [text, status] : cases) {
    const std::string body =
        std::string(R"({"orderId":9,"clientOrderId":"xb-1","status":")") + text +
        R"(","executedQty":"0.500","avgPrice":"64000.10","origQty":"0.5","updateTime":1771000000123})";
    const RestResult r = p.parse_order(body, a);
    ASSERT_TRUE(r.ok) << text << ": " << r.message();
    EXPECT_EQ(a.status, status) << text;
    if (status != RestOrderStatus::kOther) {
      EXPECT_STREQ(to_string(a.status), text);
    }
    EXPECT_EQ(a.executed_qty, dec("0.5"));
    EXPECT_EQ(a.avg_price, dec("64000.1"));
  }
}

TEST(RestResponses, OrderMalformed) {
  RestResponseParser p;
  OrderAnswer a;
  RestResult r = p.parse_order(R"({"clientOrderId":"x","status":"NEW","updateTime":1})", a);
  EXPECT_EQ(field_of(r), "orderId");
  EXPECT_STREQ(r.reason, "missing");
  r = p.parse_order(R"({"orderId":"1","clientOrderId":"x","status":"NEW","updateTime":1})", a);
  EXPECT_EQ(field_of(r), "orderId");
  EXPECT_STREQ(r.reason, "not an integer");
  r = p.parse_order(R"({"orderId":1,"status":"NEW","updateTime":1})", a);
  EXPECT_EQ(field_of(r), "clientOrderId");
  r = p.parse_order(R"({"orderId":1,"clientOrderId":"x","updateTime":1})", a);
  EXPECT_EQ(field_of(r), "status");
  r = p.parse_order(R"({"orderId":1,"clientOrderId":"x","status":"NEW"})", a);
  EXPECT_EQ(field_of(r), "updateTime");
  // Found by fuzz/fuzz_rest_answers: a negative quantity is refused.
  r = p.parse_order(
      R"({"orderId":1,"clientOrderId":"x","status":"FILLED","updateTime":1,"executedQty":"-1"})",
      a);
  EXPECT_EQ(field_of(r), "executedQty");
  EXPECT_STREQ(r.reason, "negative");
  r = p.parse_order(
      R"({"orderId":1,"clientOrderId":"x","status":"NEW","updateTime":1,"executedQty":"abc"})", a);
  EXPECT_EQ(field_of(r), "executedQty");
  r = p.parse_order(
      R"({"orderId":1,"clientOrderId":"0123456789012345678901234567890123456789012345678901","status":"NEW","updateTime":1})",
      a);
  EXPECT_EQ(field_of(r), "clientOrderId");
  EXPECT_STREQ(r.reason, "too long");
  r = p.parse_order(R"({"code":-2022,"msg":"ReduceOnly Order is rejected."})", a);
  EXPECT_EQ(field_of(r), "orderId") << "an error body is not an order";
}

// ---- algo orders --------------------------------------------------------------------

TEST(RestResponses, AlgoOrderFromTheDocs) {
  RestResponseParser p;
  AlgoOrderAnswer a;
  const RestResult r = p.parse_algo_order(kAlgoOrderDoc, a);
  ASSERT_TRUE(r.ok) << r.message();
  EXPECT_EQ(a.algo_id, 2146760);
  EXPECT_EQ(a.client_algo_id.view(), "6B2I9XVcJpCjqPAJ4YoFX7");
  EXPECT_EQ(a.symbol.view(), "BNBUSDT");
  EXPECT_EQ(a.status, AlgoStatus::kNew);
  EXPECT_EQ(a.trigger_price, dec("750"));
  EXPECT_EQ(a.quantity, dec("0.01"));
  EXPECT_EQ(a.actual_order_id, 0);
  EXPECT_EQ(a.update_time, 1750485492076);
}

TEST(RestResponses, AlgoOrderQueryWithActualOrderIdAndStatuses) {
  RestResponseParser p;
  AlgoOrderAnswer a;
  const std::pair<const char*, AlgoStatus> cases[] = {
      {"NEW", AlgoStatus::kNew},
      {"CANCELED", AlgoStatus::kCanceled},
      {"TRIGGERING", AlgoStatus::kTriggering},
      {"TRIGGERED", AlgoStatus::kTriggered},
      {"FINISHED", AlgoStatus::kFinished},
      {"REJECTED", AlgoStatus::kRejected},
      {"EXPIRED", AlgoStatus::kExpired},
      {"PAUSED", AlgoStatus::kOther},
  };
  for (const auto& [text, status] : cases) {
    const std::string body =
        std::string(R"({"algoId":5,"clientAlgoId":"xb-sl-1","algoStatus":")") + text +
        R"(","triggerPrice":"61000.5","quantity":"","actualOrderId":"8389765001","updateTime":2})";
    const RestResult r = p.parse_algo_order(body, a);
    ASSERT_TRUE(r.ok) << r.message();
    EXPECT_EQ(a.status, status) << text;
    EXPECT_EQ(a.trigger_price, dec("61000.5"));
    EXPECT_TRUE(a.quantity.is_zero());
    EXPECT_EQ(a.actual_order_id, 8389765001);
  }
  ASSERT_TRUE(p.parse_algo_order(
                   R"({"algoId":5,"clientAlgoId":"a","algoStatus":"NEW","actualOrderId":77})", a)
                  .ok);
  EXPECT_EQ(a.actual_order_id, 77);
}

TEST(RestResponses, AlgoOrderMalformed) {
  RestResponseParser p;
  AlgoOrderAnswer a;
  RestResult r = p.parse_algo_order(R"({"clientAlgoId":"a","algoStatus":"NEW"})", a);
  EXPECT_EQ(field_of(r), "algoId");
  r = p.parse_algo_order(R"({"algoId":1,"clientAlgoId":"a"})", a);
  EXPECT_EQ(field_of(r), "algoStatus");
  r = p.parse_algo_order(R"({"algoId":1,"clientAlgoId":"a","algoStatus":"NEW","triggerPrice":"x"})",
                         a);
  EXPECT_EQ(field_of(r), "triggerPrice");
  r = p.parse_algo_order(
      R"({"algoId":1,"clientAlgoId":"a","algoStatus":"NEW","actualOrderId":"12z"})", a);
  EXPECT_EQ(field_of(r), "actualOrderId");
}

TEST(RestResponses, AlgoCancelFromTheDocs) {
  RestResponseParser p;
  AlgoCancelAnswer a;
  const RestResult r = p.parse_algo_cancel(kAlgoCancelDoc, a);
  ASSERT_TRUE(r.ok) << r.message();
  EXPECT_EQ(a.algo_id, 2146760);
  EXPECT_EQ(a.client_algo_id.view(), "6B2I9XVcJpCjqPAJ4YoFX7");
  // A numeric code is read the same way.
  ASSERT_TRUE(
      p.parse_algo_cancel(R"({"algoId":1,"clientAlgoId":"b","code":200,"msg":"success"})", a).ok);
  EXPECT_EQ(a.algo_id, 1);
  RestResult bad =
      p.parse_algo_cancel(R"({"algoId":1,"clientAlgoId":"b","code":"400","msg":"nope"})", a);
  EXPECT_EQ(field_of(bad), "code");
  bad = p.parse_algo_cancel(R"({"algoId":1,"clientAlgoId":"b","msg":"success"})", a);
  EXPECT_EQ(field_of(bad), "code");
  EXPECT_STREQ(bad.reason, "missing");
  bad = p.parse_algo_cancel(R"({"algoId":1,"clientAlgoId":"b","code":"2x0"})", a);
  EXPECT_EQ(field_of(bad), "code");
}

TEST(RestResponses, OpenAlgoOrders) {
  RestResponseParser p;
  std::vector<AlgoOrderAnswer> out;
  const std::string body = "[" + std::string(kAlgoOrderDoc) +
                           R"(,{"algoId":7,"clientAlgoId":"xb-tp-2","algoStatus":"NEW",)"
                           R"("triggerPrice":"800.5","symbol":"BNBUSDT"}])";
  const RestResult r = p.parse_open_algo_orders(body, out);
  ASSERT_TRUE(r.ok) << r.message();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].algo_id, 2146760);
  EXPECT_EQ(out[1].algo_id, 7);
  EXPECT_EQ(out[1].client_algo_id.view(), "xb-tp-2");
  EXPECT_EQ(out[1].trigger_price, dec("800.5"));
  ASSERT_TRUE(p.parse_open_algo_orders("[]", out).ok);
  EXPECT_TRUE(out.empty());
  const RestResult bad =
      p.parse_open_algo_orders(R"([{"algoId":7,"clientAlgoId":"a","algoStatus":1}])", out);
  EXPECT_EQ(field_of(bad), "algoStatus");
  EXPECT_EQ(bad.index, 0);
}

// ---- errors -------------------------------------------------------------------------

TEST(RestResponses, ErrorBodiesFromTheDocs) {
  RestResponseParser p;
  ErrorBody e;
  ASSERT_TRUE(p.parse_error_body(R"({"code": -1121, "msg": "Invalid symbol."})", e).ok);  // §2.1
  EXPECT_EQ(e.code, -1121);
  EXPECT_EQ(e.msg(), "Invalid symbol.");
  ASSERT_TRUE(p.parse_error_body(R"({"code": -2022, "msg": "ReduceOnly Order is rejected."})", e)
                  .ok);  // §2.5
  EXPECT_EQ(e.code, -2022);
  EXPECT_EQ(e.msg(), "ReduceOnly Order is rejected.");
  EXPECT_FALSE(e.msg_truncated);

  RestResult r = p.parse_error_body(R"({"msg":"x"})", e);
  EXPECT_EQ(field_of(r), "code");
  r = p.parse_error_body(R"({"code":-1,"msg":5})", e);
  EXPECT_EQ(field_of(r), "msg");
  r = p.parse_error_body(R"({"code":1.5,"msg":"x"})", e);
  EXPECT_EQ(field_of(r), "code");

  const std::string long_msg(400, 'm');
  ASSERT_TRUE(p.parse_error_body(R"({"code":-1000,"msg":")" + long_msg + "\"}", e).ok);
  EXPECT_EQ(e.msg().size(), ErrorBody::kMsgCapacity);
  EXPECT_TRUE(e.msg_truncated);
}

TEST(RestResponses, ClassifyResponse) {
  RestResponseParser p;
  ErrorBody e;
  EXPECT_EQ(p.classify_response(200, kOrderAckDoc, &e), ErrorAction::kNone);
  EXPECT_EQ(p.classify_response(400, R"({"code":-2022,"msg":"ReduceOnly Order is rejected."})", &e),
            ErrorAction::kNothingToReduce);
  EXPECT_EQ(e.code, -2022);
  EXPECT_EQ(
      p.classify_response(
          400,
          R"({"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."})"),
      ErrorAction::kResyncClock);
  EXPECT_EQ(p.classify_response(400, R"({"code":-4116,"msg":"ClientOrderId is duplicated."})"),
            ErrorAction::kAlreadyAccepted);
  EXPECT_EQ(
      p.classify_response(
          400,
          R"({"code":-4120,"msg":"Order type not supported for this endpoint. Please use the Algo Order API endpoints instead."})"),
      ErrorAction::kOurBug);
  EXPECT_EQ(p.classify_response(429, R"({"code":-1003,"msg":"Too many requests."})"),
            ErrorAction::kRateLimited);
  EXPECT_EQ(
      p.classify_response(
          418, R"({"code":-1003,"msg":"Way too many requests; IP banned until 1771000300000."})"),
      ErrorAction::kBanned);
  // 503 told apart by the text, JSON or not.
  EXPECT_EQ(p.classify_response(503, "Service Unavailable.", &e), ErrorAction::kRetryBackoff);
  EXPECT_EQ(e.code, 0);
  EXPECT_EQ(e.msg(), "Service Unavailable.");
  EXPECT_EQ(
      p.classify_response(
          503,
          R"({"code":-1000,"msg":"Unknown error, please check your request or try again later."})"),
      ErrorAction::kUnknownOutcome);
  EXPECT_EQ(p.classify_response(
                503, R"({"code":-1008,"msg":"Request throttled by system-level protection."})"),
            ErrorAction::kRetryBackoff);
  EXPECT_EQ(p.classify_response(403, "<html><body>403 Forbidden</body></html>", &e),
            ErrorAction::kRejected);
  EXPECT_EQ(e.msg(), "<html><body>403 Forbidden</body></html>");
  EXPECT_EQ(p.classify_response(408, ""), ErrorAction::kUnknownOutcome);
}

// ---- listenKey, leverage ----------------------------------------------------------------

TEST(RestResponses, ListenKey) {
  RestResponseParser p;
  std::string key;
  ASSERT_TRUE(p.parse_listen_key(kListenKeyDoc, key).ok);
  EXPECT_EQ(key, "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1");
  RestResult r = p.parse_listen_key("{}", key);
  EXPECT_EQ(field_of(r), "listenKey");
  EXPECT_STREQ(r.reason, "missing");
  key = "old";
  ASSERT_TRUE(p.parse_listen_key("{}", key, /*allow_empty=*/true).ok);
  EXPECT_EQ(key, "");
  r = p.parse_listen_key(R"({"listenKey":""})", key);
  EXPECT_EQ(field_of(r), "listenKey");
  EXPECT_STREQ(r.reason, "empty");
  r = p.parse_listen_key(R"({"listenKey":null})", key);
  EXPECT_EQ(field_of(r), "listenKey");
}

TEST(RestResponses, Leverage) {
  RestResponseParser p;
  LeverageAnswer a;
  ASSERT_TRUE(p.parse_leverage(kLeverageDoc, a).ok);
  EXPECT_EQ(a.symbol, "BTCUSDT");
  EXPECT_EQ(a.leverage, 21);
  ASSERT_TRUE(a.max_notional.has_value());
  EXPECT_EQ(*a.max_notional, dec("1000000"));
  ASSERT_TRUE(
      p.parse_leverage(R"({"leverage":1,"maxNotionalValue":"INF","symbol":"ETHUSDT"})", a).ok);
  EXPECT_FALSE(a.max_notional.has_value());
  RestResult r = p.parse_leverage(R"({"maxNotionalValue":"1","symbol":"BTCUSDT"})", a);
  EXPECT_EQ(field_of(r), "leverage");
  r = p.parse_leverage(R"({"leverage":0,"symbol":"BTCUSDT"})", a);
  EXPECT_EQ(field_of(r), "leverage");
  r = p.parse_leverage(R"({"leverage":5,"maxNotionalValue":"lots","symbol":"BTCUSDT"})", a);
  EXPECT_EQ(field_of(r), "maxNotionalValue");
  r = p.parse_leverage(R"({"leverage":5})", a);
  EXPECT_EQ(field_of(r), "symbol");
}

// ---- buffer reuse and allocations -------------------------------------------------------

TEST(RestResponses, LargerBodyGrowsTheBufferThenSmallOnesStillParse) {
  RestResponseParser p(64);
  std::string body = "[";
  for (int i = 0; i < 500; ++i) {
    if (i) body += ',';
    body += "[" + std::to_string(60000LL * i) + R"(,"1","2","0.5","1.5","9",)" +
            std::to_string(60000LL * i + 59999) + R"(,"1",1,"1","1","0"])";
  }
  body += "]";
  KlineCandles k;
  const RestResult r = p.parse_klines(body, 60000LL * 500, k);
  ASSERT_TRUE(r.ok) << r.message();
  EXPECT_EQ(k.candles.size(), 500u);
  EXPECT_EQ(k.candles[499].open_time, 60000LL * 499);
  TimeMs t = 0;
  ASSERT_TRUE(p.parse_server_time(kServerTimeDoc, t).ok);
  EXPECT_EQ(t, 1499827319559);
}

TEST(RestResponses, OrderPathParsesAllocateNothingOnceWarm) {
  RestResponseParser p;
  OrderAnswer order;
  AlgoOrderAnswer algo;
  AlgoCancelAnswer cancel;
  ErrorBody error;
  const std::string fill =
      R"({"orderId":8389765001,"symbol":"BTCUSDT","status":"FILLED","clientOrderId":"xb-16-3-slx","price":"0","avgPrice":"64000.10","origQty":"0.500","executedQty":"0.500","cumQuote":"32000.05","timeInForce":"GTC","type":"MARKET","reduceOnly":true,"side":"SELL","positionSide":"BOTH","updateTime":1771000000123})";
  const std::string reject = R"({"code":-2022,"msg":"ReduceOnly Order is rejected."})";
  // Warm-up: one of each.
  ASSERT_TRUE(p.parse_order(fill, order).ok);
  ASSERT_TRUE(p.parse_algo_order(kAlgoOrderDoc, algo).ok);
  ASSERT_TRUE(p.parse_algo_cancel(kAlgoCancelDoc, cancel).ok);
  ASSERT_TRUE(p.parse_error_body(reject, error).ok);

  const long before = g_allocations.load();
  int ok = 0;
  ErrorAction last = ErrorAction::kNone;
  for (int i = 0; i < 1000; ++i) {
    ok += p.parse_order(fill, order).ok;
    ok += p.parse_order(kOrderAckDoc, order).ok;
    ok += p.parse_algo_order(kAlgoOrderDoc, algo).ok;
    ok += p.parse_algo_cancel(kAlgoCancelDoc, cancel).ok;
    ok += p.parse_error_body(reject, error).ok;
    ok += !p.parse_order(reject, order).ok;  // a failure allocates nothing either
    last = p.classify_response(400, reject, &error);
    last = p.classify_response(503, "Service Unavailable.", &error);
  }
  const long allocations = g_allocations.load() - before;
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(ok, 6000);
  EXPECT_EQ(last, ErrorAction::kRetryBackoff);
  EXPECT_EQ(order.order_id, 22542179);  // the failed parse left the last good answer
  EXPECT_EQ(order.client_order_id.view(), "testOrder");
}

// ---- leverage brackets -------------------------------------------------------------------

// §7.1, verbatim: the object form (a symbol was sent).
constexpr std::string_view kLeverageBracketDoc =
    R"({"symbol":"ETHUSDT","notionalCoef":1.50,"brackets":[{"bracket":1,"initialLeverage":75,"notionalCap":10000,"notionalFloor":0,"maintMarginRatio":0.0065,"cum":0}]})";
// The array form (no symbol): every symbol, several brackets, cum per §7.2.
constexpr std::string_view kLeverageBracketsArray =
    R"([{"symbol":"BTCUSDT","brackets":[{"bracket":1,"initialLeverage":125,"notionalCap":50000,"notionalFloor":0,"maintMarginRatio":0.004,"cum":0.0},{"bracket":2,"initialLeverage":100,"notionalCap":600000,"notionalFloor":50000,"maintMarginRatio":0.005,"cum":50.0},{"bracket":3,"initialLeverage":75,"notionalCap":3000000,"notionalFloor":600000,"maintMarginRatio":0.0065,"cum":950.0}]},
        {"symbol":"ADAUSDT","brackets":[{"bracket":1,"initialLeverage":20,"notionalCap":5000,"notionalFloor":0,"maintMarginRatio":0.025,"cum":0},{"bracket":2,"initialLeverage":10,"notionalCap":25000,"notionalFloor":5000,"maintMarginRatio":0.05,"cum":125}]}])";

TEST(RestResponses, LeverageBracketObjectFromTheDocs) {
  RestResponseParser p;
  std::vector<SymbolBrackets> out;
  const RestResult r = p.parse_leverage_brackets(kLeverageBracketDoc, out);
  ASSERT_TRUE(r.ok) << r.message();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].symbol, "ETHUSDT");
  EXPECT_DOUBLE_EQ(out[0].notional_coef, 1.5);
  ASSERT_EQ(out[0].brackets.size(), 1u);
  const LeverageBracket& b = out[0].brackets[0];
  EXPECT_EQ(b.max_leverage, 75);
  EXPECT_DOUBLE_EQ(b.notional_floor, 0);
  EXPECT_DOUBLE_EQ(b.notional_cap, 10'000);
  EXPECT_DOUBLE_EQ(b.maint_margin_ratio, 0.0065);
  EXPECT_DOUBLE_EQ(b.cum, 0);
}

TEST(RestResponses, LeverageBracketArrayOfSymbols) {
  RestResponseParser p;
  std::vector<SymbolBrackets> out;
  const RestResult r = p.parse_leverage_brackets(kLeverageBracketsArray, out);
  ASSERT_TRUE(r.ok) << r.message();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].symbol, "BTCUSDT");
  EXPECT_DOUBLE_EQ(out[0].notional_coef, 0);  // absent: brackets not adjusted
  ASSERT_EQ(out[0].brackets.size(), 3u);
  EXPECT_EQ(out[0].brackets[2].max_leverage, 75);
  EXPECT_DOUBLE_EQ(out[0].brackets[2].cum, 950);
  EXPECT_DOUBLE_EQ(out[0].brackets[1].notional_floor, 50'000);
  EXPECT_EQ(out[1].symbol, "ADAUSDT");
  EXPECT_DOUBLE_EQ(out[1].brackets[1].maint_margin_ratio, 0.05);
  // Straight into the table.
  LeverageBracketTable t;
  for (SymbolBrackets& s : out) ASSERT_TRUE(t.set(s.symbol, s.brackets).ok());
  EXPECT_EQ(t.find("BTCUSDT").size(), 3u);
  // An empty array is no symbol at all.
  ASSERT_TRUE(p.parse_leverage_brackets("[]", out).ok);
  EXPECT_TRUE(out.empty());
}

TEST(RestResponses, LeverageBracketNumbersInStringsAreTakenToo) {
  RestResponseParser p;
  std::vector<SymbolBrackets> out;
  const RestResult r = p.parse_leverage_brackets(
      R"({"symbol":"BTCUSDT","brackets":[{"initialLeverage":"125","notionalCap":"50000","notionalFloor":"0","maintMarginRatio":"0.004","cum":"0"}]})",
      out);
  ASSERT_TRUE(r.ok) << r.message();
  EXPECT_EQ(out[0].brackets[0].max_leverage, 125);
  EXPECT_DOUBLE_EQ(out[0].brackets[0].maint_margin_ratio, 0.004);
}

TEST(RestResponses, LeverageBracketBadFieldsAreNamedWithTheirBracket) {
  RestResponseParser p;
  std::vector<SymbolBrackets> out;
  const auto one = [&](std::string_view bracket2) {
    const std::string body =
        R"({"symbol":"BTCUSDT","brackets":[{"initialLeverage":125,"notionalCap":50000,"notionalFloor":0,"maintMarginRatio":0.004,"cum":0},)" +
        std::string(bracket2) + "]}";
    const RestResult r = p.parse_leverage_brackets(body, out);
    EXPECT_TRUE(r.ok || out.empty());
    return r.ok ? std::string("<ok>") : r.message();
  };
  EXPECT_EQ(
      one(R"({"initialLeverage":100,"notionalCap":600000,"notionalFloor":50000,"maintMarginRatio":0.005,"cum":50})"),
      "<ok>");
  EXPECT_EQ(
      one(R"({"initialLeverage":100,"notionalCap":600000,"notionalFloor":50000,"maintMarginRatio":"x","cum":50})"),
      "field 'maintMarginRatio' of bracket 1: not a number");
  EXPECT_EQ(
      one(R"({"initialLeverage":100,"notionalCap":600000,"notionalFloor":50000,"maintMarginRatio":true,"cum":50})"),
      "field 'maintMarginRatio' of bracket 1: not a number");
  EXPECT_EQ(
      one(R"({"initialLeverage":100,"notionalCap":600000,"notionalFloor":50000,"maintMarginRatio":"nan","cum":50})"),
      "field 'maintMarginRatio' of bracket 1: not a finite number");
  EXPECT_EQ(one(R"({"initialLeverage":100,"notionalCap":600000,"notionalFloor":50000,"cum":50})"),
            "field 'maintMarginRatio' of bracket 1: missing");
  EXPECT_EQ(
      one(R"({"initialLeverage":1.5,"notionalCap":600000,"notionalFloor":50000,"maintMarginRatio":0.005,"cum":50})"),
      "field 'initialLeverage' of bracket 1: not an integer");
  EXPECT_EQ(one(R"([1,2])"), "field 'brackets' of bracket 1: not an object");
  // Validation of the list, with the JSON names.
  EXPECT_EQ(
      one(R"({"initialLeverage":100,"notionalCap":600000,"notionalFloor":50000,"maintMarginRatio":1.2,"cum":50})"),
      "field 'maintMarginRatio' of bracket 1: must be in [0,1)");
  EXPECT_EQ(
      one(R"({"initialLeverage":0,"notionalCap":600000,"notionalFloor":50000,"maintMarginRatio":0.005,"cum":50})"),
      "field 'initialLeverage' of bracket 1: must be >= 1");
  EXPECT_EQ(
      one(R"({"initialLeverage":100,"notionalCap":600000,"notionalFloor":40000,"maintMarginRatio":0.005,"cum":50})"),
      "field 'notionalFloor' of bracket 1: must not be below the previous bracket's notional_cap");
  EXPECT_EQ(
      one(R"({"initialLeverage":100,"notionalCap":600000,"notionalFloor":50000,"maintMarginRatio":0.005,"cum":-1})"),
      "field 'cum' of bracket 1: must be a finite number >= 0");
  EXPECT_EQ(
      one(R"({"initialLeverage":100,"notionalCap":50000,"notionalFloor":50000,"maintMarginRatio":0.005,"cum":50})"),
      "field 'notionalCap' of bracket 1: must be a finite number above notional_floor");
}

TEST(RestResponses, LeverageBracketMalformedAndTruncated) {
  RestResponseParser p;
  std::vector<SymbolBrackets> out;
  const auto msg = [&](std::string_view body) {
    const RestResult r = p.parse_leverage_brackets(body, out);
    EXPECT_TRUE(r.ok || out.empty()) << body;
    return r.ok ? std::string("<ok>") : r.message();
  };
  EXPECT_EQ(msg(""), "field 'json': empty body");
  EXPECT_EQ(msg("42"), "field 'json': not a JSON array or object");
  EXPECT_EQ(msg(R"("BTCUSDT")"), "field 'json': not a JSON array or object");
  EXPECT_EQ(msg(R"({"brackets":[]})"), "field 'brackets': empty");
  EXPECT_EQ(msg(R"({"symbol":"BTCUSDT"})"), "field 'brackets': missing");
  EXPECT_EQ(
      msg(R"({"brackets":[{"initialLeverage":125,"notionalCap":50000,"notionalFloor":0,"maintMarginRatio":0.004,"cum":0}]})"),
      "field 'symbol': missing");
  EXPECT_EQ(msg(R"({"symbol":"","brackets":[]})"), "field 'symbol': empty");
  EXPECT_EQ(msg(R"({"symbol":7,"brackets":[]})"), "field 'symbol': not a string");
  EXPECT_EQ(msg(R"({"symbol":"BTCUSDT","brackets":{}})"), "field 'brackets': not an array");
  EXPECT_EQ(msg(R"({"symbol":"BTCUSDT","notionalCoef":"high","brackets":[]})"),
            "field 'notionalCoef': not a number");
  EXPECT_EQ(
      msg(R"([{"symbol":"BTCUSDT","brackets":[{"initialLeverage":125,"notionalCap":50000,"notionalFloor":0,"maintMarginRatio":0.004,"cum":0}]},7])"),
      "field '[]' of element 1: not an object");
  EXPECT_EQ(
      msg(R"([{"symbol":"BTCUSDT","brackets":[{"initialLeverage":125,"notionalCap":50000,"notionalFloor":0,"maintMarginRatio":0.004,"cum":0}]},{"symbol":"ETHUSDT","brackets":[{"initialLeverage":75,"notionalCap":10000,"notionalFloor":0,"maintMarginRatio":0.0065}]}])"),
      "field 'cum' of element 1, bracket 0: missing");
  // An error body handed over by mistake names what is missing.
  EXPECT_EQ(msg(R"({"code":-1121,"msg":"Invalid symbol."})"), "field 'symbol': missing");

  // Every cut of a good answer fails with a field and a reason, never a crash, and leaves
  // nothing in `out`.
  for (const std::string_view full : {kLeverageBracketDoc, kLeverageBracketsArray}) {
    for (std::size_t n = 1; n < full.size(); ++n) {
      const std::string_view cut = full.substr(0, n);
      const RestResult r = p.parse_leverage_brackets(cut, out);
      EXPECT_FALSE(r.ok) << cut;
      EXPECT_NE(std::string(r.field), "") << cut;
      EXPECT_NE(std::string(r.reason), "") << cut;
      EXPECT_TRUE(out.empty()) << cut;
    }
    // Garbage in the middle too.
    for (std::size_t at = 0; at < full.size(); at += 7) {
      std::string bad(full);
      bad[at] = '#';
      (void)p.parse_leverage_brackets(bad, out);  // whatever it says, it says it safely
    }
  }
}

}  // namespace
}  // namespace exitbrain
