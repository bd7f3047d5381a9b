#pragma once
// What the intent thread and the live engine hand each other through SPSC rings: an entry
// to open (intents -> decide) and an exit that filled (orders -> intents, published to
// quantum:stream:trade.closed). Plain values, here rather than in the live room so that
// the Redis side does not lean on the daemon that drives it.
#include <array>
#include <cstdint>
#include <type_traits>

#include "core/events.hpp"

namespace exitbrain {

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
