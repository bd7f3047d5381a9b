// ExitEngine::save / load: the engine's state as bytes for the state journal's snapshots.
// One function per direction lists every field of PositionState in the same order; a new
// field must be added to both (test_engine_state compares a saved and reloaded engine's
// bytes after every kind of decision, so a field left out shows).
#include <algorithm>

#include "strategies/exit_engine.hpp"

namespace exitbrain {
namespace {

constexpr std::uint32_t kStateMagic = 0x45425345;  // "ESBE"
constexpr std::uint16_t kStateVersion = 1;

void put_position(ByteWriter& w, const PositionState& p) {
  w.put(p.symbol).put(p.side).put(p.profile).put(p.original_qty.units()).put(p.remaining.units());
  w.put(p.entry.units()).put(p.opened_at).put(p.levels).put(p.explicit_sl).put(p.explicit_tp);
  w.put(p.closed).put(p.stop_kind).put(p.sl.units()).put(p.break_even.units()).put(p.r);
  w.put(p.tp_unit).put(p.trailing_allowed);
  for (const Price& t : p.tp) w.put(t.units());
  for (const double f : p.tp_fraction) w.put(f);
  w.put(p.tp_count).put(p.legs_taken).put(p.harvests_done).put(p.next_harvest_at.units());
  w.put(p.trail_from.units()).put(p.trail_best.units()).put(p.quiet).put(p.quiet_governor);
  w.put(p.quiet_source).put(p.quiet_lo.units()).put(p.quiet_hi.units()).put(p.quiet_until);
  w.put(p.exits);
}

bool get_decimal(ByteReader& r, Decimal& d) {
  std::int64_t u = 0;
  if (!r.get(u)) return false;
  d = Decimal::from_units(u);
  return true;
}

template <class E>
bool get_enum(ByteReader& r, E& e, unsigned max) {
  std::underlying_type_t<E> v{};
  if (!r.get(v) || static_cast<unsigned>(v) > max) return false;
  e = static_cast<E>(v);
  return true;
}

bool get_bool(ByteReader& r, bool& b) {
  std::uint8_t v = 0;
  if (!r.get(v) || v > 1) return false;
  b = v != 0;
  return true;
}

// The field that could not be read, or nullptr.
const char* get_position(ByteReader& r, PositionState& p) {
  if (!r.get(p.symbol)) return "symbol";
  if (!get_enum(r, p.side, 1)) return "side";
  if (!r.get(p.profile)) return "profile";
  if (!get_decimal(r, p.original_qty) || !get_decimal(r, p.remaining)) return "qty";
  if (!get_decimal(r, p.entry) || !r.get(p.opened_at)) return "entry";
  if (!get_enum(r, p.levels, 2)) return "levels";
  if (!get_bool(r, p.explicit_sl) || !get_bool(r, p.explicit_tp) || !get_bool(r, p.closed))
    return "flags";
  if (!get_enum(r, p.stop_kind, 2)) return "stop_kind";
  if (!get_decimal(r, p.sl) || !get_decimal(r, p.break_even)) return "sl";
  if (!r.get(p.r) || !r.get(p.tp_unit) || !get_bool(r, p.trailing_allowed)) return "r";
  for (Price& t : p.tp)
    if (!get_decimal(r, t)) return "tp";
  for (double& f : p.tp_fraction)
    if (!r.get(f)) return "tp_fraction";
  if (!r.get(p.tp_count) || p.tp_count > kMaxTpLegs) return "tp_count";
  if (!r.get(p.legs_taken) || !r.get(p.harvests_done)) return "legs_taken";
  if (!get_decimal(r, p.next_harvest_at) || !get_decimal(r, p.trail_from) ||
      !get_decimal(r, p.trail_best))
    return "trail";
  if (!get_bool(r, p.quiet) || !get_bool(r, p.quiet_governor) || !get_enum(r, p.quiet_source, 2))
    return "quiet";
  if (!get_decimal(r, p.quiet_lo) || !get_decimal(r, p.quiet_hi) || !r.get(p.quiet_until))
    return "quiet_band";
  if (!r.get(p.exits)) return "exits";
  return nullptr;
}

}  // namespace

void ExitEngine::save(ByteWriter& w) const {
  w.put(kStateMagic).put(kStateVersion);
  w.put(static_cast<std::uint32_t>(profiles_.size()));
  w.put(adjustments_.active).put(adjustments_.atr_multiplier).put(adjustments_.tp_multiplier);
  w.put(adjustments_.sl_multiplier).put(adjustments_.use_trailing);
  // quiet_updates_ is a statistic, not state: the journal leaves quiet updates out.
  w.put(static_cast<std::uint32_t>(positions_.size()));
  for (const PositionState& p : positions_) put_position(w, p);
}

std::optional<std::string> ExitEngine::load(ByteReader& r) {
  std::uint32_t magic = 0, profiles = 0, count = 0;
  std::uint16_t version = 0;
  if (!r.get(magic) || magic != kStateMagic || !r.get(version) || version != kStateVersion)
    return std::string("engine state: not an engine state of this version");
  if (!r.get(profiles) || profiles != profiles_.size())
    return "engine state: saved with " + std::to_string(profiles) + " profiles, this config has " +
           std::to_string(profiles_.size());
  LevelAdjustments adj;
  if (!get_bool(r, adj.active) || !r.get(adj.atr_multiplier) || !r.get(adj.tp_multiplier) ||
      !r.get(adj.sl_multiplier) || !get_bool(r, adj.use_trailing))
    return std::string("engine state: adjustments");
  if (!r.get(count)) return std::string("engine state: position count");
  if (count > positions_.capacity())
    return "engine state: " + std::to_string(count) + " positions, more than the table's " +
           std::to_string(positions_.capacity());
  std::vector<PositionState> positions(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    if (const char* field = get_position(r, positions[i]))
      return "engine state: position " + std::to_string(i) + ": " + field;
    const PositionState& p = positions[i];
    if (p.symbol >= symbols_->size())
      return "engine state: position " + std::to_string(i) + ": symbol " +
             std::to_string(p.symbol) + " is not in this config's symbol list";
    if (p.profile >= profiles_.size())
      return "engine state: position " + std::to_string(i) + ": profile";
    if (!p.closed && !p.remaining.is_positive())
      return "engine state: position " + std::to_string(i) + ": open with nothing remaining";
  }
  // Only now, with everything read and checked: nothing is half-applied.
  adjustments_ = adj;
  positions_.assign(positions.begin(), positions.end());
  for (auto& open : open_by_symbol_) open.clear();
  open_count_ = 0;
  for (std::uint32_t i = 0; i < count; ++i)
    if (!positions_[i].closed) {
      open_by_symbol_[positions_[i].symbol].push_back(i);
      ++open_count_;
    }
  return std::nullopt;
}

}  // namespace exitbrain
