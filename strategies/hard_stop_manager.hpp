#pragma once
// The exchange-resident stop behind each position (DESIGN.md §3 rule 6): it follows the
// engine's stop at a buffer, and when it moves the new one is placed and confirmed BEFORE
// the old one is cancelled, so there is never a naked moment. Moves are throttled (a
// minimum distance and a minimum interval) to stay well inside the order rate limits.
// Pure, one slot per position; the order sender drives it and sends what it returns.
//
// The account's conditional orders are limited (200 on Binance, -4045 beyond): the manager
// counts every stop of ours that may stand on the exchange (confirmed, being placed, being
// cancelled) against a capacity, and keeps one of them spare, so that a move can still place
// the new stop before cancelling the old. A position the capacity has no room for is
// refused with kNoRoom; the order sender decides who gets the stops (hard_stop_ranking.hpp)
// and withholds the others, which then place nothing until granted.
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/decimal.hpp"
#include "core/error_action.hpp"
#include "core/types.hpp"

namespace exitbrain {

struct HardStopPolicy {
  double buffer = 0.002;                // trigger this fraction beyond the engine's stop
  double min_move = 0.001;              // move only when the trigger changes by this fraction
  std::int64_t min_interval_ms = 1000;  // at most one placement per position per interval
};

// kNoRoom: the position has no stop and the capacity no room for one (nothing was sent).
enum class HardStopCommandKind : std::uint8_t { kPlace, kCancel, kLookup, kAlert, kNoRoom };

struct HardStopCommand {
  HardStopCommandKind kind = HardStopCommandKind::kPlace;
  std::uint32_t position = 0;
  std::uint32_t stop_seq = 0;  // the clientAlgoId's sequence number
  Price trigger{};
  ErrorAction reason = ErrorAction::kNone;
};

// Up to two commands per event (confirming a placement may also cancel the old stop).
struct HardStopCommands {
  std::array<HardStopCommand, 2> items{};
  std::uint8_t count = 0;
  void add(const HardStopCommand& c) noexcept { items[count++] = c; }
};

// Where the hard stop sits: `buffer` (a fraction) beyond the engine's stop, away from the
// price, on the tick grid (LONG rounded down, SHORT up). The engine acts first; the hard
// stop only fires if this process cannot.
Price hard_stop_trigger(Side position_side, Price engine_stop, double buffer, Price tick) noexcept;

class HardStopManager {
 public:
  HardStopManager(std::size_t max_positions, HardStopPolicy policy);

  // How many conditional orders this process may hold on the account (the exchange's limit
  // less the orders that are not ours). Unlimited until set.
  void set_capacity(std::size_t stops) noexcept { capacity_ = stops; }
  std::size_t capacity() const noexcept { return capacity_; }
  // Positions that may be protected at once: one stop of the capacity is kept spare for
  // make-before-break moves (with a capacity of 1 there is none, and stops cannot move).
  std::size_t protect_limit() const noexcept { return capacity_ >= 2 ? capacity_ - 1 : capacity_; }
  // Stops of ours that may stand on the exchange now: confirmed, being placed, being
  // cancelled. Counted again after a change (O(positions), once per exchange round trip).
  std::size_t live_stops() const noexcept {
    count();
    return live_;
  }
  // Positions with a stop confirmed or being placed (open positions only).
  std::size_t protected_positions() const noexcept {
    count();
    return protected_;
  }

  // The engine's stop for a position (on levels, on every stop move, and on a timer so a
  // throttled move is not forgotten). `tick`: the symbol's price grid.
  // `use_spare`: a first stop may take the spare too (the order sender, when another
  // position gives its stop up right after: that position loses it only once this one has
  // one).
  HardStopCommands on_engine_stop(std::uint32_t position, Side side, Price engine_stop, Price tick,
                                  TimeMs now, bool use_spare = false) noexcept;
  // The exchange accepted placement `stop_seq`.
  HardStopCommands on_placed(std::uint32_t position, std::uint32_t stop_seq) noexcept;
  HardStopCommands on_place_failed(std::uint32_t position, std::uint32_t stop_seq,
                                   ErrorAction action) noexcept;
  // The lookup by clientAlgoId after an unknown outcome: found (working) or not.
  HardStopCommands on_place_lookup(std::uint32_t position, std::uint32_t stop_seq,
                                   bool found) noexcept;
  // A cancel finished (done, or the stop was already gone: either way it no longer exists).
  void on_cancelled(std::uint32_t position, std::uint32_t stop_seq) noexcept;
  // The exchange says stop `stop_seq` is gone though we sent no cancel for it (cancelled
  // by hand on the exchange, expired, rejected): true when it was the position's active
  // stop, which leaves the position unprotected until the next on_engine_stop places a
  // new one (no throttle: it is unprotected). One we are cancelling is just forgotten.
  bool on_gone(std::uint32_t position, std::uint32_t stop_seq) noexcept;
  // The position is flat: cancel what is left. (On shutdown the stops are left in place.)
  HardStopCommands on_position_closed(std::uint32_t position) noexcept;
  // The exchange refused placement `stop_seq` for the account's limit (-4045). Nothing was
  // placed; a position with no stop is withheld (no retry until granted), a move is dropped
  // (the old stop stands).
  void on_no_room(std::uint32_t position, std::uint32_t stop_seq) noexcept;

  // The capacity went to other positions: this one places nothing until granted; its stop
  // (if any) is cancelled.
  HardStopCommands withhold(std::uint32_t position) noexcept;
  void grant(std::uint32_t position) noexcept { slots_[position].withheld = false; }
  bool withheld(std::uint32_t position) const noexcept { return slots_[position].withheld; }

  // A stop an earlier run left on the exchange, taken over as this position's active one
  // (start-up reconciliation). New placements get later sequence numbers.
  void adopt(std::uint32_t position, Side side, std::uint32_t stop_seq, Price trigger,
             TimeMs now) noexcept;

  bool protected_now(std::uint32_t position) const noexcept {
    return slots_[position].active_seq != 0;
  }
  Price active_trigger(std::uint32_t position) const noexcept {
    return slots_[position].active_trigger;
  }
  std::uint32_t active_stop(std::uint32_t position) const noexcept {
    return slots_[position].active_seq;
  }

 private:
  struct Slot {
    Side side = Side::kLong;
    std::uint32_t next_seq = 0;
    std::uint32_t active_seq = 0;  // confirmed on the exchange; 0 = none
    Price active_trigger{};
    std::uint32_t placing_seq = 0;  // sent, not yet confirmed; 0 = none
    Price placing_trigger{};
    TimeMs last_place_ms = 0;
    bool closed = false;
    bool withheld = false;
    // Stops sent to be cancelled and not yet gone (a move's old one, a closed position's).
    std::array<std::uint32_t, 4> cancelling{};
  };
  HardStopCommands place(std::uint32_t position, Price trigger, TimeMs now) noexcept;
  // A cancel command for `seq`, remembered until on_cancelled.
  HardStopCommand cancel(std::uint32_t position, std::uint32_t seq, Price trigger) noexcept;

  void count() const noexcept;

  HardStopPolicy policy_;
  mutable bool counts_stale_ = true;  // set by every change of a slot's stops
  mutable std::size_t live_ = 0, protected_ = 0;
  std::size_t capacity_ = std::numeric_limits<std::size_t>::max();
  std::vector<Slot> slots_;
};

}  // namespace exitbrain
