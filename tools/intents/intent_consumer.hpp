#pragma once
// The Redis side of exitbrain (DESIGN.md §3-4), on its own thread, off the hot path:
//
//  - trade intents: consumer group on intent_stream (created with MKSTREAM), XREADGROUP,
//    own pending entries first after a restart, XAUTOCLAIM of what a dead consumer left;
//    each entry parsed and validated (flat or JSON), its adaptive levels computed with the
//    live cross-exchange inputs, published to levels_stream and the metadata hash, fresh
//    ones handed to the decision engine (entries = execute); bad ones dead-lettered with
//    the field and the reason. Every entry is acked once handled.
//  - at most once: before an intent is handed to the engine, applied_prefix+id is set to
//    "claimed" (SET NX); the publication, the "done" mark and the XACK then go in one
//    MULTI/EXEC. A re-delivered entry (restart, reclaim, Redis failing between the two)
//    finds its mark: "done" is only acked again, "claimed" is published as `replayed` and
//    never executed a second time.
//  - cross-exchange: polls the newest entry of normalized_stream into the adjustment state
//    machine (strategies/cross_exchange.hpp), hands changed adjustments to the engine,
//    writes fallback / recovery alerts and a periodic status entry (capped streams).
//  - trade.closed: exits that filled arrive through a queue from the orders thread and are
//    published; while Redis is away they wait in a bounded buffer, and an overflow is
//    counted and alerted, never blocking anyone.
//  - a heartbeat hash (heartbeat_prefix + group:consumer) for `exitbrain intents --status`.
//  - leverage brackets (GET /fapi/v1/leverageBracket, given by `exitbrain run`): every
//    intent is evaluated with its symbol's, refreshed on this thread when a fetch is given.
//
// A plain object driven by step(): the live thread, `exitbrain intents --drain` and the
// tests run the same code. Nothing here is shared with another thread except the queues.
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/spsc_queue.hpp"
#include "core/symbol_table.hpp"
#include "net/redis_client.hpp"
#include "net/trade_intent_parser.hpp"
#include "strategies/cross_exchange.hpp"
#include "strategies/intent_policy.hpp"
#include "strategies/leverage_brackets.hpp"
#include "tools/intents/intent_messages.hpp"
#include "tools/intents/redis_fields.hpp"
#include "tools/settings/redis_settings.hpp"

namespace exitbrain {

class EventLog;

struct IntentStats {
  std::uint64_t read = 0;           // entries delivered: new, own pending, reclaimed
  std::uint64_t executed = 0;       // handed to the engine
  std::uint64_t observed = 0;       // entries = observe
  std::uint64_t expired = 0;        // older than intent_max_age_ms
  std::uint64_t refused = 0;        // over a limit, or the engine queue full
  std::uint64_t dead_lettered = 0;  // invalid
  std::uint64_t duplicates = 0;     // already handled: acked again, nothing else
  std::uint64_t trimmed = 0;        // gone from the stream before any attempt handled it
  std::uint64_t replayed = 0;       // handed to the engine by an earlier attempt: not again
  std::uint64_t reclaimed = 0;      // taken over from another consumer (XAUTOCLAIM)
  std::uint64_t redis_errors = 0;   // failed commands and lost connections
  std::uint64_t closed_published = 0;
  std::uint64_t closed_dropped = 0;  // trade.closed buffer overflow
  std::uint64_t status_published = 0;
  std::uint64_t alerts_published = 0;
  std::uint64_t bracket_refreshes = 0;       // leverage bracket fetches that succeeded
  std::uint64_t bracket_refresh_errors = 0;  // ... and that failed (the table in use kept)
  TimeMs last_intent_ms = 0;                 // wall clock of the last intent handled
};

// The consumer group as Redis reports it (XINFO GROUPS, XPENDING).
struct IntentGroupStatus {
  bool stream_exists = false;
  bool group_exists = false;
  long long stream_length = 0;
  long long lag = -1;  // entries not yet delivered to the group; -1: Redis cannot tell
  long long pending = 0;
  long long consumers = 0;
  std::string last_delivered_id;
  // From the heartbeat hash of each consumer of the group.
  struct Consumer {
    std::string name;
    TimeMs heartbeat_ms = 0;
    TimeMs last_intent_ms = 0;
    bool alive = false;  // heartbeat within 3 status intervals
  };
  std::vector<Consumer> heartbeats;
  std::string error;  // "" when read
};

// The pipeline's ends of the queues. Any may be null (`exitbrain intents --drain`).
struct IntentLinks {
  SpscQueue<EntryOrder>* entries = nullptr;                       // -> decide
  SpscQueue<cross_exchange::Adjustments>* adjustments = nullptr;  // -> decide
  SpscQueue<ClosedTrade>* closed = nullptr;                       // orders ->
  EventLog* event_log = nullptr;
};

class IntentConsumer {
 public:
  // `password`: from the environment (password_env), "" for none; overrides the URL's.
  // `symbols` must outlive the consumer; it is only read.
  IntentConsumer(const RedisSettings& settings, const SymbolTable& symbols, std::string password,
                 IntentLinks links = {});

