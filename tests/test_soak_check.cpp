// The soak's judge can fail: each invariant on a record that keeps it and on one that
// breaks it (hand-made entries in the shape of exitbrain-sim's GET /sim/orders).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tools/soak/soak_check.hpp"

namespace exitbrain::soak {
namespace {

std::string entry(int seq, long t, const std::string& endpoint, const std::string& params,
                  const std::string& outcome, const std::string& executed, int http = 200,
                  const std::string& extra = "") {
  return "{\"seq\":" + std::to_string(seq) + ",\"time\":" + std::to_string(t) + ",\"endpoint\":\"" +
         endpoint + "\",\"params\":{" + params + "},\"http_status\":" + std::to_string(http) +
         ",\"code\":0,\"msg\":\"\",\"outcome\":\"" + outcome + "\",\"executed_qty\":\"" + executed +
         "\"" + extra + "}";
}
std::string record(const std::vector<std::string>& entries) {
  std::string s = "[";
  for (std::size_t i = 0; i < entries.size(); ++i) s += (i ? "," : "") + entries[i];
  return s + "]";
}
const std::string kOpen = entry(1, 1000, "SIM open",
                                R"("symbol":"BTCUSDT","side":"BUY","positionSide":"BOTH",)"
                                R"("quantity":"1","clientOrderId":"web_1")",
                                "FILLED", "1");
std::string stop(int seq, long t, const std::string& id, int algo) {
  return entry(
      seq, t, "POST /fapi/v1/algoOrder",
      R"("symbol":"BTCUSDT","side":"SELL","closePosition":"true","clientAlgoId":")" + id + "\"",
      "NEW", "0", 200, ",\"algo_id\":" + std::to_string(algo));
}
std::string cancel(int seq, long t, int algo) {
  return entry(seq, t, "DELETE /fapi/v1/algoOrder", R"("algoId":")" + std::to_string(algo) + "\"",
               "CANCELED", "0");
}
std::string exit_order(int seq, long t, const std::string& id, const std::string& qty,
                       bool reduce_only = true, int http = 200) {
  return entry(seq, t, "POST /fapi/v1/order",
               R"("symbol":"BTCUSDT","side":"SELL","quantity":")" + qty + R"(","reduceOnly":")" +
                   (reduce_only ? "true" : "false") + R"(","newClientOrderId":")" + id + "\"",
               qty == "0" ? "REJECTED" : "FILLED", qty, http);
}
std::vector<InvariantResult> check(const std::vector<std::string>& entries,
                                   std::vector<std::string> closed_ids = {},
                                   std::string samples = "") {
  SoakInputs in;
  in.orders_json = record(entries);
  for (const std::string& id : closed_ids) in.closed.push_back({{"client_order_id", id}});
  in.samples = std::move(samples);
  in.stop_grace_ms = 5000;
  in.warm_up_ms = 1000;
  return check_soak(in);
}
const InvariantResult& named(const std::vector<InvariantResult>& all, const std::string& prefix) {
  for (const auto& r : all)
    if (r.name.rfind(prefix, 0) == 0) return r;
  static const InvariantResult none{"<none>", 0, 1, {}, ""};
  return none;
}

TEST(SoakCheck, AGoodRunPassesEveryInvariant) {
  const auto r =
      check({kOpen, stop(2, 2000, "xbs-a-1", 7), stop(3, 3000, "xbs-a-2", 8), cancel(4, 3001, 7),
             exit_order(5, 4000, "xbx-a-1", "1"), cancel(6, 4001, 8)},
            {"xbx-a-1"}, "0 9 100 20 8\n2000 9 100 20 8\n3000 9 101 21 8\n4000 9 101 20 8\n");
  for (const auto& x : r) EXPECT_EQ(x.failed, 0) << format_results(r);
  EXPECT_EQ(named(r, "exit orders").passed, 3);
  EXPECT_EQ(named(r, "no position").passed, 1);
  EXPECT_EQ(named(r, "every open").passed, 1);
  EXPECT_EQ(named(r, "every filled").passed, 1);
  EXPECT_EQ(named(r, "RSS").passed, 1);
}

TEST(SoakCheck, NothingToJudgeIsSaidSoNotPassed) {
  // One sample only: no process lived past the warm-up.
  const auto r = check({kOpen, stop(2, 2000, "xbs-a-1", 7)}, {}, "0 9 100 20 8\n");
  EXPECT_EQ(named(r, "RSS").passed, 0);
  EXPECT_EQ(named(r, "RSS").failed, 0);
  const std::string text = format_results(r);
  EXPECT_NE(text.find("n/a   RSS"), std::string::npos) << text;
  EXPECT_NE(text.find("ok    every open"), std::string::npos) << text;
}

TEST(SoakCheck, AnExitSentAgainAfterItExecutedFails) {
  const auto r =
      check({kOpen, stop(2, 2000, "xbs-a-1", 7), exit_order(3, 3000, "xbx-a-1", "0.5", true, 503),
             exit_order(4, 3500, "xbx-a-1", "0.5")},
            {"xbx-a-1"});
  EXPECT_EQ(named(r, "exit orders").failed, 1) << format_results(r);
}

TEST(SoakCheck, AnExitThatFlipsOrIsNotReduceOnlyFails) {
  const auto r =
      check({kOpen, stop(2, 2000, "xbs-a-1", 7), exit_order(3, 3000, "xbx-a-1", "2", false)},
            {"xbx-a-1"});
  EXPECT_EQ(named(r, "no position").failed, 2) << format_results(r);
}

TEST(SoakCheck, ABarePositionFails) {
  // No stop within the grace after the opening, then a break-before-make move.
  auto r = check({kOpen, stop(2, 7000, "xbs-a-1", 7)});
  EXPECT_EQ(named(r, "every open").failed, 1) << format_results(r);
  r = check({kOpen, stop(2, 2000, "xbs-a-1", 7), cancel(3, 3000, 7), stop(4, 3100, "xbs-a-2", 8)});
  EXPECT_EQ(named(r, "every open").failed, 1) << format_results(r);
  // Open to the end of the record without any stop.
  r = check({kOpen, entry(2, 9000, "GET /fapi/v1/order", "", "FILLED", "0")});
  EXPECT_EQ(named(r, "every open").failed, 1) << format_results(r);
}

TEST(SoakCheck, TradeClosedMissingTwiceOrInventedFails) {
  const std::vector<std::string> run = {kOpen, stop(2, 2000, "xbs-a-1", 7),
                                        exit_order(3, 3000, "xbx-a-1", "1")};
  EXPECT_EQ(named(check(run, {}), "every filled").failed, 1);
  EXPECT_EQ(named(check(run, {"xbx-a-1", "xbx-a-1"}), "every filled").failed, 1);
  EXPECT_EQ(named(check(run, {"xbx-a-1", "xbx-zzz"}), "every filled").failed, 1);
}

TEST(SoakCheck, GrowingFilesOrThreadsFail) {
  const auto r = check({kOpen}, {},
                       "0 9 100 20 8\n2000 9 100 20 8\n3000 9 100 40 8\n4000 9 100 60 8\n"
                       "0 10 100 20 8\n2000 10 100 20 8\n3000 10 100 20 12\n4000 10 100 20 12\n");
  EXPECT_EQ(named(r, "RSS").failed, 2) << format_results(r);
}

TEST(SoakCheck, AnUnreadableRecordIsAFailure) {
  SoakInputs in;
  in.orders_json = "{not json";
  const auto r = check_soak(in);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].failed, 1);
}

}  // namespace
}  // namespace exitbrain::soak
