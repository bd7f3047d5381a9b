// The exit engine's fast paths (the quiet band, trailing only at a new best price) must
// decide exactly what evaluating every rule on every update decides. Two engines, one with
// the fast paths and one without, take the same random market: walks with gaps, three
// trigger sources, ATRs that warm up and spike past the volatility threshold, regimes that
// change, positions with ATR and explicit levels on both sides under every shipped profile
// and some bent ones, reductions by the exchange and cross-exchange adjustments. Every
// decision and every position's state must be the same.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/events.hpp"
#include "core/symbol_table.hpp"
#include "strategies/exit_engine.hpp"
#include "strategies/profile.hpp"
#include "tests/support/decimal_text.hpp"
#include "tools/market_data/synthetic_walk.hpp"

namespace exitbrain {
namespace {

using testing::dec;

// The shipped profiles, then variants that switch on what they leave off.
std::vector<Profile> profiles() {
  // Profile i takes ATR spec i % 3, and spec k warms after 100 + 300 k updates: AUTO (4) and
  // TRAIL_WIDER_THAN_WARMUP (7) spend long on their provisional stops.
  std::vector<Profile> out = builtin_profiles();
  Profile p = out[0];
  p.name = "HARVEST_THRICE";
  p.harvest_max = 3;
  p.harvest_trigger = 0.002;
  p.trail_activation = 0.004;
  out.push_back(p);
  p = out[0];
  p.name = "LAST_PRICE_NO_TRAIL";
  p.trigger_source = TriggerSource::kLast;
  p.trailing = false;
  p.time_stop_sec = 900;
  out.push_back(p);
  p = out[0];
  p.name = "TRAIL_WIDER_THAN_WARMUP";  // trailing runs on the provisional stop untouched,
  p.warmup_sl_pct = 0.002;             // which the ATR stop may then loosen
  p.trail_offset = 0.008;
  p.harvest_max = 0;  // a harvest would move it to break-even first
  out.push_back(p);
  p = out[0];
  p.name = "MID_NERVOUS";
  p.trigger_source = TriggerSource::kMid;
  p.volatility_threshold = 0.004;  // the governor acts often
  p.trail_offset = 0.001;
  p.warmup_sl_pct = 0;  // no provisional stop
  out.push_back(p);
  return out;
}

std::string describe(const Decision& d) {
  std::string s = "kind " + std::to_string(static_cast<int>(d.kind)) + " pos " +
                  std::to_string(d.position) + " t " + std::to_string(d.time) + " sl " +
                  to_string(d.sl) + " qty " + to_string(d.qty) + " price " + to_string(d.price) +
                  " remaining " + to_string(d.remaining) + " reason " +
                  std::to_string(static_cast<int>(d.exit_reason)) + "/" +
                  std::to_string(static_cast<int>(d.move_reason)) + " leg " +
                  std::to_string(d.leg) + " seq " + std::to_string(d.exit_seq) + " tp";
  for (std::size_t i = 0; i < d.tp_count; ++i) s += " " + to_string(d.tp[i]);
  return s + (d.provisional ? " provisional" : "") + (d.high_volatility ? " high_vol" : "");
}

struct Tally {
  std::map<ExitReason, int> exits;
  std::map<StopMoveReason, int> moves;
  std::uint64_t quiet = 0;
};

class Twins {
 public:
  explicit Twins(const SymbolTable& symbols) {
    const std::vector<Profile> ps = profiles();
    std::vector<std::uint8_t> spec(ps.size());
    for (std::size_t i = 0; i < ps.size(); ++i) spec[i] = static_cast<std::uint8_t>(i % 3);
    fast_ = std::make_unique<ExitEngine>(ps, spec, symbols, 512);
    reference_ = std::make_unique<ExitEngine>(ps, spec, symbols, 512);
    reference_->set_fast_paths(false);
  }
  std::size_t profile_count() const { return profiles().size(); }