  // Connects and creates the group (MKSTREAM, from the stream's start) if it is missing.
  // "" or why not. After a reconnect the consumer first re-reads its own pending entries.
  std::string connect();
  bool connected() const noexcept { return redis_.connected(); }

  // One round: reclaim when due, one read (blocking up to block_ms when `block`), handle
  // what came, cross-exchange poll and status when due, publish closed trades.
  // Returns the number of entries read, or -1 when the connection failed (reconnect).
  int step(TimeMs now_ms, bool block);
  // While disconnected: keeps taking closed trades off their queue into the buffer.
  void idle(TimeMs now_ms);
  // Publishes closed trades and alerts without reading intents (a pipeline shutting down).
  void flush(TimeMs now_ms);
  // True once the consumer's own pending entries are re-read and no reclaim is running:
  // a non-blocking step() that then reads nothing means the stream is drained.
  bool caught_up() const noexcept { return !reading_own_pending_ && reclaim_cursor_ == "0-0"; }

  // Fills `out` (replaced) with the brackets of the symbols; "" or why it could not.
  using BracketFetch = std::function<std::string(LeverageBracketTable& out)>;
  // The leverage brackets that intents are evaluated with from now on: the liquidation
  // guard and the leverage cap of their symbol (strategies/adaptive_levels.hpp); a symbol
  // without any keeps [redis]'s fallback maint_margin_rate. `error`: why start-up has none
  // (an alert). With `fetch`, step() re-fetches them every `refresh_ms` on this consumer's
  // thread (a blocking call: the fetch's own timeout bounds it), one minute after a failure;
  // a failed refresh keeps the table in use and raises an alert. Each outcome is an event
  // line ("leverage_brackets"). Before the consumer's thread starts, or on it.
  void use_leverage_brackets(LeverageBracketTable table, std::string_view error, TimeMs now_ms,
                             BracketFetch fetch = {}, TimeMs refresh_ms = 3'600'000);
  const LeverageBracketTable& leverage_brackets() const noexcept { return brackets_; }

  IntentGroupStatus group_status();
  const IntentStats& stats() const noexcept { return stats_; }
  const cross_exchange::Adapter& adapter() const noexcept { return adapter_; }
  std::size_t closed_buffered() const noexcept { return closed_buffer_.size(); }
  const RedisSettings& settings() const noexcept { return settings_; }

 private:
  int read_batch(std::string_view start_id, bool block, TimeMs now_ms);
  int reclaim(TimeMs now_ms);
  bool count_trimmed(RedisValue deleted);
  // A pending entry trimmed from the stream before any attempt marked it: counted, journalled.
  void count_lost_to_trimming(const std::string& id);
  bool handle(std::vector<StreamEntry>& batch, TimeMs now_ms);
  void poll_cross_exchange(TimeMs now_ms);
  void refresh_leverage_brackets(TimeMs now_ms);
  void log_brackets(std::string_view source);
  void publish_alerts(TimeMs now_ms);
  void publish_status(TimeMs now_ms);
  void take_closed(TimeMs now_ms);
  void publish_closed();
  void alert(TimeMs now_ms, std::string_view type, std::string_view reason);
  void log_event(std::string json_fields);
  bool failed(const RedisReply& r, const char* what);

  RedisSettings settings_;
  const SymbolTable& symbols_;
  IntentLinks links_;
  RedisConnection redis_;
  TradeIntentParser parser_;
  cross_exchange::Adapter adapter_;
  IntentStats stats_;

  bool reading_own_pending_ = true;
  std::string pending_cursor_ = "0";
  std::string reclaim_cursor_ = "0-0";
  TimeMs next_reclaim_ms_ = 0;
  TimeMs next_cross_ms_ = 0;
  TimeMs next_status_ms_ = 0;
  bool have_sent_adjustments_ = false;
  cross_exchange::Adjustments sent_adjustments_{};
  std::deque<ClosedTrade> closed_buffer_;
  bool overflow_alerted_ = false;
  std::vector<std::string> pending_alerts_;  // alerts raised while Redis was away (capped)
  LeverageBracketTable brackets_;
  BracketFetch bracket_fetch_;
  TimeMs bracket_refresh_ms_ = 0;
  TimeMs next_bracket_refresh_ms_ = 0;
};

// The group of settings.intent_stream as Redis reports it, with the consumers' heartbeats.
IntentGroupStatus read_group_status(RedisConnection& redis, const RedisSettings& settings);

}  // namespace exitbrain
