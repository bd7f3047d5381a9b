#include "strategies/exit_engine.hpp"

#include <algorithm>
#include <limits>

#include "strategies/cross_exchange.hpp"

namespace exitbrain {

ExitEngine::ExitEngine(std::vector<Profile> profiles, std::vector<std::uint8_t> atr_spec_of_profile,
                       const SymbolTable& symbols, std::size_t max_positions)
    : profiles_(std::move(profiles)),
      atr_spec_(std::move(atr_spec_of_profile)),
      symbols_(&symbols) {
  atr_spec_.resize(profiles_.size(), 0);
  open_by_symbol_.resize(SymbolTable::kMaxSymbols);
  for (std::size_t i = 0; i < profiles_.size(); ++i) {
    const std::string& n = profiles_[i].name;
    const Regime r = n == "RANGE"      ? Regime::kRange
                     : n == "TRENDING" ? Regime::kTrending
                     : n == "VOLATILE" ? Regime::kVolatile
                                       : Regime::kUnknown;
    if (r != Regime::kUnknown)
      profile_of_regime_[static_cast<std::size_t>(r)] = static_cast<int>(i);
  }
  positions_.reserve(max_positions);
}

std::optional<AddError> ExitEngine::check(const NewPosition& np) const {
  if (np.symbol >= symbols_->size()) return AddError{"symbol", "unknown symbol"};
  if (np.profile >= profiles_.size()) return AddError{"profile", "unknown profile"};
  if (!np.qty.is_positive()) return AddError{"qty", "must be positive"};
  if (!np.entry.is_positive()) return AddError{"entry_price", "must be positive"};
  const Qty step = symbols_->filters(np.symbol).step_size;
  if (!np.qty.is_multiple_of(step))
    return AddError{"qty", "is not a multiple of the symbol's step size " + to_string(step)};
  const int s = side_sign(np.side);
  if (np.sl) {
    if (!np.sl->is_positive()) return AddError{"sl", "must be positive"};
    if ((*np.sl - np.entry).units() * s >= 0)
      return AddError{"sl", np.side == Side::kLong ? "must be below entry_price for a LONG"
                                                   : "must be above entry_price for a SHORT"};
  }
  if (np.tp_count > kMaxTpLegs) return AddError{"tp", "at most 4 legs"};
  for (std::size_t i = 0; i < np.tp_count; ++i) {
    if ((np.tp[i] - np.entry).units() * s <= 0)
      return AddError{"tp", np.side == Side::kLong ? "must be above entry_price for a LONG"
                                                   : "must be below entry_price for a SHORT"};
    if (i > 0 && (np.tp[i] - np.tp[i - 1]).units() * s <= 0)
      return AddError{"tp", "legs must move away from entry_price in order"};
  }
  if (positions_.size() == positions_.capacity()) return AddError{"id", "position table is full"};
  return std::nullopt;
}

std::uint32_t ExitEngine::insert(const NewPosition& np) {
  PositionState pos;
  pos.symbol = np.symbol;
  pos.side = np.side;
  pos.profile = np.profile;
  pos.original_qty = np.qty;
  pos.remaining = np.qty;
  pos.entry = np.entry;
  pos.opened_at = np.opened_at;
  const Profile& profile = profiles_[np.profile];
  pos.next_harvest_at = profit_price(pos, profile.harvest_trigger);
  pos.trail_from = profit_price(pos, profile.trail_activation);
  restart_trailing(pos);
  const Price tick = symbols_->filters(np.symbol).tick_size;
  pos.break_even = np.side == Side::kLong ? np.entry.ceil_to(tick) : np.entry.floor_to(tick);
  if (np.tp_count > 0) {
    pos.explicit_tp = true;
    pos.tp_count = np.tp_count;
    pos.tp = np.tp;
    // Explicit legs share the size like the profile's ladder when the counts match,
    // otherwise equally (the last leg always takes what remains).
    const Profile& pf = profiles_[np.profile];
    for (std::size_t i = 0; i < np.tp_count; ++i)
      pos.tp_fraction[i] = pf.tp_count == np.tp_count ? pf.tp_fraction[i] : 1.0 / np.tp_count;
  }
  const auto index = static_cast<std::uint32_t>(positions_.size());
  positions_.push_back(pos);
  open_by_symbol_[np.symbol].push_back(index);
  ++open_count_;
  return index;
}

Price ExitEngine::stop_price(const PositionState& pos, double v) const noexcept {
  const Price tick = symbols_->filters(pos.symbol).tick_size;
  const Price d = Decimal::from_double(v).value_or(Price{});
  Price out = pos.side == Side::kLong ? d.floor_to(tick) : d.ceil_to(tick);
  if (!out.is_positive()) out = tick;  // a LONG stop can sit no lower than one tick
  return out;
}

Price ExitEngine::target_price(const PositionState& pos, double v) const noexcept {
  const Price tick = symbols_->filters(pos.symbol).tick_size;
  const Price d = Decimal::from_double(v).value_or(Price{});
  Price out = pos.side == Side::kLong ? d.ceil_to(tick) : d.floor_to(tick);
  if (!out.is_positive()) out = tick;
  return out;
}

void ExitEngine::set_ladder(PositionState& pos) noexcept {
  if (pos.explicit_tp) return;
  const Profile& pf = profiles_[pos.profile];
  const double e = pos.entry.to_double();
  pos.tp_count = pf.tp_count;
  const double unit = pos.tp_unit > 0 ? pos.tp_unit : pos.r;
  for (std::size_t i = 0; i < pf.tp_count; ++i) {
    pos.tp[i] = target_price(pos, e + side_sign(pos.side) * pf.tp_r[i] * unit);
    pos.tp_fraction[i] = pf.tp_fraction[i];
  }
}

void ExitEngine::set_explicit_levels(PositionState& pos, const NewPosition& np) noexcept {
  pos.explicit_sl = true;
  pos.sl = *np.sl;
  pos.stop_kind = StopKind::kInitial;
  pos.r = std::abs((np.entry - *np.sl).to_double());
  set_ladder(pos);
  pos.levels = LevelState::kSet;
}

bool ExitEngine::set_atr_levels(PositionState& pos, double atr) noexcept {
  const Profile& pf = profiles_[pos.profile];
  const bool high_vol = atr / pos.entry.to_double() > pf.volatility_threshold;
  const double mult = high_vol ? pf.high_vol_atr_multiplier : pf.atr_multiplier;
  const double e = pos.entry.to_double();
  double stop_distance = mult * atr;
  pos.tp_unit = 0;
  pos.trailing_allowed = true;
  if (adjustments_.active) {
    const LevelAdjustments& a = adjustments_;
    const double unit = mult * atr * a.atr_multiplier;
    stop_distance = std::max(unit * a.sl_multiplier, cross_exchange::kMinSlFraction * e);
    // The ladder's first leg sits at least 0.3 % from entry.
    const double first_r = pf.tp_count > 0 && pf.tp_r[0] > 0 ? pf.tp_r[0] : 1.0;
    pos.tp_unit = std::max(unit * a.tp_multiplier, cross_exchange::kMinTpFraction * e / first_r);
    pos.trailing_allowed = a.use_trailing;
  }
  const Price initial = stop_price(pos, e - side_sign(pos.side) * stop_distance);
  pos.r = std::abs((pos.entry - initial).to_double());
  // A provisional stop that break-even or trailing already moved stays where it is when
  // tighter: the ATR levels never loosen a stop that protects profit.
  if (pos.levels == LevelState::kNone || pos.stop_kind == StopKind::kInitial ||
      is_tighter(pos, initial, pos.sl)) {
    pos.sl = initial;
    pos.stop_kind = StopKind::kInitial;
    restart_trailing(pos);
  }
  set_ladder(pos);
  pos.levels = LevelState::kSet;
  return high_vol;
}

void ExitEngine::pick_profile_by_regime(PositionState& pos, const PriceState& st) noexcept {
  // Decided once, when the regime is known and this profile's ATR is warm (the moment the
  // levels are set); until then the position keeps its own profile's provisional stop.
  const bool atr_ready = (st.atr_ready >> atr_spec_[pos.profile]) & 1u;
  const int pick = profile_of_regime_[static_cast<std::size_t>(st.regime)];
  if (!atr_ready || pick < 0) return;
  pos.profile = static_cast<std::uint16_t>(pick);
  // Thresholds that depend on the profile follow it.
  pos.next_harvest_at = profit_price(pos, profiles_[pos.profile].harvest_trigger);
  pos.trail_from = profit_price(pos, profiles_[pos.profile].trail_activation);
  restart_trailing(pos);
}

void ExitEngine::set_provisional_stop(PositionState& pos) noexcept {
  const Profile& pf = profiles_[pos.profile];
  pos.sl = stop_price(pos, pos.entry.to_double() * (1.0 - side_sign(pos.side) * pf.warmup_sl_pct));
  pos.stop_kind = StopKind::kInitial;
  pos.levels = LevelState::kProvisional;
}

void ExitEngine::set_quiet_band(PositionState& pos, const Profile& pf) const noexcept {
  pos.quiet = pos.levels == LevelState::kSet;  // level setting runs on every update until then
  if (!pos.quiet) return;
  // On the profit side, the nearest price at which a rule acts: an untaken leg is reached
  // at its price, the next harvest at its threshold, trailing one unit beyond its best.
  const bool is_long = pos.side == Side::kLong;
  Price nearest = is_long ? Decimal::from_units(std::numeric_limits<std::int64_t>::max()) : Price{};
  const auto keep_nearer = [&](Price x) {
    if (is_long ? x < nearest : x > nearest) nearest = x;
  };
  for (std::uint8_t leg = 0; leg < pos.tp_count; ++leg)
    if (!((pos.legs_taken >> leg) & 1u)) keep_nearer(pos.tp[leg]);
  if (pos.harvests_done < pf.harvest_max) keep_nearer(pos.next_harvest_at);
  if (pf.trailing && pos.trailing_allowed)
    keep_nearer(pos.trail_best + Decimal::from_units(is_long ? 1 : -1));
  // The stop acts at its price (LONG p <= sl, SHORT p >= sl).
  pos.quiet_lo = is_long ? pos.sl : nearest;
  pos.quiet_hi = is_long ? nearest : pos.sl;
  pos.quiet_source = pf.trigger_source;
  pos.quiet_until = pf.time_stop_sec > 0 ? pos.opened_at + pf.time_stop_sec * 1000
                                         : std::numeric_limits<TimeMs>::max();
  pos.quiet_governor = pos.stop_kind == StopKind::kInitial && !pos.explicit_sl;
}

void ExitEngine::close(std::uint32_t index) noexcept {
  PositionState& pos = positions_[index];
  pos.closed = true;
  --open_count_;
  auto& open = open_by_symbol_[pos.symbol];
  open.erase(std::find(open.begin(), open.end(), index));
}

std::optional<std::uint32_t> ExitEngine::find_open(SymbolId s, Side side) const noexcept {
  if (s >= open_by_symbol_.size()) return std::nullopt;
  for (const std::uint32_t index : open_by_symbol_[s])
    if (positions_[index].side == side) return index;
  return std::nullopt;
}

ExternalChange ExitEngine::sync_with_exchange(std::uint32_t index, Qty exchange_amount) noexcept {
  PositionState& pos = positions_[index];
  if (pos.closed) return ExternalChange::kNone;
  // Exits in flight are already off `remaining` but still on the exchange's amount, so
  // only an amount below `remaining` means something outside exitbrain reduced it.
  if (!(exchange_amount < pos.remaining)) return ExternalChange::kNone;
  if (!exchange_amount.is_positive()) {
    pos.remaining = Qty{};
    close(index);
    return ExternalChange::kClosed;
  }
  pos.remaining = exchange_amount;
  return ExternalChange::kReduced;
}

}  // namespace exitbrain
