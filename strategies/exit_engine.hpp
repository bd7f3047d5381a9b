#pragma once
// The decision stage: the exit policy of DESIGN.md §3, one owner for every position.
// Pure: it reads PriceState and emits Decisions into a sink; it never does I/O. Replay,
// backtest, tests, benchmarks and the live thread all run this same object.
//
// Semantics, on each update of a position's trigger price p at event time t:
//   0. Levels: set once the ATR of the profile is ready (at once for an explicit `sl`);
//      until then a provisional stop `warmup_sl_pct` from entry (if enabled). A `by_regime`
//      profile hands the position to the profile named after the regime at that moment.
//   1. Stop breached (LONG p <= sl, SHORT p >= sl): exit all that remains. Reason from
//      what last placed the stop: stop_loss (initial), break_even, trailing_stop.
//      Nothing else runs for this update.
//   2. Each TP leg not yet taken whose price is reached: exit that leg's fraction of the
//      original size, floored to the step; the last leg takes what remains.
//   3. Harvest n (n = 1..harvest_max) at n x harvest_trigger unrealised profit: exit
//      harvest_fraction of what remains, move the stop to break-even if that is tighter.
//   4. Volatility governor: while ATR/entry > volatility_threshold, an untouched ATR stop
//      is widened to high_vol_atr_multiplier x ATR (never one already moved toward profit).
//      ATR is measured against the entry, not the moving price: a position's mode then
//      does not flip with every tick, and a SHORT stays the exact mirror of a LONG.
//      Trailing: once profit > trail_activation, candidate p x (1 -/+ trail_offset),
//      rounded away from p to the tick, kept only if tighter.
//   5. Time stop: t - opened_at >= time_stop_sec: exit all that remains.
// Quantities are decided against `remaining`, which falls the moment an exit is decided,
// so a later update can never exit the same quantity twice.
//
// Cost: most updates change nothing. Once a position's levels are set it keeps the band of
// prices in which no price rule can act (above the stop and below the nearest untaken leg,
// the next harvest and the best price trailing has seen: the mirror for a SHORT); an update
// inside it checks only the volatility governor and the time stop. Trailing computes its
// candidate only at a new best price: a price no better gives a candidate no tighter (the
// rounding is monotonic), and the stop has not loosened since the best price (the governor,
// new levels or a new profile start the best price again). set_fast_paths(false) evaluates
// every rule on every update: the reference the tests compare the fast paths with.
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/byte_codec.hpp"
#include "core/events.hpp"
#include "core/symbol_table.hpp"
#include "strategies/profile.hpp"

