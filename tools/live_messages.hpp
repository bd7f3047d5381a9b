#pragma once
// What the live threads pass each other besides market events, states and decisions.
// Plain values: they sit in pre-allocated SPSC rings.
#include <array>
#include <cstdint>
#include <type_traits>

#include "core/events.hpp"

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

// intents -> decide: a fresh intent the policy allows to execute (entries = execute).
struct EntryOrder {
  TimeMs intent_ms = 0;  // its stream id, ms-seq: the entry's client id is made from it
  std::uint64_t intent_seq = 0;
  SymbolId symbol = kNoSymbol;
  Side side = Side::kLong;
  Qty qty{};
  Price entry{};  // the intent's entry price (sizing and levels were computed from it)
  Price sl{};     // the stop the liquidation guard checked
  Price tp{};     // dynamic_tp
  int leverage = 0;
  double notional = 0;
};
static_assert(std::is_trivially_copyable_v<EntryOrder>);

// decide -> orders.
enum class OrderWorkKind : std::uint8_t {
  kDecision,       // the engine decided something (levels, stop move, exit)
  kClosedOutside,  // the exchange shows the position gone without exitbrain's exit
  kEntry,          // open a position for a trade intent (entries = execute)
};
struct OrderWork {
  OrderWorkKind kind = OrderWorkKind::kDecision;
  Decision decision{};  // kClosedOutside: position, symbol and side only
  EntryOrder entry{};   // kEntry
};
static_assert(std::is_trivially_copyable_v<OrderWork>);

// orders -> intents: an exit that filled, for quantum:stream:trade.closed.
struct ClosedTrade {
  TimeMs time = 0;
  SymbolId symbol = kNoSymbol;
  Side side = Side::kLong;  // of the position
  Qty qty{};                // filled
  Price price{};            // average fill price
  double realized_pnl = 0;  // (price - entry) x qty, signed by side; fees not included
  bool hard_stop = false;   // the exchange-side stop fired, not an exitbrain exit
  ExitReason reason = ExitReason::kStopLoss;
  std::array<char, 40> client_id{};  // NUL-terminated
};
static_assert(std::is_trivially_copyable_v<ClosedTrade>);

}  // namespace exitbrain
