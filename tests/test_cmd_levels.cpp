// Runs the built `exitbrain levels` binary end to end.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/paths.hpp"
#include "tests/support/run_command.hpp"

namespace exitbrain {
namespace {

using testing::bin_dir;
using testing::run_command;

testing::CommandResult levels(const std::string& args) {
  return run_command((bin_dir() / "exitbrain").string() + " levels " + args);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(CmdLevels, NearUsdtSeedExample) {
  const auto r = levels(
      "--side BUY --entry 1.465 --confidence 0.72 "
      "--volatility-factor 0.5513439007580968");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "{\"side\":\"BUY\",\"entry\":1.465,\"confidence\":0.72,"
            "\"volatility_factor\":0.5513439007580968,\"regime\":\"UNKNOWN\","
            "\"funding_rate\":0,\"exchange_divergence\":0,\"stop_loss\":null,"
            "\"maint_margin_rate\":0.004,\"liquidation_buffer\":0.005,"
            "\"target_leverage\":26,\"formula_leverage\":26,\"raw_leverage\":26.91936595,"
            "\"dynamic_tp\":1.560225,\"dynamic_sl\":1.44884562,\"tp_distance\":0.065,"
            "\"sl_distance\":0.01102688,\"guarded_stop\":1.44884562,"
            "\"liquidation_price\":1.41431109,\"clamped\":[]}\n");
}

TEST(CmdLevels, SellMirrorsBuy) {
  const auto r = levels("--side SELL --entry 1.465 --confidence 0.72 --volatility-factor 0.5");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "\"side\":\"SELL\"")) << r.output;
  EXPECT_TRUE(contains(r.output, "\"target_leverage\":30,")) << r.output;
  // 1.465 × (1 − 0.075) and 1.465 × (1 + 0.01)
  EXPECT_TRUE(contains(r.output, "\"dynamic_tp\":1.355125,")) << r.output;
  EXPECT_TRUE(contains(r.output, "\"dynamic_sl\":1.47965,")) << r.output;
}

TEST(CmdLevels, RegimeAndClampsAreReported) {
  const auto r = levels(
      "--side BUY --entry 100 --confidence 0.9 --volatility-factor 0.01 "
      "--regime trending --exchange-divergence 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "\"regime\":\"TRENDING\"")) << r.output;
  EXPECT_TRUE(contains(r.output, "\"target_leverage\":80,")) << r.output;
  EXPECT_TRUE(contains(r.output,
                       "\"clamped\":[\"leverage_cap\",\"sl_min_distance\","
                       "\"divergence_cap\"]"))
      << r.output;
}

TEST(CmdLevels, LiquidationGuardIsNamed) {
  const auto r = levels(
      "--side BUY --entry 1.465 --confidence 0.72 "
      "--volatility-factor 0.5513439007580968 --stop-loss 1.1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "\"target_leverage\":3,")) << r.output;
  EXPECT_TRUE(contains(r.output, "\"formula_leverage\":26,")) << r.output;
  EXPECT_TRUE(contains(r.output, "\"stop_loss\":1.1,")) << r.output;
  EXPECT_TRUE(contains(r.output, "\"clamped\":[\"liquidation_guard\"]")) << r.output;
}

TEST(CmdLevels, BadConfidenceExitsTwoAndNamesTheOption) {
  const auto r = levels("--side BUY --entry 1.465 --confidence 1.5 --volatility-factor 0.5");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output, "error: --confidence: must be in [0,1], got 1.5\n");
}

TEST(CmdLevels, OtherInputErrors) {
  auto r = levels("--side HOLD --entry 1.465 --confidence 0.7 --volatility-factor 0.5");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "--side")) << r.output;

  r = levels("--side BUY --entry abc --confidence 0.7 --volatility-factor 0.5");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "error: --entry: not a number, got 'abc'")) << r.output;

  r = levels("--side BUY --entry 1.465 --confidence nan --volatility-factor 0.5");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "error: --confidence:")) << r.output;

  r = levels("--side BUY --entry 1.465 --confidence 0.7 --volatility-factor 0.5 --stop-loss 2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "error: --stop-loss: must be below entry")) << r.output;

  r = levels("--side SELL --entry 100 --confidence 0.7 --volatility-factor 0.5 --stop-loss 199");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "error: --stop-loss: lies beyond the liquidation price"))
      << r.output;

  r = levels("--side BUY --entry 1.465 --confidence 0.7");  // missing --volatility-factor
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "volatility-factor")) << r.output;
}

}  // namespace
}  // namespace exitbrain