namespace exitbrain {

// Cross-exchange adjustments (seed 003, strategies/cross_exchange.hpp) for the ATR levels
// set from now on. Inactive (local mode) leaves every level exactly as without them, so
// replay and backtest, which have no cross-exchange data, decide as before. Active:
//   stop distance = ATR x multiplier x atr_multiplier x sl_multiplier, at least 0.15 %
//   TP distances  = R-multiples of (ATR x multiplier x atr_multiplier) x tp_multiplier,
//                   at least 0.3 %
//   trailing      = only while use_trailing (volatility below 3)
// A position keeps the adjustments of the moment its levels were set.
struct LevelAdjustments {
  bool active = false;
  double atr_multiplier = 1.0;
  double tp_multiplier = 1.0;
  double sl_multiplier = 1.0;
  bool use_trailing = true;
};

struct NewPosition {
  SymbolId symbol = kNoSymbol;
  Side side = Side::kLong;
  Qty qty{};
  Price entry{};
  TimeMs opened_at = 0;
  std::uint16_t profile = 0;
  std::optional<Price> sl;             // explicit stop: levels are set at once
  std::array<Price, kMaxTpLegs> tp{};  // explicit TP prices (legs), tp_count of them
  std::uint8_t tp_count = 0;
};

// What placed the current stop; decides the exit reason when it is hit.
enum class StopKind : std::uint8_t { kInitial, kBreakEven, kTrailing };

enum class LevelState : std::uint8_t { kNone, kProvisional, kSet };

struct PositionState {
  SymbolId symbol = kNoSymbol;
  Side side = Side::kLong;
  std::uint16_t profile = 0;
  Qty original_qty{};
  Qty remaining{};
  Price entry{};
  TimeMs opened_at = 0;
  LevelState levels = LevelState::kNone;
  bool explicit_sl = false;
  bool explicit_tp = false;
  bool closed = false;
  StopKind stop_kind = StopKind::kInitial;
  Price sl{};
  Price break_even{};            // entry on the tick grid, rounded toward profit
  double r = 0.0;                // |entry - initial stop| the TP ladder is measured in
  double tp_unit = 0.0;          // what the ladder's R-multiples multiply (r unless adjusted)
  bool trailing_allowed = true;  // cross-exchange: false while volatility is extreme
  std::array<Price, kMaxTpLegs> tp{};
  std::array<double, kMaxTpLegs> tp_fraction{};
  std::uint8_t tp_count = 0;
  std::uint8_t legs_taken = 0;  // bit per leg
  std::uint8_t harvests_done = 0;
  // Profit thresholds as exact prices, so "at +0.4 %" compares decimals, not doubles.
  Price next_harvest_at{};  // the next harvest fires once p reaches it
  Price trail_from{};       // trailing runs while p is beyond it
  Price trail_best{};       // the best p a trailing candidate came from (trail_from: none)
  // The quiet band (set with the levels): no price rule acts while quiet_lo < p < quiet_hi,
  // the time stop not before quiet_until, and the governor only if quiet_governor. With
  // the profile's trigger source, so an update in the band reads no profile.
  bool quiet = false;
  bool quiet_governor = false;
  TriggerSource quiet_source = TriggerSource::kMark;
  Price quiet_lo{}, quiet_hi{};
  TimeMs quiet_until = 0;
  std::uint32_t exits = 0;  // exit decisions so far: the next exit's sequence number - 1
};

// What a position update from the exchange changed (see ExitEngine::sync_with_exchange).
enum class ExternalChange : std::uint8_t { kNone, kReduced, kClosed };

struct AddError {
  const char* field;
  std::string reason;
};

class ExitEngine {
 public:
  // `profiles` are validated; each profile's ATR is `atr_spec_of_profile[i]` in PriceState.
  // Tick and step sizes are read from `symbols` (which must outlive the engine) when a
  // level is computed, so a replay may learn them before a position is added.
  ExitEngine(std::vector<Profile> profiles, std::vector<std::uint8_t> atr_spec_of_profile,
             const SymbolTable& symbols, std::size_t max_positions);

  // Takes ownership of a new position. Explicit levels are emitted at once through `sink`.
  // Errors name the field; nothing is added on error.
  template <class Sink>
  std::optional<AddError> add_position(const NewPosition& np, Sink&& sink);

  // One update of a symbol: evaluates every open position on that symbol whose trigger
  // price this update refreshed. Cost grows with positions on this symbol only.
  template <class Sink>
  void on_price(const PriceState& st, Sink&& sink) noexcept;

  // False: every rule on every update (see the cost note above). Decisions are the same.
  void set_fast_paths(bool on) noexcept { fast_paths_ = on; }
  // Position updates answered by the quiet band alone.
  std::uint64_t quiet_updates() const noexcept { return quiet_updates_; }

  // For levels set from now on (see LevelAdjustments).
  void set_level_adjustments(const LevelAdjustments& a) noexcept { adjustments_ = a; }
  const LevelAdjustments& level_adjustments() const noexcept { return adjustments_; }

  // The open position of `side` on `s`, if any (one per symbol and side, as on the exchange).
  std::optional<std::uint32_t> find_open(SymbolId s, Side side) const noexcept;
  // The exchange reports `exchange_amount` (absolute) for this position: a reduction by
  // someone else (a manual close, the exchange-side hard stop, a liquidation) lowers
  // `remaining`, and zero closes the position, so the engine never exits what is gone.
  ExternalChange sync_with_exchange(std::uint32_t index, Qty exchange_amount) noexcept;

  // Exits what is left of open position `index` now at `p` (a reference price: the order
  // is a reduce-only MARKET), reason kFlatten. Nothing for a closed position.
  template <class Sink>
  void flatten(std::uint32_t index, Price p, TimeMs t, Sink&& sink) noexcept {
    if (index >= positions_.size() || positions_[index].closed) return;
    if (!positions_[index].remaining.is_positive()) return;
    exit(index, ExitReason::kFlatten, -1, positions_[index].remaining, p, t, PriceState{}, sink);
  }

  const PositionState& position(std::uint32_t i) const noexcept { return positions_[i]; }
  std::size_t position_count() const noexcept { return positions_.size(); }
  std::size_t position_capacity() const noexcept { return positions_.capacity(); }
  // Grows the position table. Allocates: call it between events, never while deciding.
  void reserve_positions(std::size_t n) { positions_.reserve(n); }
  const Profile& profile(std::uint16_t i) const noexcept { return profiles_[i]; }

