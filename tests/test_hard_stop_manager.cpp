#include <gtest/gtest.h>

#include <deque>
#include <set>

#include "strategies/hard_stop_manager.hpp"
#include "tests/support/decimal_text.hpp"
#include "tools/market_data/synthetic_walk.hpp"

namespace exitbrain {
namespace {

using testing::dec;
using Kind = HardStopCommandKind;
const Price kTick = dec("0.01");

TEST(HardStopManager, TriggerSitsBeyondTheEngineStopOnTheTickGrid) {
  // LONG: below the stop, rounded down; SHORT: above, rounded up. Never on the wrong side.
  EXPECT_EQ(to_string(hard_stop_trigger(Side::kLong, dec("100"), 0.002, dec("0.01"))), "99.8");
  EXPECT_EQ(to_string(hard_stop_trigger(Side::kShort, dec("100"), 0.002, dec("0.01"))), "100.2");
  EXPECT_EQ(to_string(hard_stop_trigger(Side::kLong, dec("1.4357"), 0.003, dec("0.001"))), "1.431");
  EXPECT_EQ(to_string(hard_stop_trigger(Side::kShort, dec("1.4357"), 0.003, dec("0.001"))),
            "1.441");
  EXPECT_EQ(to_string(hard_stop_trigger(Side::kLong, dec("100"), 0.0, dec("0.1"))), "100");
}

TEST(HardStopManager, PlacesBeyondTheEngineStopAndProtectsOnceConfirmed) {
  HardStopManager m(2, HardStopPolicy{});
  auto c = m.on_engine_stop(0, Side::kLong, dec("100"), kTick, 0);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.items[0].kind, Kind::kPlace);
  EXPECT_EQ(c.items[0].stop_seq, 1u);
  EXPECT_EQ(to_string(c.items[0].trigger), "99.8");  // 0.2 % below, rounded down
  EXPECT_FALSE(m.protected_now(0)) << "not before the exchange confirms";
  EXPECT_EQ(m.on_placed(0, 1).count, 0) << "nothing to cancel the first time";
  EXPECT_TRUE(m.protected_now(0));
  c = m.on_engine_stop(1, Side::kShort, dec("100"), kTick, 0);
  EXPECT_EQ(to_string(c.items[0].trigger), "100.2");  // a SHORT's stop sits above
}

TEST(HardStopManager, NewStopFirstThenTheOldOneGoes) {
  HardStopManager m(1, HardStopPolicy{});
  m.on_engine_stop(0, Side::kLong, dec("100"), kTick, 0);
  m.on_placed(0, 1);
  auto c = m.on_engine_stop(0, Side::kLong, dec("101"), kTick, 5'000);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.items[0].kind, Kind::kPlace);
  EXPECT_EQ(c.items[0].stop_seq, 2u);
  EXPECT_EQ(m.on_engine_stop(0, Side::kLong, dec("102"), kTick, 9'000).count, 0)
      << "one placement in flight at a time";
  EXPECT_EQ(m.active_trigger(0), dec("99.8")) << "the old stop protects until the new one stands";
  c = m.on_placed(0, 2);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.items[0].kind, Kind::kCancel);
  EXPECT_EQ(c.items[0].stop_seq, 1u);
  EXPECT_EQ(to_string(m.active_trigger(0)), "100.79");
}

// A stop cancelled by someone else (by hand on the exchange) leaves the position naked:
// the manager says so and the next engine stop places a new one at once, not throttled.
// A stop we were cancelling ourselves is only forgotten; a SHORT behaves the same.
TEST(HardStopManager, AStopGoneWithoutOurCancelIsReplacedAtOnce) {
  for (const Side side : {Side::kLong, Side::kShort}) {
    HardStopManager m(1, HardStopPolicy{0.002, 0.001, 60'000});
    m.on_engine_stop(0, side, dec("100"), kTick, 0);
    m.on_placed(0, 1);
    ASSERT_TRUE(m.protected_now(0));
    EXPECT_FALSE(m.on_gone(0, 7)) << "not the active stop: nothing changes";
    EXPECT_TRUE(m.protected_now(0));
    EXPECT_TRUE(m.on_gone(0, 1));
    EXPECT_FALSE(m.protected_now(0));
    auto c = m.on_engine_stop(0, side, dec("100"), kTick, 1'000);  // well inside 60 s
    ASSERT_EQ(c.count, 1) << "unprotected: no throttle";
    EXPECT_EQ(c.items[0].kind, Kind::kPlace);
    EXPECT_EQ(c.items[0].stop_seq, 2u) << "a new client id, never the old one again";
    EXPECT_EQ(to_string(c.items[0].trigger), side == Side::kLong ? "99.8" : "100.2");
    m.on_placed(0, 2);
    // Our own move: the old stop is being cancelled when the exchange reports it gone.
    c = m.on_engine_stop(0, side, side == Side::kLong ? dec("101") : dec("99"), kTick, 70'000);
    ASSERT_EQ(c.count, 1);
    c = m.on_placed(0, 3);
    ASSERT_EQ(c.count, 1);
    EXPECT_EQ(c.items[0].kind, Kind::kCancel);
    EXPECT_FALSE(m.on_gone(0, 2)) << "one we cancel ourselves is not a loss";
    EXPECT_TRUE(m.protected_now(0));
    EXPECT_EQ(m.active_stop(0), 3u);
  }
}

TEST(HardStopManager, SmallOrHastyMovesAreThrottled) {
  HardStopManager m(1, HardStopPolicy{0.002, 0.001, 1000});
  m.on_engine_stop(0, Side::kLong, dec("100"), kTick, 0);
  m.on_placed(0, 1);
  EXPECT_EQ(m.on_engine_stop(0, Side::kLong, dec("100.05"), kTick, 60'000).count, 0)
      << "under 0.1 %";
  EXPECT_EQ(m.on_engine_stop(0, Side::kLong, dec("101"), kTick, 500).count, 0)
      << "within the interval";
  EXPECT_EQ(m.on_engine_stop(0, Side::kLong, dec("101"), kTick, 1000).count, 1);
}

TEST(HardStopManager, UnknownPlacementIsLookedUp) {
  HardStopManager m(1, HardStopPolicy{});
  m.on_engine_stop(0, Side::kLong, dec("100"), kTick, 0);
  auto c = m.on_place_failed(0, 1, ErrorAction::kUnknownOutcome);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.items[0].kind, Kind::kLookup);
  m.on_place_lookup(0, 1, false);
  EXPECT_FALSE(m.protected_now(0));
  c = m.on_engine_stop(0, Side::kLong, dec("100"), kTick, 100);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.items[0].stop_seq, 2u) << "placed again under a new clientAlgoId";
  m.on_place_failed(0, 2, ErrorAction::kUnknownOutcome);
  m.on_place_lookup(0, 2, true);
  EXPECT_TRUE(m.protected_now(0));
}

TEST(HardStopManager, RefusalWhileUnprotectedAlerts) {
  HardStopManager m(1, HardStopPolicy{});
  m.on_engine_stop(0, Side::kLong, dec("100"), kTick, 0);
  auto c = m.on_place_failed(0, 1, ErrorAction::kRetryBackoff);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.items[0].kind, Kind::kAlert);
  m.on_engine_stop(0, Side::kLong, dec("100"), kTick, 10);
  m.on_placed(0, 2);
  m.on_engine_stop(0, Side::kLong, dec("102"), kTick, 5000);
  EXPECT_EQ(m.on_place_failed(0, 3, ErrorAction::kRetryBackoff).count, 0)
      << "the old stop still stands: retried on the next move, no alert";
  EXPECT_TRUE(m.protected_now(0));
}

TEST(HardStopManager, ClosedPositionCancelsEverythingLeft) {
  HardStopManager m(1, HardStopPolicy{});
  m.on_engine_stop(0, Side::kLong, dec("100"), kTick, 0);
  m.on_placed(0, 1);
  m.on_engine_stop(0, Side::kLong, dec("105"), kTick, 5000);
  auto c = m.on_position_closed(0);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.items[0].stop_seq, 1u);
  c = m.on_placed(0, 2);  // the move in flight lands after the close
  ASSERT_EQ(c.count, 2);
  EXPECT_EQ(c.items[1].kind, Kind::kCancel);
  EXPECT_EQ(c.items[1].stop_seq, 2u);
  EXPECT_EQ(m.on_engine_stop(0, Side::kLong, dec("110"), kTick, 99'000).count, 0);
}

// Random engine stops, acknowledgements in any order, failures: once protected, a
// position is never without a confirmed stop, and only a superseded stop is cancelled.
TEST(HardStopManager, NeverNakedOnceProtected) {
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    SplitMix64 rng(seed);
    HardStopManager m(1, HardStopPolicy{0.002, 0.0005, 200});
    std::deque<HardStopCommand> pending;
    std::set<std::uint32_t> cancelled;
    bool was_protected = false;
    double stop = 100;
    for (int step = 0; step < 300; ++step) {
      const TimeMs now = step * 100;
      if (rng.uniform() < 0.5) {
        stop *= 1 + 0.004 * (rng.uniform() - 0.3);
        auto c = m.on_engine_stop(0, Side::kLong,
                                  *Decimal::from_double(std::round(stop * 100) / 100), kTick, now);
        for (std::uint8_t i = 0; i < c.count; ++i) pending.push_back(c.items[i]);
      } else if (!pending.empty()) {
        const HardStopCommand c = pending.front();
        pending.pop_front();
        HardStopCommands next;
        if (c.kind == Kind::kPlace) {
          const double u = rng.uniform();
          next = u < 0.7    ? m.on_placed(0, c.stop_seq)
                 : u < 0.85 ? m.on_place_failed(0, c.stop_seq, ErrorAction::kRetryBackoff)
                            : m.on_place_failed(0, c.stop_seq, ErrorAction::kUnknownOutcome);
        } else if (c.kind == Kind::kLookup) {
          next = m.on_place_lookup(0, c.stop_seq, rng.uniform() < 0.5);
        } else if (c.kind == Kind::kCancel) {
          cancelled.insert(c.stop_seq);
          m.on_cancelled(0, c.stop_seq);
        }
        for (std::uint8_t i = 0; i < next.count; ++i) {
          if (next.items[i].kind == Kind::kCancel) {
            EXPECT_NE(next.items[i].stop_seq, m.active_stop(0))
                << "seed " << seed << ": cancelled the standing stop";
          }
          pending.push_back(next.items[i]);
        }
      }
      if (was_protected) {
        ASSERT_TRUE(m.protected_now(0)) << "seed " << seed << " step " << step << ": naked";
      }
      was_protected = was_protected || m.protected_now(0);
      if (m.protected_now(0)) {
        EXPECT_EQ(cancelled.count(m.active_stop(0)), 0u)
            << "seed " << seed << ": the standing stop was cancelled";
      }
    }
    EXPECT_TRUE(was_protected) << "seed " << seed;
  }
}

// ---- the account's conditional-order limit ----------------------------------------------

// Places and confirms the first stop of `position` at an engine stop of 100.
void protect(HardStopManager& m, std::uint32_t position, Side side = Side::kLong) {
  const auto c = m.on_engine_stop(position, side, dec("100"), kTick, 0);
  ASSERT_EQ(c.count, 1);
  ASSERT_EQ(c.items[0].kind, Kind::kPlace);
  m.on_placed(position, c.items[0].stop_seq);
  ASSERT_TRUE(m.protected_now(position));
}

TEST(HardStopManager, ACapacityKeepsOneStopSpareForMovesAndRefusesANewStopWithoutRoom) {
  HardStopManager m(4, HardStopPolicy{0.002, 0.001, 0});
  m.set_capacity(3);
  EXPECT_EQ(m.protect_limit(), 2u);
  protect(m, 0);
  protect(m, 1, Side::kShort);
  EXPECT_EQ(m.live_stops(), 2u);
  auto c = m.on_engine_stop(2, Side::kLong, dec("100"), kTick, 0);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.items[0].kind, Kind::kNoRoom) << "the third position would take the spare";
  EXPECT_EQ(m.live_stops(), 2u) << "nothing was sent";
  // A move uses the spare for a moment: new stop first, then the old one goes.
  c = m.on_engine_stop(0, Side::kLong, dec("101"), kTick, 10);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.items[0].kind, Kind::kPlace);
  EXPECT_EQ(m.live_stops(), 3u);
  EXPECT_EQ(m.on_engine_stop(1, Side::kShort, dec("99"), kTick, 10).count, 0)
      << "a second move waits while the spare is in use (its old stop stands)";
  EXPECT_TRUE(m.protected_now(1));
  c = m.on_placed(0, c.items[0].stop_seq);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.items[0].kind, Kind::kCancel);
  EXPECT_EQ(m.live_stops(), 3u) << "the old stop counts until its cancel is done";
  m.on_cancelled(0, c.items[0].stop_seq);
  EXPECT_EQ(m.live_stops(), 2u);
  c = m.on_engine_stop(1, Side::kShort, dec("99"), kTick, 20);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.items[0].kind, Kind::kPlace) << "the spare is free again";
}

TEST(HardStopManager, AWithheldPositionGivesUpItsStopAndPlacesNothingUntilGranted) {
  HardStopManager m(2, HardStopPolicy{0.002, 0.001, 0});
  m.set_capacity(2);
  protect(m, 0);
  auto c = m.withhold(0);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.items[0].kind, Kind::kCancel);
  EXPECT_TRUE(m.protected_now(0)) << "it stands until the exchange has cancelled it";
  EXPECT_EQ(m.on_engine_stop(0, Side::kLong, dec("100"), kTick, 5).count, 0);
  m.on_cancelled(0, c.items[0].stop_seq);
  EXPECT_FALSE(m.protected_now(0));
  EXPECT_EQ(m.live_stops(), 0u);
  EXPECT_EQ(m.on_engine_stop(0, Side::kLong, dec("100"), kTick, 5).count, 0) << "still withheld";
  m.grant(0);
  c = m.on_engine_stop(0, Side::kLong, dec("100"), kTick, 6);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.items[0].kind, Kind::kPlace);
  // Withheld while a placement is in flight: confirmed, then cancelled at once.
  m.withhold(0);
  c = m.on_placed(0, c.items[0].stop_seq);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.items[0].kind, Kind::kCancel);
}

