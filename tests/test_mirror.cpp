// A SHORT on mirrored prices (p' = 2 x entry - p) must take the mirrored exits of a LONG,
// for every shipped profile. Levels, targets, harvests, break-even, the volatility
// governor and the time stop are reflections of each other exactly. Trailing is not: the
// contract's candidate p x (1 -/+ trail_offset) scales with p, and p and 2e - p differ, so
// the two trailed stops may sit up to 2 x offset x |p - e| (plus a tick of rounding)
// apart. The test bounds that gap and keeps its random path off the sliver between the two
// stops, where the asymmetry would decide a breach; everything else is compared exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tests/support/engine_harness.hpp"
#include "tools/market_data/synthetic_walk.hpp"

namespace exitbrain {
namespace {

using testing::dec;
using testing::EngineHarness;

constexpr std::int64_t kEntryUnits = 100 * Decimal::kOne;  // entry 100, tick 0.01
Price mirror(Price p) {
  return Decimal::from_units(2 * kEntryUnits - p.units());
}

// `sl_slack`: how far the SHORT's stop may sit from the mirrored LONG stop (trailing).
void expect_mirrored(const Decision& l, const Decision& s, double sl_slack,
                     const std::string& where) {
  ASSERT_EQ(l.kind, s.kind) << where;
  EXPECT_EQ(l.time, s.time) << where;
  EXPECT_EQ(l.remaining, s.remaining) << where;
  if (l.kind == DecisionKind::kLevels) {
    EXPECT_LE(std::abs((mirror(l.sl) - s.sl).to_double()), sl_slack) << where;
    ASSERT_EQ(l.tp_count, s.tp_count) << where;
    for (std::size_t i = 0; i < l.tp_count; ++i) EXPECT_EQ(mirror(l.tp[i]), s.tp[i]) << where;
    EXPECT_EQ(l.provisional, s.provisional) << where;
    EXPECT_EQ(l.high_volatility, s.high_volatility) << where;
  } else if (l.kind == DecisionKind::kExit) {
    EXPECT_EQ(l.exit_reason, s.exit_reason) << where;
    EXPECT_EQ(l.leg, s.leg) << where;
    EXPECT_EQ(l.qty, s.qty) << where;
    EXPECT_EQ(mirror(l.price), s.price) << where;
    EXPECT_EQ(l.exit_seq, s.exit_seq) << where;
  }
}

// Levels and exits, in order. Stop moves are checked through the stops themselves.
std::vector<Decision> levels_and_exits(std::vector<Decision> in) {
  std::erase_if(in, [](const Decision& d) { return d.kind == DecisionKind::kStopMoved; });
  return in;
}

void run_mirror(const Profile& profile, std::uint64_t seed) {
  EngineHarness lh(profile), sh(profile);
  ASSERT_FALSE(lh.add(Side::kLong, "100", "100"));
  ASSERT_FALSE(sh.add(Side::kShort, "100", "100"));
  SplitMix64 rng(seed);
  std::int64_t p = kEntryUnits;
  const std::int64_t tick = dec("0.01").units();
  double max_excursion = 0;
  int exits = 0;
  for (int step = 0; step < 4000 && !lh.pos().closed; ++step) {
    const TimeMs t = step * 5'000;
    // ATR warms up after 20 updates; now and then it jumps past the volatility threshold.
    std::optional<double> atr;
    if (step >= 20) atr = (step / 300) % 4 == 3 ? 2.6 : 0.4 + 0.1 * ((step / 50) % 5);
    std::int64_t next = p;
    const PositionState& L = lh.pos();
    const PositionState& S = sh.pos();
    for (int attempt = 0; attempt < 200; ++attempt) {
      const auto move = static_cast<std::int64_t>(rng.normal() * 12.0);
      const std::int64_t candidate = std::max<std::int64_t>(tick, p + move * tick);
      if (L.levels == LevelState::kNone || S.levels == LevelState::kNone) {
        next = candidate;
        break;
      }
      // The sliver between the LONG stop (mirrored) and the SHORT stop.
      const std::int64_t a = mirror(L.sl).units(), b = S.sl.units();
      const std::int64_t mirrored = 2 * kEntryUnits - candidate;
      if (a == b || mirrored < std::min(a, b) || mirrored > std::max(a, b)) {
        next = candidate;
        break;
      }
    }
    p = next;
    max_excursion =
        std::max(max_excursion, std::abs(static_cast<double>(p - kEntryUnits)) / Decimal::kOne);
    const Price lp = Decimal::from_units(p);
    lh.price(to_string(lp).c_str(), t, atr);
    sh.price(to_string(mirror(lp)).c_str(), t, atr);
    const auto ld = levels_and_exits(lh.take());
    const auto sd = levels_and_exits(sh.take());
    const std::string where = profile.name + " seed " + std::to_string(seed) + " step " +
                              std::to_string(step) + " long price " + to_string(lp);
    ASSERT_EQ(ld.size(), sd.size()) << where;
    const double slack =
        profile.trailing ? 2 * profile.trail_offset * max_excursion + 0.01 + 1e-9 : 0.0;
    for (std::size_t i = 0; i < ld.size(); ++i) {
      expect_mirrored(ld[i], sd[i], slack, where);
      exits += ld[i].kind == DecisionKind::kExit;
    }
    ASSERT_EQ(L.closed, S.closed) << where;
    if (L.levels != LevelState::kNone && !L.closed) {
      EXPECT_LE(std::abs((mirror(L.sl) - S.sl).to_double()), slack) << where;
      if (!profile.trailing) {
        EXPECT_EQ(mirror(L.sl), S.sl) << where;
      }
    }
  }
  EXPECT_GT(exits, 0) << profile.name << " seed " << seed << ": the path never exited";
}

TEST(Mirror, ShortOnMirroredPricesTakesTheMirroredExitsForEveryProfile) {
  for (const Profile& profile : builtin_profiles())
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
      run_mirror(profile, seed);
      if (HasFatalFailure()) return;
    }
}

TEST(Mirror, AlsoWithTrailingOffAndHarvestingTwice) {
  for (Profile profile : builtin_profiles()) {
    profile.trailing = false;
    profile.harvest_max = 2;
    profile.harvest_trigger = 0.003;
    profile.harvest_fraction = 0.2;
    for (std::uint64_t seed = 100; seed <= 120; ++seed) {
      run_mirror(profile, seed);
      if (HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace exitbrain