  // The engine's whole state (every position, open or closed, and the adjustments), for
  // the state journal's snapshots (strategies/exit_engine_state.cpp). Every field is
  // written on its own, bit for bit, so two engines in the same state save the same bytes.
  void save(ByteWriter& w) const;
  // Replaces the state with a saved one (same profiles and symbols). On error (a field
  // out of range, a short buffer) it names the field and leaves the engine unchanged.
  std::optional<std::string> load(ByteReader& r);
  std::uint32_t open_positions() const noexcept { return open_count_; }
  std::size_t open_positions(SymbolId s) const noexcept {
    return s < open_by_symbol_.size() ? open_by_symbol_[s].size() : 0;
  }

 private:
  std::optional<AddError> check(const NewPosition& np) const;
  std::uint32_t insert(const NewPosition& np);

  template <class Sink>
  void evaluate(std::uint32_t index, const PriceState& st, Sink& sink) noexcept;
  template <class Sink>
  void apply_rules(std::uint32_t index, const Profile& pf, Price p, bool atr_ready, double atr,
                   const PriceState& st, Sink& sink) noexcept;
  void set_quiet_band(PositionState& pos, const Profile& pf) const noexcept;
  // Rule 4's volatility governor may widen the stop on this update.
  static bool governor_applies(const PositionState& pos, const Profile& pf, bool atr_ready,
                               double atr) noexcept {
    return pos.levels == LevelState::kSet && pos.stop_kind == StopKind::kInitial &&
           !pos.explicit_sl && atr_ready && atr / pos.entry.to_double() > pf.volatility_threshold;
  }
  bool governor_applies(const PositionState& pos, const Profile& pf,
                        const PriceState& st) const noexcept {
    const std::uint8_t spec = atr_spec_[pos.profile];
    return governor_applies(pos, pf, (st.atr_ready >> spec) & 1u, st.atr[spec]);
  }
  static bool time_stop_due(const PositionState& pos, const Profile& pf, TimeMs t) noexcept {
    return pf.time_stop_sec > 0 && t - pos.opened_at >= pf.time_stop_sec * 1000;
  }
  // The stop may be looser than the best price's candidate from now on.
  static void restart_trailing(PositionState& pos) noexcept { pos.trail_best = pos.trail_from; }
  // A decision about position `index` with the fields every kind carries.
  Decision decision(DecisionKind kind, std::uint32_t index, TimeMs t) const noexcept;
  template <class Sink>
  void emit_levels(std::uint32_t index, TimeMs t, bool high_vol, Sink& sink) noexcept;
  template <class Sink>
  void move_stop(std::uint32_t index, Price sl, StopKind kind, StopMoveReason why, Price p,
                 TimeMs t, Sink& sink) noexcept;
  template <class Sink>
  void exit(std::uint32_t index, ExitReason why, int leg, Qty qty, Price p, TimeMs t,
            const PriceState& st, Sink& sink) noexcept;

  void set_ladder(PositionState& pos) noexcept;
  void set_explicit_levels(PositionState& pos, const NewPosition& np) noexcept;
  bool set_atr_levels(PositionState& pos, double atr) noexcept;  // returns high-vol
  void set_provisional_stop(PositionState& pos) noexcept;
  void close(std::uint32_t index) noexcept;

  // Grid rounding of a computed level. `away_from_entry`: LONG stops floor, LONG targets
  // ceil, and the mirror for SHORT, so a SHORT is the exact reflection of a LONG.
  Price stop_price(const PositionState& pos, double v) const noexcept;
  Price target_price(const PositionState& pos, double v) const noexcept;
  bool stop_hit(const PositionState& pos, Price p) const noexcept {
    return pos.side == Side::kLong ? p <= pos.sl : p >= pos.sl;
  }
  // Is stop `a` closer to profit than stop `b`?
  static bool is_tighter(const PositionState& pos, Price a, Price b) noexcept {
    return pos.side == Side::kLong ? a > b : a < b;
  }
  static bool tighter(const PositionState& pos, Price candidate) noexcept {
    return is_tighter(pos, candidate, pos.sl);
  }
  // The price at which the position shows `fraction` unrealised profit (1e-8 grid).
  static Price profit_price(const PositionState& pos, double fraction) noexcept {
    const double v = pos.entry.to_double() * (1.0 + side_sign(pos.side) * fraction);
    return Decimal::from_double(v).value_or(pos.entry);
  }

  void pick_profile_by_regime(PositionState& pos, const PriceState& st) noexcept;