  void add(const NewPosition& np) {
    const auto a = fast_->add_position(np, [this](const Decision& d) { fast_out_.push_back(d); });
    const auto b =
        reference_->add_position(np, [this](const Decision& d) { ref_out_.push_back(d); });
    ASSERT_EQ(a.has_value(), b.has_value());
    compare("add");
  }
  void price(const PriceState& st) {
    fast_->on_price(st, [this](const Decision& d) { fast_out_.push_back(d); });
    reference_->on_price(st, [this](const Decision& d) { ref_out_.push_back(d); });
    compare("update at " + std::to_string(st.event_time));
  }
  void sync(std::uint32_t index, Qty amount) {
    ASSERT_EQ(fast_->sync_with_exchange(index, amount),
              reference_->sync_with_exchange(index, amount));
  }
  void adjust(const LevelAdjustments& a) {
    fast_->set_level_adjustments(a);
    reference_->set_level_adjustments(a);
  }
  const ExitEngine& fast() const { return *fast_; }
  // The decisions of the last call, as both engines took them.
  const std::vector<Decision>& last() const { return last_; }

  // Every position the same, field by field.
  void compare_positions() const {
    ASSERT_EQ(fast_->position_count(), reference_->position_count());
    for (std::uint32_t i = 0; i < fast_->position_count(); ++i) {
      const PositionState& a = fast_->position(i);
      const PositionState& b = reference_->position(i);
      EXPECT_EQ(a.sl, b.sl) << i;
      EXPECT_EQ(a.stop_kind, b.stop_kind) << i;
      EXPECT_EQ(a.remaining, b.remaining) << i;
      EXPECT_EQ(a.closed, b.closed) << i;
      EXPECT_EQ(a.legs_taken, b.legs_taken) << i;
      EXPECT_EQ(a.harvests_done, b.harvests_done) << i;
      EXPECT_EQ(a.levels, b.levels) << i;
      EXPECT_EQ(a.profile, b.profile) << i;
      EXPECT_EQ(a.exits, b.exits) << i;
    }
  }
  Tally tally;

