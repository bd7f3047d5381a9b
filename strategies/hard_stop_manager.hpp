#pragma once
// The exchange-resident stop behind each position (DESIGN.md §3 rule 6): it follows the
// engine's stop at a buffer, and when it moves the new one is placed and confirmed BEFORE
// the old one is cancelled, so there is never a naked moment. Moves are throttled (a
// minimum distance and a minimum interval) to stay well inside the order rate limits.
// Pure, one slot per position; the order sender drives it and sends what it returns.
#include <array>
#include <cstdint>
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

enum class HardStopCommandKind : std::uint8_t { kPlace, kCancel, kLookup, kAlert };

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

  // The engine's stop for a position (on levels, on every stop move, and on a timer so a
  // throttled move is not forgotten). `tick`: the symbol's price grid.
  HardStopCommands on_engine_stop(std::uint32_t position, Side side, Price engine_stop, Price tick,
                                  TimeMs now) noexcept;
  // The exchange accepted placement `stop_seq`.
  HardStopCommands on_placed(std::uint32_t position, std::uint32_t stop_seq) noexcept;
  HardStopCommands on_place_failed(std::uint32_t position, std::uint32_t stop_seq,
                                   ErrorAction action) noexcept;
  // The lookup by clientAlgoId after an unknown outcome: found (working) or not.
  HardStopCommands on_place_lookup(std::uint32_t position, std::uint32_t stop_seq,
                                   bool found) noexcept;
  // A cancel finished (done, or the stop was already gone: either way it no longer exists).
  void on_cancelled(std::uint32_t position, std::uint32_t stop_seq) noexcept;
  // The position is flat: cancel what is left. (On shutdown the stops are left in place.)
  HardStopCommands on_position_closed(std::uint32_t position) noexcept;

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
  };
  HardStopCommands place(std::uint32_t position, Price trigger, TimeMs now) noexcept;

  HardStopPolicy policy_;
  std::vector<Slot> slots_;
};

}  // namespace exitbrain
