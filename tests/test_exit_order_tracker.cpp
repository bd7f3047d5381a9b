#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "strategies/exit_order_tracker.hpp"
#include "tests/support/decimal_text.hpp"
#include "tools/market_data/synthetic_walk.hpp"

namespace exitbrain {
namespace {

using testing::dec;
using Kind = TrackerCommandKind;

TEST(ExitOrderTracker, OneOrderInFlightLaterDecisionsJoinTheNext) {
  ExitOrderTracker t(4);
  auto c = t.on_exit(0, dec("4"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, Kind::kSend);
  EXPECT_EQ(c->order_seq, 1u);
  EXPECT_EQ(c->qty, dec("4"));
  EXPECT_FALSE(t.on_exit(0, dec("3"))) << "one exit in flight per position";
  EXPECT_FALSE(t.on_exit(0, dec("3")));
  EXPECT_EQ(t.waiting(0), dec("6"));
  c = t.on_final(0, 1, dec("4"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->order_seq, 2u);
  EXPECT_EQ(c->qty, dec("6")) << "waiting decisions go out as one order";
  EXPECT_FALSE(t.on_final(0, 2, dec("6")));
  EXPECT_EQ(t.executed(0), dec("10"));
  EXPECT_FALSE(t.in_flight(0));
  ASSERT_TRUE(t.on_exit(1, dec("1"))) << "positions are independent";
}

TEST(ExitOrderTracker, UnknownOutcomeIsLookedUpNeverResentBlindly) {
  ExitOrderTracker t(1);
  t.on_exit(0, dec("5"));
  auto c = t.on_error(0, 1, ErrorAction::kUnknownOutcome);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, Kind::kLookup);
  EXPECT_EQ(c->order_seq, 1u);
  c = t.on_lookup(0, 1, LookupStatus::kOpen, Qty{});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, Kind::kLookup);
  EXPECT_TRUE(c->after_backoff);
  c = t.on_lookup(0, 1, LookupStatus::kNotFound, Qty{});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, Kind::kSend);
  EXPECT_EQ(c->order_seq, 1u)
      << "the same client id: a late first attempt is refused as a duplicate";
  EXPECT_EQ(c->qty, dec("5"));
  EXPECT_FALSE(t.on_final(0, 1, dec("5")));
  EXPECT_EQ(t.executed(0), dec("5"));
}

TEST(ExitOrderTracker, UnknownOutcomeThatHadExecutedIsNotSentAgain) {
  ExitOrderTracker t(1);
  t.on_exit(0, dec("5"));
  t.on_exit(0, dec("2"));
  ASSERT_EQ(t.on_error(0, 1, ErrorAction::kAlreadyAccepted)->kind, Kind::kLookup);
  auto c = t.on_lookup(0, 1, LookupStatus::kFinal, dec("5"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->order_seq, 2u);
  EXPECT_EQ(c->qty, dec("2")) << "only what waited goes out";
}

TEST(ExitOrderTracker, DefiniteRefusalsRetryTheSameOrderAfterBackoff) {
  for (ErrorAction a : {ErrorAction::kRetryBackoff, ErrorAction::kRateLimited,
                        ErrorAction::kResyncClock, ErrorAction::kBanned}) {
    ExitOrderTracker t(1);
    t.on_exit(0, dec("5"));
    auto c = t.on_error(0, 1, a);
    ASSERT_TRUE(c) << to_string(a);
    EXPECT_EQ(c->kind, Kind::kSend);
    EXPECT_EQ(c->order_seq, 1u);
    EXPECT_TRUE(c->after_backoff);
  }
}

TEST(ExitOrderTracker, LastingRefusalsAlertAndTheQuantityJoinsTheNextExit) {
  ExitOrderTracker t(1);
  t.on_exit(0, dec("5"));
  auto c = t.on_error(0, 1, ErrorAction::kOurBug);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, Kind::kAlert);
  EXPECT_FALSE(t.in_flight(0));
  c = t.on_exit(0, dec("2"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->order_seq, 2u);
  EXPECT_EQ(c->qty, dec("7"));
}

TEST(ExitOrderTracker, NothingToReduceDropsWhatWaitsAndAlerts) {
  ExitOrderTracker t(1);
  t.on_exit(0, dec("5"));
  t.on_exit(0, dec("1"));
  auto c = t.on_error(0, 1, ErrorAction::kNothingToReduce);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, Kind::kAlert);
  EXPECT_EQ(t.waiting(0), Qty{});
  EXPECT_FALSE(t.in_flight(0));
}

TEST(ExitOrderTracker, PartialFillPutsTheRestBackInLine) {
  ExitOrderTracker t(1);
  t.on_exit(0, dec("5"));
  auto c = t.on_final(0, 1, dec("3"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->order_seq, 2u) << "a new order, a new client id";
  EXPECT_EQ(c->qty, dec("2"));
}

TEST(ExitOrderTracker, AnswersAboutOtherOrdersAreIgnored) {
  ExitOrderTracker t(1);
  t.on_exit(0, dec("5"));
  t.on_final(0, 1, dec("5"));
  t.on_exit(0, dec("1"));
  EXPECT_FALSE(t.on_final(0, 1, dec("5"))) << "a late duplicate answer for order 1";
  EXPECT_FALSE(t.on_error(0, 7, ErrorAction::kUnknownOutcome));
  EXPECT_EQ(t.stale_answers(), 2u);
  EXPECT_EQ(t.executed(0), dec("5"));
  EXPECT_TRUE(t.in_flight(0));
}

// An adversarial exchange: it executes every order it receives, even a repeated client id.
// Answers get lost, outcomes come back unknown, orders fill partly or are throttled.
// Whatever happens, executed never exceeds decided, and in the end equals it.
TEST(ExitOrderTracker, NeverExecutesMoreThanDecidedWhateverTheExchangeDoes) {
  constexpr std::uint32_t kPositions = 8;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    SplitMix64 rng(seed);
    ExitOrderTracker t(kPositions);
    std::map<std::uint32_t, std::int64_t> decided, exchange_executed;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::int64_t> executed_by_id;
    std::deque<TrackerCommand> work;
    auto push = [&](std::optional<TrackerCommand> c) {
      if (c) work.push_back(*c);
    };
    int decisions_left = 60;
    while (decisions_left > 0 || !work.empty()) {
      if (decisions_left > 0 && (work.empty() || rng.uniform() < 0.3)) {
        const auto p = static_cast<std::uint32_t>(rng.next() % kPositions);
        const std::int64_t q = 1 + static_cast<std::int64_t>(rng.next() % 9);
        decided[p] += q;
        --decisions_left;
        push(t.on_exit(p, Decimal::from_int(q)));
        continue;
      }
      // Answer a random outstanding command (answers arrive out of order across positions).
      const std::size_t i = rng.next() % work.size();
      const TrackerCommand c = work[i];
      work.erase(work.begin() + static_cast<std::ptrdiff_t>(i));
      const auto id = std::make_pair(c.position, c.order_seq);
      const double u = rng.uniform();
      if (c.kind == Kind::kSend) {
        if (u < 0.15) {  // lost on the way: never received, answer is a timeout
          push(t.on_error(c.position, c.order_seq, ErrorAction::kUnknownOutcome));
        } else if (u < 0.30) {  // throttled: definitely not executed
          push(t.on_error(c.position, c.order_seq, ErrorAction::kRetryBackoff));
        } else {
          // Received and executed, fully or in part; the answer itself may be lost.
          const std::int64_t q = c.qty.units() / Decimal::kOne;
          const std::int64_t filled = u < 0.45 ? q / 2 : q;
          exchange_executed[c.position] += filled;
          executed_by_id[id] += filled;
          if (rng.uniform() < 0.3)
            push(t.on_error(c.position, c.order_seq, ErrorAction::kUnknownOutcome));
          else
            push(t.on_final(c.position, c.order_seq, Decimal::from_int(filled)));
        }
      } else if (c.kind == Kind::kLookup) {
        if (u < 0.1) {
          push(t.on_lookup(c.position, c.order_seq, LookupStatus::kOpen, Qty{}));
        } else if (auto it = executed_by_id.find(id); it == executed_by_id.end()) {
          push(t.on_lookup(c.position, c.order_seq, LookupStatus::kNotFound, Qty{}));
        } else {
          push(t.on_lookup(c.position, c.order_seq, LookupStatus::kFinal,
                           Decimal::from_int(it->second)));
        }
      }
      for (std::uint32_t p = 0; p < kPositions; ++p)
        ASSERT_LE(exchange_executed[p], decided[p])
            << "seed " << seed << " position " << p << " over-executed";
    }
    for (std::uint32_t p = 0; p < kPositions; ++p) {
      EXPECT_EQ(exchange_executed[p], decided[p]) << "seed " << seed << " position " << p;
      EXPECT_EQ(t.executed(p), Decimal::from_int(decided[p])) << "seed " << seed;
      EXPECT_FALSE(t.in_flight(p));
    }
  }
}

}  // namespace
}  // namespace exitbrain
