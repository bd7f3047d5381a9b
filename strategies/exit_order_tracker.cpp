#include "strategies/exit_order_tracker.hpp"

#include <algorithm>

namespace exitbrain {

ExitOrderTracker::ExitOrderTracker(std::size_t max_positions) : slots_(max_positions) {}

bool ExitOrderTracker::is_current(std::uint32_t position, std::uint32_t order_seq) noexcept {
  const Slot& s = slots_[position];
  if (s.in_flight && s.order_seq == order_seq) return true;
  ++stale_;
  return false;
}

std::optional<TrackerCommand> ExitOrderTracker::send_waiting(std::uint32_t position) noexcept {
  Slot& s = slots_[position];
  if (s.in_flight || !s.waiting.is_positive()) return std::nullopt;
  s.in_flight = true;
  ++s.order_seq;  // a new order, a new client id
  s.order_qty = s.waiting;
  s.waiting = Qty{};
  return TrackerCommand{TrackerCommandKind::kSend, position, s.order_seq, s.order_qty, false,
                        ErrorAction::kNone};
}

std::optional<TrackerCommand> ExitOrderTracker::finish(std::uint32_t position,
                                                       Qty executed) noexcept {
  Slot& s = slots_[position];
  executed = std::min(std::max(executed, Qty{}), s.order_qty);
  s.executed += executed;
  s.waiting += s.order_qty - executed;  // the unfilled rest goes back in line
  s.in_flight = false;
  return send_waiting(position);
}

std::optional<TrackerCommand> ExitOrderTracker::on_exit(std::uint32_t position, Qty qty) noexcept {
  if (!qty.is_positive()) return std::nullopt;
  slots_[position].waiting += qty;
  return send_waiting(position);
}

std::optional<TrackerCommand> ExitOrderTracker::on_final(std::uint32_t position,
                                                         std::uint32_t order_seq,
                                                         Qty executed) noexcept {
  if (!is_current(position, order_seq)) return std::nullopt;
  return finish(position, executed);
}

std::optional<TrackerCommand> ExitOrderTracker::on_error(std::uint32_t position,
                                                         std::uint32_t order_seq,
                                                         ErrorAction action) noexcept {
  if (!is_current(position, order_seq)) return std::nullopt;
  Slot& s = slots_[position];
  switch (action) {
    case ErrorAction::kNone:
      return std::nullopt;  // not an error; the final answer comes through on_final
    case ErrorAction::kUnknownOutcome:
    case ErrorAction::kAlreadyAccepted:
      // It may have executed: find out before anything is sent again.
      return TrackerCommand{
          TrackerCommandKind::kLookup, position, order_seq, s.order_qty, false, action};
    case ErrorAction::kRetryBackoff:
    case ErrorAction::kRateLimited:
    case ErrorAction::kBanned:
    case ErrorAction::kResyncClock:
      // Definitely not executed: the same order, same client id, once the sender may send.
      return TrackerCommand{
          TrackerCommandKind::kSend, position, order_seq, s.order_qty, true, action};
    case ErrorAction::kNothingToReduce:
      // The exchange holds less than the engine thought: nothing of this order or of what
      // waits can be sold. The alert starts a reconciliation of the position.
      s.in_flight = false;
      s.waiting = Qty{};
      return TrackerCommand{
          TrackerCommandKind::kAlert, position, order_seq, s.order_qty, false, action};
    case ErrorAction::kOurBug:
    case ErrorAction::kRejected:
      // Not executed and not worth repeating as is: alert; the quantity joins the next exit.
      s.in_flight = false;
      s.waiting += s.order_qty;
      return TrackerCommand{
          TrackerCommandKind::kAlert, position, order_seq, s.order_qty, false, action};
  }
  return std::nullopt;
}

std::optional<TrackerCommand> ExitOrderTracker::on_lookup(std::uint32_t position,
                                                          std::uint32_t order_seq,
                                                          LookupStatus status,
                                                          Qty executed) noexcept {
  if (!is_current(position, order_seq)) return std::nullopt;
  Slot& s = slots_[position];
  switch (status) {
    case LookupStatus::kNotFound:
      // Never received: sending it now cannot execute it twice. Same client id, so a late
      // arrival of the first attempt is refused as a duplicate.
      return TrackerCommand{TrackerCommandKind::kSend, position, order_seq, s.order_qty, false,
                            ErrorAction::kNone};
    case LookupStatus::kOpen:
      return TrackerCommand{TrackerCommandKind::kLookup, position, order_seq, s.order_qty, true,
                            ErrorAction::kNone};
    case LookupStatus::kFinal:
      return finish(position, executed);
  }
  return std::nullopt;
}

}  // namespace exitbrain
