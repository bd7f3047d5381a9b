#pragma once
// What the live threads pass each other besides market events, states and decisions
// (and the intent messages of tools/intents/intent_messages.hpp). Plain values: they sit
// in pre-allocated SPSC rings.
#include <cstdint>
#include <type_traits>

#include "core/events.hpp"
#include "tools/intents/intent_messages.hpp"

namespace exitbrain {

// user-data stream -> decide: the exchange's view of one position (ACCOUNT_UPDATE).
struct AccountChange {
  SymbolId symbol = kNoSymbol;
  bool side_known = true;  // false for a flat one-way ("BOTH") position: either side
  Side side = Side::kLong;
  Qty amount{};  // absolute
  Price entry{};
  TimeMs time = 0;
};
static_assert(std::is_trivially_copyable_v<AccountChange>);

// decide -> orders.
enum class OrderWorkKind : std::uint8_t {
  kDecision,       // the engine decided something (levels, stop move, exit)
  kClosedOutside,  // the exchange shows the position gone without exitbrain's exit
  kEntry,          // open a position for a trade intent (entries = execute)
  // A position the engine exited in full is flat on the exchange too, or what is left of
  // it is managed as a position of its own (whose stop stands first): its hard stop may go.
  kReleaseStop,
};
struct OrderWork {
  OrderWorkKind kind = OrderWorkKind::kDecision;
  Decision decision{};  // kClosedOutside, kReleaseStop: position, symbol and side only
  EntryOrder entry{};   // kEntry
  // kReleaseStop: the position (what the exit left) whose stop must stand first; none:
  // 0xFFFFFFFF.
  std::uint32_t after_position = 0xFFFFFFFF;
};
static_assert(std::is_trivially_copyable_v<OrderWork>);

// operations thread -> decide: the kill switch (`exitbrain ctl`, the automatic limits).
enum class ControlKind : std::uint8_t {
  kHalt = 1,     // no new entries; exits keep being managed
  kFlatten = 2,  // reduce-only MARKET exits for every open position now, then halted
  kResume = 3,   // entries again
};
enum class ControlSource : std::uint8_t {
  kOperator = 0,    // exitbrain ctl
  kLossLimit = 1,   // [run] daily_loss_limit
  kErrorLimit = 2,  // [run] max_consecutive_errors
};
const char* to_string(ControlKind k) noexcept;
const char* to_string(ControlSource s) noexcept;
struct ControlCommand {
  ControlKind kind = ControlKind::kHalt;
  ControlSource source = ControlSource::kOperator;
  std::uint32_t seq = 0;  // the sender's count; the stage says which it has applied
};
static_assert(std::is_trivially_copyable_v<ControlCommand>);

}  // namespace exitbrain
