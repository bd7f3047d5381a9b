#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "strategies/hard_stop_ranking.hpp"

namespace exitbrain {
namespace {

using Ranked = std::vector<std::uint32_t>;

TEST(HardStopRanking, NeedIsTheNotionalOverTheRoomToLiquidation) {
  // $10,000 2 % from liquidation needs a stop as much as $50,000 10 % away.
  EXPECT_DOUBLE_EQ(hard_stop_need(10'000, 0.02), hard_stop_need(50'000, 0.10));
  EXPECT_DOUBLE_EQ(hard_stop_need(10'000, 0.02), 500'000);
  // No liquidation price: as if 100 % away. Closer than 0.1 %: counted as 0.1 %.
  EXPECT_DOUBLE_EQ(hard_stop_need(10'000, 1.0), 10'000);
  EXPECT_DOUBLE_EQ(hard_stop_need(10'000, 0.0), hard_stop_need(10'000, 0.001));
  // Nothing to lose, or nonsense: no need.
  EXPECT_EQ(hard_stop_need(0, 0.05), 0);
  EXPECT_EQ(hard_stop_need(-5, 0.05), 0);
  EXPECT_EQ(hard_stop_need(std::nan(""), 0.05), 0);
  EXPECT_DOUBLE_EQ(hard_stop_need(1'000, std::nan("")), 1'000);
}

TEST(HardStopRanking, CloserToLiquidationAndBiggerComeFirst) {
  const std::vector<HardStopCandidate> c = {
      {0, 5'000, 0.20, false},   // 25,000
      {1, 5'000, 0.02, false},   // 250,000: same size, much closer
      {2, 40'000, 0.20, false},  // 200,000: far, but big
      {3, 0, 0.01, false},       // nothing at stake
  };
  EXPECT_EQ(rank_for_hard_stops(c), (Ranked{1, 2, 0, 3}));
}

TEST(HardStopRanking, AHeldPositionKeepsItsStopAndEqualsStayInPositionOrder) {
  const std::vector<HardStopCandidate> c = {
      {7, 1'000, 0.10, false},
      {3, 1'000, 0.10, false},
      {9, 10, 0.50, true},  // held by reconciliation: never loses its stop
      {5, 1'000, 0.10, false},
  };
  EXPECT_EQ(rank_for_hard_stops(c), (Ranked{9, 3, 5, 7}));
  EXPECT_TRUE(rank_for_hard_stops({}).empty());
}

}  // namespace
}  // namespace exitbrain