  std::vector<Profile> profiles_;
  std::vector<std::uint8_t> atr_spec_;
  std::array<int, 4> profile_of_regime_{-1, -1, -1, -1};  // by Regime; -1: keep the own
  const SymbolTable* symbols_;
  std::vector<PositionState> positions_;
  std::vector<std::vector<std::uint32_t>> open_by_symbol_;
  LevelAdjustments adjustments_{};
  bool fast_paths_ = true;
  std::uint64_t quiet_updates_ = 0;
  std::uint32_t open_count_ = 0;
};

// ---- templates -------------------------------------------------------------------------

template <class Sink>
std::optional<AddError> ExitEngine::add_position(const NewPosition& np, Sink&& sink) {
  if (auto err = check(np)) return err;
  const std::uint32_t index = insert(np);
  PositionState& pos = positions_[index];
  if (np.sl) {
    set_explicit_levels(pos, np);
    emit_levels(index, np.opened_at, false, sink);
  }
  return std::nullopt;
}

template <class Sink>
void ExitEngine::on_price(const PriceState& st, Sink&& sink) noexcept {
  if (st.symbol >= open_by_symbol_.size()) return;
  auto& open = open_by_symbol_[st.symbol];
  // Positions close during the loop (stable erase), so walk by index with care.
  for (std::size_t i = 0; i < open.size();) {
    const std::uint32_t index = open[i];
    evaluate(index, st, sink);
    if (!positions_[index].closed) ++i;
  }
}

template <class Sink>
void ExitEngine::evaluate(std::uint32_t index, const PriceState& st, Sink& sink) noexcept {
  PositionState& pos = positions_[index];
  if (fast_paths_ && pos.quiet) {
    const TimeMs t = st.event_time;
    if (!st.has(pos.quiet_source) || t < pos.opened_at) return;  // as below
    const Price p = st.price(pos.quiet_source);
    if (pos.quiet_lo < p && p < pos.quiet_hi && t < pos.quiet_until &&
        !(pos.quiet_governor && governor_applies(pos, profiles_[pos.profile], st))) {
      ++quiet_updates_;
      return;
    }
  }
  if (pos.levels != LevelState::kSet && profiles_[pos.profile].by_regime)
    pick_profile_by_regime(pos, st);
  const Profile& pf = profiles_[pos.profile];
  if (!st.has(pf.trigger_source) || st.event_time < pos.opened_at) return;
  const Price p = st.price(pf.trigger_source);
  if (!p.is_positive()) return;
  const std::uint8_t spec = atr_spec_[pos.profile];
  const bool atr_ready = (st.atr_ready >> spec) & 1u;
  const double atr = st.atr[spec];
  apply_rules(index, pf, p, atr_ready, atr, st, sink);
  if (!pos.closed) set_quiet_band(pos, pf);
}

template <class Sink>
void ExitEngine::apply_rules(std::uint32_t index, const Profile& pf, Price p, bool atr_ready,
                             double atr, const PriceState& st, Sink& sink) noexcept {
  PositionState& pos = positions_[index];
  const TimeMs t = st.event_time;
  // 0. Levels.
  if (pos.levels != LevelState::kSet) {
    if (atr_ready && atr > 0) {
      const bool high_vol = set_atr_levels(pos, atr);
      emit_levels(index, t, high_vol, sink);
    } else if (pos.levels == LevelState::kNone && pf.warmup_sl_pct > 0) {
      set_provisional_stop(pos);
      emit_levels(index, t, false, sink);
    }
  }

  if (pos.levels != LevelState::kNone) {
    // 1. Stop.
    if (stop_hit(pos, p)) {
      const ExitReason why = pos.stop_kind == StopKind::kTrailing    ? ExitReason::kTrailingStop
                             : pos.stop_kind == StopKind::kBreakEven ? ExitReason::kBreakEven
                                                                     : ExitReason::kStopLoss;
      exit(index, why, -1, pos.remaining, p, t, st, sink);
      return;
    }
    // 2. Take-profit legs.
    for (std::uint8_t leg = 0; leg < pos.tp_count; ++leg) {
      if ((pos.legs_taken >> leg) & 1u) continue;
      const bool reached = pos.side == Side::kLong ? p >= pos.tp[leg] : p <= pos.tp[leg];
      if (!reached) continue;
      pos.legs_taken = static_cast<std::uint8_t>(pos.legs_taken | (1u << leg));
      Qty qty = pos.remaining;
      if (leg + 1 < pos.tp_count) {
        const auto share =
            Decimal::from_double(pos.original_qty.to_double() * pos.tp_fraction[leg]);
        qty = std::min(pos.remaining,
                       share.value_or(Qty{}).floor_to(symbols_->filters(pos.symbol).step_size));
      }
      if (qty.is_positive()) exit(index, ExitReason::kTakeProfit, leg, qty, p, t, st, sink);
      if (pos.closed) return;
    }
    // 3. Harvest.
    if (pos.harvests_done < pf.harvest_max && !is_tighter(pos, pos.next_harvest_at, p)) {
      ++pos.harvests_done;
      pos.next_harvest_at = profit_price(pos, (pos.harvests_done + 1) * pf.harvest_trigger);
      const auto share = Decimal::from_double(pos.remaining.to_double() * pf.harvest_fraction);
      const Qty qty = share.value_or(Qty{}).floor_to(symbols_->filters(pos.symbol).step_size);
      if (qty.is_positive()) exit(index, ExitReason::kHarvest, -1, qty, p, t, st, sink);
      if (pos.closed) return;
      // Never place a stop on the wrong side of the price (it would fire at once).
      if (tighter(pos, pos.break_even) && is_tighter(pos, p, pos.break_even))
        move_stop(index, pos.break_even, StopKind::kBreakEven, StopMoveReason::kBreakEven, p, t,
                  sink);
    }
    // 4. Volatility governor, then trailing.
    if (governor_applies(pos, pf, atr_ready, atr)) {
      const Price wide = stop_price(
          pos, pos.entry.to_double() - side_sign(pos.side) * pf.high_vol_atr_multiplier * atr);
      if (is_tighter(pos, pos.sl, wide)) {
        move_stop(index, wide, StopKind::kInitial, StopMoveReason::kHighVolatility, p, t, sink);
        restart_trailing(pos);
      }
    }
    if (pf.trailing && pos.trailing_allowed &&
        is_tighter(pos, p, fast_paths_ ? pos.trail_best : pos.trail_from)) {
      pos.trail_best = p;
      const Price candidate =
          stop_price(pos, p.to_double() * (1.0 - side_sign(pos.side) * pf.trail_offset));
      if (tighter(pos, candidate))
        move_stop(index, candidate, StopKind::kTrailing, StopMoveReason::kTrailing, p, t, sink);
    }
  }
  // 5. Time stop (also protects a position whose levels could not be set yet).
  if (time_stop_due(pos, pf, t))
    exit(index, ExitReason::kTimeStop, -1, pos.remaining, p, t, st, sink);
}

inline Decision ExitEngine::decision(DecisionKind kind, std::uint32_t index,
                                     TimeMs t) const noexcept {
  const PositionState& pos = positions_[index];
  Decision d;
  d.kind = kind;
  d.position = index;
  d.symbol = pos.symbol;
  d.side = pos.side;
  d.time = t;
  d.entry = pos.entry;
  d.sl = pos.sl;
  d.remaining = pos.remaining;
  return d;
}

template <class Sink>
void ExitEngine::emit_levels(std::uint32_t index, TimeMs t, bool high_vol, Sink& sink) noexcept {
  const PositionState& pos = positions_[index];
  Decision d = decision(DecisionKind::kLevels, index, t);
  d.tp = pos.tp;
  d.tp_count = pos.tp_count;
  d.provisional = pos.levels == LevelState::kProvisional;
  d.high_volatility = high_vol;
  sink(d);
}

template <class Sink>
void ExitEngine::move_stop(std::uint32_t index, Price sl, StopKind kind, StopMoveReason why,
                           Price p, TimeMs t, Sink& sink) noexcept {
  PositionState& pos = positions_[index];
  pos.sl = sl;
  pos.stop_kind = kind;
  Decision d = decision(DecisionKind::kStopMoved, index, t);
  d.move_reason = why;
  d.price = p;
  sink(d);
}

template <class Sink>
void ExitEngine::exit(std::uint32_t index, ExitReason why, int leg, Qty qty, Price p, TimeMs t,
                      const PriceState& st, Sink& sink) noexcept {
  PositionState& pos = positions_[index];
  pos.remaining -= qty;
  ++pos.exits;
  Decision d = decision(DecisionKind::kExit, index, t);
  d.exit_reason = why;
  d.leg = static_cast<std::int8_t>(leg);
  d.qty = qty;
  d.price = p;
  d.exit_seq = pos.exits;
  d.stamps = st.stamps;
  if (!pos.remaining.is_positive()) close(index);
  sink(d);
}

}  // namespace exitbrain
