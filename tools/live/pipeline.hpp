#pragma once
// `exitbrain run`'s daemon (DESIGN.md §2): the hot pipeline (tools/live/hot_pipeline.hpp)
// between the exchange's edges, and the threads beside it:
//
//   [md]      ExchangeFeeds (WebSocket) -> [state] -> [decide] -> [orders] OrderGateway
//             (signed REST, one kept-alive connection)
//   [user]    the user-data stream: positions -> decide, our order / algo updates -> orders
//   [intents] Redis ([redis] configured): intents -> decide (entries = execute),
//             cross-exchange adjustments -> decide, filled exits orders -> trade.closed.
//             Off the hot path; Redis down or slow never holds a hot-path thread (every
//             push there is try_push).
//
// Events carry latency stamps from frame-in to order bytes out; each stage records its hop.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/symbol_table.hpp"
#include "net/hmac_signer.hpp"
#include "net/server_clock.hpp"
#include "tools/common/event_log.hpp"
#include "tools/intents/intent_consumer.hpp"
#include "tools/live/startup.hpp"
#include "tools/settings/config.hpp"

namespace boost::asio::ssl {
class context;
}

namespace exitbrain {

class HotPipeline;

// One hop's distribution, ns.
struct HopFigures {
  const char* name = "";
  std::uint64_t count = 0, p50 = 0, p99 = 0, max = 0;
};

// Shadow mode: what would have been sent.
struct ShadowFigures {
  bool on = false;
  std::uint64_t exits = 0, stop_placements = 0, stop_moves = 0, stop_cancels = 0, entries = 0;
};

struct LiveSummary {
  std::uint64_t market_frames = 0;
  std::uint64_t market_events = 0;
  std::uint64_t malformed_frames = 0;
  std::uint64_t decisions = 0;
  std::uint64_t exits_decided = 0;
  std::uint64_t requests = 0;
  std::uint64_t feed_reconnects = 0;
  std::uint64_t stale_alerts = 0;
  std::uint64_t positions_adopted = 0;
  // Hard stops and the account's conditional-order limit, at the stop.
  std::uint64_t positions_without_hard_stop = 0;
  std::uint64_t stop_limit_refusals = 0;  // -4045 answers
  std::uint64_t other_algo_orders = 0;
  // parse, to_state, to_decision, to_order_bytes, tick_to_order (exits)
  std::vector<HopFigures> hops;
  // [redis]
  bool intents_enabled = false;
  IntentStats intents{};
  std::uint64_t entries_requested = 0;  // handed to the order sender
  std::uint64_t entries_refused = 0;    // total-notional limit, or a position already open
  std::uint64_t positions_opened = 0;   // entries that became managed positions
  std::uint64_t closed_not_queued = 0;  // trade.closed events the full queue could not take
  // The state journal.
  std::uint64_t journal_records = 0, journal_bytes = 0, journal_snapshots = 0;
  std::uint64_t journal_errors = 0, journal_ring_full = 0;
  ShadowFigures shadow;
};

class LivePipeline {
 public:
  LivePipeline(const Config& config, SymbolTable& symbols, EventLog& event_log, std::string api_key,
               const HmacSha256Signer& signer, std::shared_ptr<boost::asio::ssl::context> tls);
  ~LivePipeline();

  // Feeds the backfilled candles to the state stage and restores the decide stage from the
  // state journal ([run] state_dir, locked by the caller). Before run(); `startup` must
  // outlive run(), which reconciles it with what the journal restored. Error text (a
  // journal of another account, config or format, unreadable files): do not start.
  std::string prepare(const StartupState& startup);
  // Starts the threads and returns once `stop` is set and the pipeline has drained:
  // no new ticks, in-flight orders finished (or shutdown_grace_ms passed), hard stops left
  // on the exchange. Returns an error text if a thread could not start.
  std::string run(const std::atomic<bool>& stop, ServerClock& clock, PositionMode mode);
  LiveSummary summary() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace exitbrain
