#include <gtest/gtest.h>

#include <string>

#include "net/hmac_signer.hpp"
#include "net/order_format.hpp"
#include "tests/support/counting_new.inc"
#include "tests/support/decimal_text.hpp"

namespace exitbrain {
namespace {

using testing::dec;

const RequestTiming kTiming{1591702613943, 5000};

std::string exit_order(Side side, const char* qty, PositionMode mode) {
  QueryWriter q;
  write_exit_order(q, "BTCUSDT", side, dec(qty), ClientId::for_exit(42, 3), mode, kTiming);
  EXPECT_TRUE(q.ok());
  return std::string(q.view());
}

TEST(OrderFormat, OneWayExitIsReduceOnlyWithoutPositionSide) {
  EXPECT_EQ(
      exit_order(Side::kLong, "0.5", PositionMode::kOneWay),
      "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.5&reduceOnly=true&"
      "newClientOrderId=xbx-16-3&newOrderRespType=RESULT&recvWindow=5000&timestamp=1591702613943");
  const std::string s = exit_order(Side::kShort, "0.5", PositionMode::kOneWay);
  EXPECT_NE(s.find("side=BUY&type=MARKET"), std::string::npos) << s;
  EXPECT_EQ(s.find("positionSide"), std::string::npos) << s;
}

TEST(OrderFormat, HedgeExitNamesThePositionAndNeverSendsReduceOnly) {
  const std::string l = exit_order(Side::kLong, "1", PositionMode::kHedge);
  EXPECT_NE(l.find("side=SELL&positionSide=LONG&type=MARKET&quantity=1&newClientOrderId"),
            std::string::npos)
      << l;
  EXPECT_EQ(l.find("reduceOnly"), std::string::npos) << l;  // -1106 in hedge mode
  const std::string s = exit_order(Side::kShort, "1", PositionMode::kHedge);
  EXPECT_NE(s.find("side=BUY&positionSide=SHORT"), std::string::npos) << s;
}

TEST(OrderFormat, HardStopGoesToTheAlgoEndpointShapeWithClosePositionOnly) {
  for (PositionMode mode : {PositionMode::kOneWay, PositionMode::kHedge}) {
    QueryWriter q;
    write_hard_stop(q, "BTCUSDT", Side::kLong, dec("64250.5"), ClientId::for_hard_stop(7, 1), mode,
                    kTiming);
    const std::string s(q.view());
    EXPECT_EQ(s.rfind("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&", 0), 0u) << s;
    EXPECT_NE(
        s.find("type=STOP_MARKET&triggerPrice=64250.5&workingType=MARK_PRICE&closePosition=true"),
        std::string::npos)
        << s;
    EXPECT_EQ(s.find("reduceOnly"), std::string::npos) << "never with closePosition: " << s;
    EXPECT_EQ(s.find("quantity"), std::string::npos) << s;
    EXPECT_EQ(s.find("stopPrice"), std::string::npos)
        << "the algo endpoint says triggerPrice: " << s;
    EXPECT_EQ(s.find("positionSide=LONG") != std::string::npos, mode == PositionMode::kHedge) << s;
  }
}

// Binance's pattern for client ids: ^[\.A-Z\:/a-z0-9_-]{1,36}$
bool valid_client_id(std::string_view id) {
  if (id.empty() || id.size() > 36) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == ':' || c == '/' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

TEST(OrderFormat, ClientIdsAreDeterministicValidAndOurs) {
  for (std::uint64_t key : {0ull, 1ull, 42ull, ~0ull})
    for (std::uint32_t seq : {0u, 1u, 4'294'967'295u}) {
      const ClientId a = ClientId::for_exit(key, seq), b = ClientId::for_exit(key, seq);
      EXPECT_EQ(a.view(), b.view());
      EXPECT_TRUE(valid_client_id(a.view())) << a.view();
      EXPECT_TRUE(valid_client_id(ClientId::for_hard_stop(key, seq).view()));
      EXPECT_TRUE(is_exitbrain_client_id(a.view()));
      EXPECT_NE(ClientId::for_exit(key, seq).view(), ClientId::for_hard_stop(key, seq).view());
    }
  EXPECT_NE(ClientId::for_exit(1, 1).view(), ClientId::for_exit(1, 2).view());
  EXPECT_NE(ClientId::for_exit(1, 1).view(), ClientId::for_exit(2, 1).view());
  EXPECT_EQ(ClientId::for_exit(~0ull, 4'294'967'295u).view().size(), 28u);
  EXPECT_FALSE(valid_client_id("has space")) << "the check itself must be able to fail";
  EXPECT_FALSE(valid_client_id(std::string(37, 'a')));
  EXPECT_FALSE(is_exitbrain_client_id("web_abc123"));
  EXPECT_FALSE(is_exitbrain_client_id("xb"));
}

TEST(OrderFormat, SignatureComesLastAndSignsEverythingBefore) {
  const HmacSha256Signer signer("2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9");
  QueryWriter q;
  q.add("symbol", "BTCUSDT").add("side", "BUY").add("type", "LIMIT").add("quantity", dec("1"));
  q.add("price", dec("9000")).add("timeInForce", "GTC").add("recvWindow", std::int64_t{5000});
  q.add("timestamp", std::int64_t{1591702613943}).sign(signer);
  EXPECT_EQ(
      q.view(),
      "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&"
      "timestamp=1591702613943&signature="
      "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9");
}

TEST(OrderFormat, OverflowIsReportedNotTruncated) {
  QueryWriter q;
  const std::string big(QueryWriter::kCapacity, 'a');
  q.add("k", big);
  EXPECT_FALSE(q.ok());
  q.clear();
  EXPECT_TRUE(q.ok());
  EXPECT_TRUE(q.view().empty());
}

TEST(OrderFormat, FormattingAndSigningAllocateNothing) {
  const HmacSha256Signer signer("secret");
  QueryWriter q;
  const long before = g_allocations.load();
  for (std::uint32_t i = 0; i < 10'000; ++i) {
    q.clear();
    write_exit_order(q, "ETHUSDT", i % 2 ? Side::kLong : Side::kShort,
                     Decimal::from_units(150'000'000 + i), ClientId::for_exit(i, i),
                     i % 3 ? PositionMode::kOneWay : PositionMode::kHedge,
                     RequestTiming{1'771'000'000'000 + i, 5000});
    q.sign(signer);
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_TRUE(q.ok());
}

}  // namespace
TEST(ClientIdParse, ReadsBackWhatWasWritten) {
  for (const std::uint64_t key :
       {std::uint64_t{0}, std::uint64_t{35}, std::uint64_t{1} << 40, ~std::uint64_t{0}}) {
    for (const std::uint32_t seq : {1u, 7u, 4'000'000'000u}) {
      const auto exit_parts = parse_client_id(ClientId::for_exit(key, seq).view());
      ASSERT_TRUE(exit_parts);
      EXPECT_FALSE(exit_parts->hard_stop);
      EXPECT_EQ(exit_parts->position_key, key);
      EXPECT_EQ(exit_parts->seq, seq);
      const auto stop_parts = parse_client_id(ClientId::for_hard_stop(key, seq).view());
      ASSERT_TRUE(stop_parts);
      EXPECT_TRUE(stop_parts->hard_stop);
      EXPECT_EQ(stop_parts->position_key, key);
    }
  }
}

TEST(ClientIdParse, RefusesForeignAndDamagedIds) {
  for (const char* id : {"web_abc", "xbx-", "xbx--1", "xbx-ab", "xbx-AB-1", "xbx-ab-", "xbx-ab-1x",
                         "xbq-ab-1", "xbx-zzzzzzzzzzzzzz-1"})
    EXPECT_FALSE(parse_client_id(id)) << id;
}

}  // namespace exitbrain