 private:
  void compare(const std::string& where) {
    ASSERT_EQ(fast_out_.size(), ref_out_.size()) << where;
    for (std::size_t i = 0; i < fast_out_.size(); ++i) {
      const Decision& d = ref_out_[i];
      ASSERT_EQ(describe(fast_out_[i]), describe(d)) << where;
      ASSERT_EQ(fast_out_[i].symbol, d.symbol) << where;
      ASSERT_EQ(fast_out_[i].side, d.side) << where;
      ASSERT_EQ(fast_out_[i].entry, d.entry) << where;
      if (d.kind == DecisionKind::kExit) ++tally.exits[d.exit_reason];
      if (d.kind == DecisionKind::kStopMoved) ++tally.moves[d.move_reason];
    }
    last_ = fast_out_;
    fast_out_.clear();
    ref_out_.clear();
  }
  std::unique_ptr<ExitEngine> fast_, reference_;
  std::vector<Decision> fast_out_, ref_out_, last_;
};

void run_market(std::uint64_t seed, Tally& total) {
  SymbolTable symbols;
  const SymbolId a = *symbols.intern("AAAUSDT"), b = *symbols.intern("BBBUSDT");
  symbols.filters(a).tick_size = dec("0.01");
  symbols.filters(a).step_size = dec("0.001");
  symbols.filters(b).tick_size = dec("0.1");
  symbols.filters(b).step_size = dec("1");
  Twins twins(symbols);
  SplitMix64 rng(seed);
  const auto pick = [&](std::uint64_t n) { return static_cast<std::uint64_t>(rng.next() % n); };
  std::int64_t px[2] = {100 * Decimal::kOne, 2500 * Decimal::kOne};
  const Price ticks[2] = {dec("0.01"), dec("0.1")};
  const SymbolId ids[2] = {a, b};
  for (int step = 0; step < 6000; ++step) {
    const TimeMs t = 1'000'000 + step * 2'000LL;
    const int s = static_cast<int>(pick(2));
    // A walk in ticks with now and then a gap of a few per cent.
    std::int64_t move = static_cast<std::int64_t>(rng.normal() * 8.0) * ticks[s].units();
    if (pick(200) == 0)
      move = static_cast<std::int64_t>(static_cast<double>(px[s]) * (rng.uniform() - 0.5) * 0.08);
    px[s] = std::max<std::int64_t>(px[s] + move, 50 * ticks[s].units());
    px[s] -= px[s] % ticks[s].units();

    // New positions near the market: ATR levels mostly, explicit ones now and then.
    if (pick(40) == 0) {
      NewPosition np;
      np.symbol = ids[s];
      np.side = pick(2) ? Side::kShort : Side::kLong;
      np.qty = s == 0 ? dec("3.5") : Decimal::from_int(7);
      np.entry = Decimal::from_units(px[s]);
      np.opened_at = t - static_cast<TimeMs>(pick(3) * 1000);  // may predate this update
      np.profile = static_cast<std::uint16_t>(pick(twins.profile_count()));
      if (pick(4) == 0) {
        const int sign = side_sign(np.side);
        const std::int64_t r = px[s] / 100;
        np.sl = Decimal::from_units(px[s] - sign * (r - r % ticks[s].units()));
        np.tp_count = static_cast<std::uint8_t>(pick(3));
        for (std::uint8_t k = 0; k < np.tp_count; ++k) {
          const std::int64_t d = (k + 1) * r;
          np.tp[k] = Decimal::from_units(px[s] + sign * (d - d % ticks[s].units()));
        }
      }
      twins.add(np);
      if (::testing::Test::HasFatalFailure()) return;
    }
    if (pick(300) == 0) {
      const auto n = static_cast<std::uint32_t>(twins.fast().position_count());
      if (n > 0) {
        const std::uint32_t i = static_cast<std::uint32_t>(pick(n));
        const Qty rem = twins.fast().position(i).remaining;
        twins.sync(i, pick(3) == 0 ? Qty{} : Decimal::from_units(rem.units() / 2));
      }
    }
    if (pick(500) == 0) {
      LevelAdjustments adj;
      adj.active = pick(2) == 0;
      adj.atr_multiplier = 0.5 + rng.uniform();
      adj.sl_multiplier = 0.5 + rng.uniform();
      adj.tp_multiplier = 0.5 + rng.uniform();
      adj.use_trailing = pick(3) != 0;
      twins.adjust(adj);
    }

    PriceState st;
    st.symbol = ids[s];
    st.event_time = t;
    st.updated = static_cast<std::uint8_t>(1 + pick(7));  // some of mark, last, mid
    const Price p = Decimal::from_units(px[s]);
    st.mark = p;
    st.last = p + Decimal::from_units(static_cast<std::int64_t>(pick(3)) * ticks[s].units());
    st.mid = p - Decimal::from_units(static_cast<std::int64_t>(pick(3)) * ticks[s].units());
    // The specs warm one after the other; all spike past the governor's threshold at times.
    const double base = static_cast<double>(px[s]) / Decimal::kOne;
    for (std::size_t k = 0; k < 3; ++k) {
      const bool warm = step > static_cast<int>(100 + 300 * k);
      if (warm) st.atr_ready = static_cast<std::uint8_t>(st.atr_ready | (1u << k));
      const bool spike = (step / 250) % 5 == 4;
      st.atr[k] = base * (spike ? 0.03 : 0.002 + 0.002 * rng.uniform());
    }
    st.regime = static_cast<Regime>(pick(4));
    twins.price(st);
    if (::testing::Test::HasFatalFailure()) return;
  }
  twins.compare_positions();
  for (const auto& [k, v] : twins.tally.exits) total.exits[k] += v;
  for (const auto& [k, v] : twins.tally.moves) total.moves[k] += v;
  total.quiet += twins.fast().quiet_updates();
}

TEST(ExitEngineFastPaths, DecideExactlyWhatEveryRuleOnEveryUpdateDecides) {
  Tally total;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    run_market(seed, total);
    if (HasFatalFailure()) return;
  }
  // The markets reached every rule, and the band answered most updates on its own.
  for (ExitReason r : {ExitReason::kStopLoss, ExitReason::kTrailingStop, ExitReason::kBreakEven,
                       ExitReason::kTakeProfit, ExitReason::kHarvest, ExitReason::kTimeStop})
    EXPECT_GT(total.exits[r], 5) << to_string(r);
  for (StopMoveReason r :
       {StopMoveReason::kBreakEven, StopMoveReason::kTrailing, StopMoveReason::kHighVolatility})
    EXPECT_GT(total.moves[r], 5) << to_string(r);
  EXPECT_GT(total.quiet, 10'000u);
}

// Trailing computes its candidate only at a new best price, which holds while the stop has
// not loosened since. Each way a stop loosens, or the trailing rule changes, starts the best
// price again; scripted here, each on a path where keeping the old best would decide
// differently.
class Scripted : public ::testing::Test {
 protected:
  Scripted() : twins_(make_symbols()) {}
  static const SymbolTable& make_symbols() {
    static SymbolTable symbols;
    if (symbols.size() == 0) {
      const SymbolId a = *symbols.intern("AAAUSDT");
      symbols.filters(a).tick_size = dec("0.01");
      symbols.filters(a).step_size = dec("0.001");
    }
    return symbols;
  }
  std::uint16_t profile(const std::string& name) const {
    const auto all = profiles();
    for (std::size_t i = 0; i < all.size(); ++i)
      if (all[i].name == name) return static_cast<std::uint16_t>(i);
    ADD_FAILURE() << name;
    return 0;
  }
  void open_long(const std::string& profile_name) {
    NewPosition np;
    np.symbol = 0;
    np.side = Side::kLong;
    np.qty = dec("10");
    np.entry = dec("100");
    np.profile = profile(profile_name);
    twins_.add(np);
  }
  // Every trigger source at `price`; every ATR spec warm at `atr` (0: none warm yet).
  void update(const char* price, double atr, Regime regime = Regime::kUnknown) {
    PriceState st;
    st.symbol = 0;
    st.event_time = t_ += 1000;
    st.updated = 7;
    st.mark = st.last = st.mid = dec(price);
    if (atr > 0) {
      st.atr = {atr, atr, atr, atr};
      st.atr_ready = 0xF;
    }
    st.regime = regime;
    twins_.price(st);
  }
  bool moved(StopMoveReason why) const {
    for (const Decision& d : twins_.last())
      if (d.kind == DecisionKind::kStopMoved && d.move_reason == why) return true;
    return false;
  }
  Twins twins_;
  TimeMs t_ = 0;
};

TEST_F(Scripted, TheAtrStopLooseningAProvisionalStopStartsTrailingAgain) {
  open_long("TRAIL_WIDER_THAN_WARMUP");
  update("100", 0);    // provisional stop 99.80
  update("100.5", 0);  // candidate 99.69: not tighter; best 100.5
  EXPECT_FALSE(moved(StopMoveReason::kTrailing));
  update("100.45", 0.5);  // the ATR stop 99.45 loosens it; candidate 99.64 now is tighter
  EXPECT_TRUE(moved(StopMoveReason::kTrailing));
  EXPECT_EQ(twins_.fast().position(0).sl, dec("99.64"));
}

TEST_F(Scripted, TheGovernorWideningTheStopStartsTrailingAgain) {
  open_long("TRAIL_WIDER_THAN_WARMUP");
  update("100", 0.2);    // stop 99.78
  update("100.5", 0.2);  // candidate 99.69: not tighter; best 100.5
  EXPECT_FALSE(moved(StopMoveReason::kTrailing));
  update("100.4", 2.5);  // 2.5 % of entry: widened to 96.25; candidate 99.59 is tighter
  EXPECT_TRUE(moved(StopMoveReason::kHighVolatility));
  EXPECT_TRUE(moved(StopMoveReason::kTrailing));
  EXPECT_EQ(twins_.fast().position(0).sl, dec("99.59"));
}

TEST_F(Scripted, AProfileChosenByRegimeStartsTrailingWhereItSays) {
  open_long("AUTO");
  // TRENDING is chosen as the levels are set: its trailing starts beyond +0.3 %, so at
  // +0.2 % nothing trails (AUTO's own trailing would have started at entry).
  update("100.2", 1.0, Regime::kTrending);
  EXPECT_EQ(twins_.fast().position(0).profile, profile("TRENDING"));
  EXPECT_FALSE(moved(StopMoveReason::kTrailing));
  update("100.35", 1.0, Regime::kTrending);  // candidate 99.74
  EXPECT_TRUE(moved(StopMoveReason::kTrailing));
}

}  // namespace
}  // namespace exitbrain