TEST(HardStopManager, ALimitRefusalWithholdsANewStopAndDropsAMove) {
  HardStopManager m(2, HardStopPolicy{0.002, 0.001, 0});
  protect(m, 0);
  auto c = m.on_engine_stop(1, Side::kShort, dec("100"), kTick, 0);
  ASSERT_EQ(c.items[0].kind, Kind::kPlace);
  m.on_no_room(1, c.items[0].stop_seq);
  EXPECT_TRUE(m.withheld(1)) << "no retry in a loop: it waits to be granted";
  EXPECT_EQ(m.on_engine_stop(1, Side::kShort, dec("100"), kTick, 1).count, 0);
  c = m.on_engine_stop(0, Side::kLong, dec("101"), kTick, 10);
  ASSERT_EQ(c.items[0].kind, Kind::kPlace);
  EXPECT_EQ(m.live_stops(), 2u);
  m.on_no_room(0, c.items[0].stop_seq);
  EXPECT_FALSE(m.withheld(0)) << "a refused move keeps the old stop";
  EXPECT_TRUE(m.protected_now(0));
  EXPECT_EQ(m.live_stops(), 1u);
}

TEST(HardStopManager, WithACapacityOfOneTheStopCannotMove) {
  HardStopManager m(2, HardStopPolicy{0.002, 0.001, 0});
  m.set_capacity(1);
  EXPECT_EQ(m.protect_limit(), 1u);
  protect(m, 0);
  EXPECT_EQ(m.on_engine_stop(0, Side::kLong, dec("105"), kTick, 10).count, 0)
      << "make-before-break needs a second order: the old stop stands";
  EXPECT_EQ(m.active_trigger(0), dec("99.8"));
}

}  // namespace
}  // namespace exitbrain
