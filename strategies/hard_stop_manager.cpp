#include "strategies/hard_stop_manager.hpp"

#include <algorithm>
#include <cmath>

namespace exitbrain {

Price hard_stop_trigger(Side position_side, Price engine_stop, double buffer, Price tick) noexcept {
  const double v = engine_stop.to_double() * (1.0 - side_sign(position_side) * buffer);
  const Price d = Decimal::from_double(v).value_or(engine_stop);
  Price out = position_side == Side::kLong ? d.floor_to(tick) : d.ceil_to(tick);
  if (!out.is_positive()) out = tick;
  return out;
}

HardStopManager::HardStopManager(std::size_t max_positions, HardStopPolicy policy)
    : policy_(policy), slots_(max_positions) {}

void HardStopManager::count() const noexcept {
  if (!counts_stale_) return;
  live_ = protected_ = 0;
  for (const Slot& s : slots_) {
    live_ += (s.active_seq != 0) + (s.placing_seq != 0);
    for (std::uint32_t seq : s.cancelling) live_ += seq != 0 && seq != s.active_seq;
    protected_ += !s.closed && (s.active_seq != 0 || s.placing_seq != 0);
  }
  counts_stale_ = false;
}

HardStopCommand HardStopManager::cancel(std::uint32_t position, std::uint32_t seq,
                                        Price trigger) noexcept {
  Slot& s = slots_[position];
  counts_stale_ = true;
  bool known = false;
  for (std::uint32_t c : s.cancelling) known |= c == seq;
  if (!known)
    for (std::uint32_t& c : s.cancelling)
      if (c == 0) {
        c = seq;
        break;
      }
  return {HardStopCommandKind::kCancel, position, seq, trigger, ErrorAction::kNone};
}

HardStopCommands HardStopManager::place(std::uint32_t position, Price trigger,
                                        TimeMs now) noexcept {
  Slot& s = slots_[position];
  counts_stale_ = true;
  s.placing_seq = ++s.next_seq;
  s.placing_trigger = trigger;
  s.last_place_ms = now;
  HardStopCommands out;
  out.add({HardStopCommandKind::kPlace, position, s.placing_seq, trigger, ErrorAction::kNone});
  return out;
}

void HardStopManager::adopt(std::uint32_t position, Side side, std::uint32_t stop_seq,
                            Price trigger, TimeMs now) noexcept {
  Slot& s = slots_[position];
  counts_stale_ = true;
  s.side = side;
  s.active_seq = stop_seq;
  s.active_trigger = trigger;
  s.next_seq = std::max(s.next_seq, stop_seq);
  s.last_place_ms = now;
}

HardStopCommands HardStopManager::on_engine_stop(std::uint32_t position, Side side,
                                                 Price engine_stop, Price tick, TimeMs now,
                                                 bool use_spare) noexcept {
  Slot& s = slots_[position];
  s.side = side;
  // One placement in flight at a time; a withheld position places nothing.
  if (s.closed || s.placing_seq != 0 || s.withheld) return {};
  const Price trigger = hard_stop_trigger(side, engine_stop, policy_.buffer, tick);
  if (s.active_seq == 0) {  // unprotected: no throttle, but it needs room
    if ((!use_spare && protected_positions() >= protect_limit()) || live_stops() >= capacity_) {
      HardStopCommands out;
      out.add({HardStopCommandKind::kNoRoom, position, 0, trigger, ErrorAction::kNone});
      return out;
    }
    return place(position, trigger, now);
  }
  const double moved =
      std::abs((trigger - s.active_trigger).to_double()) / s.active_trigger.to_double();
  if (moved < policy_.min_move || now - s.last_place_ms < policy_.min_interval_ms) return {};
  // A move needs a spare stop for a moment; without one it waits (the old stop stands).
  if (live_stops() >= capacity_) return {};
  return place(position, trigger, now);
}

HardStopCommands HardStopManager::on_placed(std::uint32_t position,
                                            std::uint32_t stop_seq) noexcept {
  Slot& s = slots_[position];
  counts_stale_ = true;
  HardStopCommands out;
  if (stop_seq != s.placing_seq) return out;
  // The new stop stands: only now may the old one go.
  if (s.active_seq != 0) out.add(cancel(position, s.active_seq, s.active_trigger));
  s.active_seq = s.placing_seq;
  s.active_trigger = s.placing_trigger;
  s.placing_seq = 0;
  // Confirmed after the position closed, or after its capacity went to another: it goes.
  if (s.closed || s.withheld) out.add(cancel(position, s.active_seq, s.active_trigger));
  return out;
}

HardStopCommands HardStopManager::on_place_failed(std::uint32_t position, std::uint32_t stop_seq,
                                                  ErrorAction action) noexcept {
  Slot& s = slots_[position];
  counts_stale_ = true;
  HardStopCommands out;
  if (stop_seq != s.placing_seq) return out;
  if (action == ErrorAction::kUnknownOutcome || action == ErrorAction::kAlreadyAccepted) {
    // It may stand already: look it up before placing anything else.
    out.add({HardStopCommandKind::kLookup, position, stop_seq, s.placing_trigger, action});
    return out;
  }
  // Not placed. The old stop (if any) still stands; the next engine stop (or timer) retries.
  // Unprotected, or refused for a reason that will not pass: say so loudly.
  s.placing_seq = 0;
  if (s.active_seq == 0 || action == ErrorAction::kOurBug || action == ErrorAction::kRejected)
    out.add({HardStopCommandKind::kAlert, position, stop_seq, s.placing_trigger, action});
  return out;
}

HardStopCommands HardStopManager::on_place_lookup(std::uint32_t position, std::uint32_t stop_seq,
                                                  bool found) noexcept {
  if (found) return on_placed(position, stop_seq);
  Slot& s = slots_[position];
  counts_stale_ = true;
  if (stop_seq != s.placing_seq) return {};
  s.placing_seq = 0;  // never arrived: the next engine stop places it again
  return {};
}

void HardStopManager::on_cancelled(std::uint32_t position, std::uint32_t stop_seq) noexcept {
  Slot& s = slots_[position];
  counts_stale_ = true;
  for (std::uint32_t& c : s.cancelling)
    if (c == stop_seq) c = 0;
  if (s.active_seq == stop_seq && (s.closed || s.withheld)) {
    s.active_seq = 0;
    s.active_trigger = Price{};
  }
}

bool HardStopManager::on_gone(std::uint32_t position, std::uint32_t stop_seq) noexcept {
  Slot& s = slots_[position];
  if (stop_seq == 0) return false;
  for (std::uint32_t& c : s.cancelling)
    if (c == stop_seq) {
      c = 0;
      counts_stale_ = true;
      return false;
    }
  if (s.active_seq != stop_seq) return false;
  counts_stale_ = true;
  s.active_seq = 0;
  s.active_trigger = Price{};
  return true;
}

HardStopCommands HardStopManager::on_position_closed(std::uint32_t position) noexcept {
  Slot& s = slots_[position];
  counts_stale_ = true;
  s.closed = true;
  HardStopCommands out;
  if (s.active_seq != 0) out.add(cancel(position, s.active_seq, s.active_trigger));
  return out;  // a placement still in flight is cancelled when it is confirmed
}

void HardStopManager::on_no_room(std::uint32_t position, std::uint32_t stop_seq) noexcept {
  Slot& s = slots_[position];
  counts_stale_ = true;
  if (stop_seq != s.placing_seq) return;
  s.placing_seq = 0;
  if (s.active_seq == 0) s.withheld = true;
}

HardStopCommands HardStopManager::withhold(std::uint32_t position) noexcept {
  Slot& s = slots_[position];
  counts_stale_ = true;
  s.withheld = true;
  HardStopCommands out;
  if (s.active_seq != 0 && !s.closed) out.add(cancel(position, s.active_seq, s.active_trigger));
  return out;  // a placement in flight is cancelled once confirmed (on_placed)
}

}  // namespace exitbrain
