#pragma once
// Start-up reconciliation, before any thread decides (the NautilusTrader way: the venue is
// the truth for what exists, the journal for what was intended). For every position the
// journal restored:
//  - exits sent before the restart without a final answer are looked up by client id,
//    never resent blindly;
//  - the exchange's quantity is applied: less than the plan holds (a fill, a manual close,
//    the hard stop, a liquidation while down) lowers or closes the plan; more than it holds
//    is an exit decided and never executed, sent now; with no exit of ours unconfirmed it
//    is a trader's addition, managed on (alerted); a gap that is neither is held (not
//    traded on, alerted, its hard stop kept);
//  - our hard stops on the exchange: the one that fits the restored stop is adopted, one
//    that does not is replaced make-before-break, extras are cancelled.
// Positions the journal does not know are adopted as at any start (or matched to an entry
// that was in flight). Our stops on symbols with no position left are cancelled.
#include <cstdint>
#include <string>

#include "tools/common/event_log.hpp"
#include "tools/live/decide_stage.hpp"
#include "tools/live/order_gateway.hpp"
#include "tools/live/order_trail.hpp"
#include "tools/live/startup.hpp"

namespace exitbrain {

struct ReconcileReport {
  std::uint32_t restored_open = 0;  // open plans the journal gave back
  std::uint32_t lookups = 0;        // earlier exits looked up
  std::uint32_t reduced = 0, closed = 0;
  std::uint32_t owed_exits = 0;  // decided before the crash, sent now
  std::uint32_t held = 0;        // not traded on
  std::uint32_t grown = 0;       // larger on the exchange, nothing of ours unconfirmed
  std::uint32_t stops_adopted = 0, stops_replaced = 0, stops_cancelled = 0, stops_left = 0;
  std::uint32_t adopted_new = 0;  // positions the journal did not know
};

ReconcileReport reconcile_at_start(const StartupState& startup, const SymbolTable& symbols,
                                   DecideStage& decide, OrderGateway& gateway,
                                   const OrderTrail& trail, const HardStopPolicy& policy,
                                   EventLog& event_log, TimeMs now);

}  // namespace exitbrain
