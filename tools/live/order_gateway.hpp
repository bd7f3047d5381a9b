#pragma once
// The order sender's stage object (DESIGN.md §2, [orders]): exit decisions and engine stops
// in, signed REST requests out, over one kept-alive connection. It drives the pure
// ExitOrderTracker (one exit in flight per position, lookups before any resend) and the
// HardStopManager (new stop confirmed before the old one is cancelled), and acts on what
// they return. Exchange answers and user-data events come back here.
//
// Blocking: each request waits for its answer (or the timeout), so this runs on its own
// thread. Deferred work (a retry after a back-off, a second lookup, a throttled stop move)
// is kept in a list that on_timer() serves.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/events.hpp"
#include "core/spsc_queue.hpp"
#include "core/symbol_table.hpp"
#include "net/hmac_signer.hpp"
#include "net/order_format.hpp"
#include "net/rate_limits.hpp"
#include "net/rest_client.hpp"
#include "net/rest_responses.hpp"
#include "net/server_clock.hpp"
#include "net/user_data_parser.hpp"
#include "strategies/exit_order_tracker.hpp"
#include "strategies/hard_stop_manager.hpp"
#include "tools/common/event_log.hpp"
#include "tools/live/exit_latency.hpp"
#include "tools/live/gateway_gauges.hpp"
#include "tools/live/messages.hpp"
#include "tools/live/pipeline_edges.hpp"
#include "tools/live/state_records.hpp"

namespace exitbrain {

struct GatewaySettings {
  PositionMode mode = PositionMode::kOneWay;
  std::int64_t recv_window_ms = 5000;
  bool hard_stops = true;
  HardStopPolicy hard_stop_policy{};
  // Part of every client id of this run (its start time), so ids never collide with the
  // orders of an earlier run on the same account.
  std::uint64_t run_key = 0;
  std::int64_t retry_delay_ms = 500;
  std::int64_t lookup_delay_ms = 250;
  // The account's open conditional-order limit (Binance: 200, -4045 beyond), shared by our
  // hard stops and every other algo order on the account.
  std::size_t max_conditional_orders = 200;
  // How often the stops are shared out again while some position has to go without, and
  // how often the account's algo orders are counted again then.
  std::int64_t share_out_interval_ms = 2'000;
  std::int64_t recount_interval_ms = 60'000;
  // Shadow mode: no request that changes the account leaves (every POST, PUT and DELETE
  // becomes a "would send" event line); queries still go.
  bool shadow = false;
};

class OrderGateway final : public OrderSink {
 public:
  OrderGateway(const SymbolTable& symbols, RestClient& rest, const HmacSha256Signer& signer,
               ServerClock& clock, EventLog& event_log, GatewaySettings settings,
               std::size_t max_positions);

  // The order sink of the hot pipeline: decisions, entries, positions closed outside.
  void on_work(const OrderWork& w) override;

  void on_decision(const Decision& d);
  // The exchange shows the position gone (a manual close, the hard stop, a liquidation).
  void on_closed_outside(std::uint32_t position);
  // A position exited in full may give its hard stop up: at once, or (`after`: the position
  // of what the exit left) once that one's own stop stands or it is closed. An `after` not
  // known yet (its first levels still to come) counts as not protected.
  void on_release(std::uint32_t position, std::uint32_t after);
  // ORDER_TRADE_UPDATE / ALGO_UPDATE from the user-data stream.
  void on_user_event(const UserEvent& e) override;
  // Serves deferred work that is due.
  void on_timer() override;
  // An executed trade intent: set the symbol's leverage, send the MARKET entry. Entries are
  // never resent: an unknown outcome is looked up once by the entry's client id, and what
  // is still unknown is alerted (the user-data stream shows the position if it opened).
  void on_entry(const EntryOrder& e);
  bool symbol_free_for_entry(const EntryOrder& e, const std::string& what);
  // Exits that fill (and hard stops that fire) are offered here for quantum:stream:trade.closed.
  // Never blocks: a full queue is counted.
  void publish_closed_to(SpscQueue<ClosedTrade>* q) noexcept { closed_out_ = q; }
  std::uint64_t closed_not_queued() const noexcept { return closed_not_queued_; }
  // Every exit order's hops (decided -> bytes out, frame in -> bytes out) go here.
  void record_exit_latency_to(ExitLatency* l) noexcept { exit_latency_ = l; }

  // ---- start-up reconciliation (before the threads start; tools/live/reconcile.hpp) ----
  // A position restored from the state journal: what the order sender must know of it.
  // `awaiting_release`: exited in full, its flat account state not seen yet (the decide
  // stage releases its stop, OrderWorkKind::kReleaseStop).
  void restore_position(std::uint32_t position, SymbolId symbol, Side side, Price entry,
                        Price engine_stop, bool engine_flat, bool awaiting_release = false);
  // An exit an earlier run sent without a final answer, looked up once by its client id.
  struct StartupLookup {
    LookupStatus status = LookupStatus::kNotFound;
    Qty executed{};
    bool answered = false;  // false: no usable answer (the outcome stays unknown)
  };
  StartupLookup lookup_earlier_exit(std::uint32_t position, std::uint64_t run_key,
                                    std::uint32_t seq);
  // Exits `qty` of the position now (decided before the crash, never executed).
  void exit_owed(std::uint32_t position, Qty qty);
  // An earlier run's hard stop, taken over as the position's own.
  // A restored position found closed at start-up whose stop (of run `run_key`) is gone:
  // if it fired, its fill is recorded and published (trade.closed, the day's PnL) once.
  void find_stop_fill_at_start(std::uint32_t position, std::uint64_t run_key, std::uint32_t seq);
  void adopt_hard_stop(std::uint32_t position, std::uint64_t run_key, std::uint32_t seq,
                       Price trigger);
  // Places the position's hard stop now if it has none (make-before-break at start-up).
  void protect_now(std::uint32_t position);
  bool protected_now(std::uint32_t position) const noexcept {
    return hard_.protected_now(position);
  }
  Price hard_stop_trigger_for(std::uint32_t position) const noexcept;
  // Cancels one of our algo orders by its client id (orphans at start-up). True if gone.
  bool cancel_algo_by_id(SymbolId symbol, std::string_view client_algo_id);
  // The position is not traded on (its state could not be made consistent): decisions
  // about it are alerted, not sent; its hard stop stays where it is.
  void hold(std::uint32_t position) noexcept;
  // Every order record also goes here (the state journal). Waits for room.
  void journal_to(SpscQueue<StateRecord>* q) noexcept { journal_ = q; }
  // Write-ahead for stop moves: a moved hard stop is placed only once the state journal has
  // written `written` >= the decision's journal_records (the decide stage's records up to
  // the input that moved it). A kill at any moment then never leaves a stop on the exchange
  // tighter than the plan the restart restores, which would make the restart keep the
  // looser one. Until then the older stop stands (the position is never naked) and the
  // timer offers the move again. A first stop is never held back.
  void journal_ahead_of_stop_moves(const std::atomic<std::uint64_t>* written) noexcept {
    written_records_ = written;
  }

  // ---- the account's conditional-order limit -------------------------------------------
  // Open algo orders on the account that are not this run's hard stops (start-up count).
  void set_other_algo_orders(std::size_t n) noexcept;
  std::size_t other_algo_orders() const noexcept { return others_; }
  // Open positions that want a hard stop and have none standing (withheld for the limit,
  // refused, or not yet confirmed). Should be 0.
  std::size_t positions_without_hard_stop() const noexcept;
  // Of those, the ones the limit left without (they place nothing until granted).
  std::size_t withheld_positions() const noexcept;

  // Nothing in flight and nothing deferred: a graceful stop may exit.
  bool idle() const noexcept override;
  std::uint64_t requests() const noexcept { return requests_; }
  std::uint64_t stop_limit_refusals() const noexcept { return stop_limit_refusals_; }
  const RateLimitTracker& rate_limits() const noexcept { return limits_; }
  // For the operations thread; stored by this (the orders) thread.
  const GatewayGauges& gauges() const noexcept { return gauges_; }
  // The realised PnL of UTC day `day` before this run (the state journal's count), so the
  // daily loss limit goes on from there after a restart. Before the threads start.
  void set_realised_today(std::int64_t day, double pnl) noexcept;

  std::uint64_t position_key(std::uint32_t position) const noexcept {
    return (settings_.run_key << 20) | position;
  }

 private:
  struct PositionInfo {
    bool known = false;
    SymbolId symbol = kNoSymbol;
    Side side = Side::kLong;
    Price engine_stop{};
    Price entry{};
    ExitReason last_exit_reason = ExitReason::kStopLoss;
    bool engine_flat = false;  // the engine has decided exits for all of it
    // A full exit's stop waits for the decide stage's word (OrderWorkKind::kReleaseStop):
    // the exchange shows the position flat, or what is left is managed with a stop of its own.
    bool awaiting_release = false;
    bool stop_cancel_sent = false;
    bool held = false;              // not traded on (start-up reconciliation)
    bool withheld_alerted = false;  // "hard_stop_withheld" said for the current withholding
    std::uint64_t adopted_key = 0;  // position key of an adopted earlier run's stop (0: none)
    std::uint32_t adopted_seq = 0;
    std::uint64_t move_after_record = 0;  // the journal must hold this many decide records
    LatencyStamps stamps{};               // of the latest exit decision
    std::uint32_t stop_fill_seq = 0;      // the hard stop whose fill is recorded (0: none)
  };
  struct Deferred {
    MonoNs due = 0;
    bool is_exit = true;
    TrackerCommand exit{};
    HardStopCommand stop{};
  };

  void run_exit(std::optional<TrackerCommand> c);
  void run_stops(const HardStopCommands& cs);
  void run_stop(const HardStopCommand& c);
  std::optional<TrackerCommand> send_exit(const TrackerCommand& c);
  std::optional<TrackerCommand> lookup_exit(const TrackerCommand& c);
  // GET /fapi/v1/order by client id (this run's exits and an earlier run's).
  const RestReply& query_exit(SymbolId symbol, const ClientId& id);
  HardStopCommands place_stop(const HardStopCommand& c);
  HardStopCommands lookup_stop(const HardStopCommand& c);
  void cancel_stop(const HardStopCommand& c);
  // The fill of hard stop `seq`, recorded once (from its ALGO_UPDATE, or from the lookup
  // after a cancel found it gone while the user stream was down).
  void stop_filled(std::uint32_t position, std::uint32_t seq, Qty qty, Price price, TimeMs time);
  // A stop our cancel found no longer open: if it fired, its fill is recorded.
  void look_for_stop_fill(const HardStopCommand& c);
  void defer_exit(const TrackerCommand& c, std::int64_t delay_ms);
  void defer_stop(const HardStopCommand& c, std::int64_t delay_ms);
  void offer_engine_stop(std::uint32_t position, bool use_spare = false);
  bool wants_hard_stop(std::uint32_t position) const noexcept;
  // The capacity has no room for every position that wants a stop: the stops go to those
  // that need them most (strategies/hard_stop_ranking.hpp), at most every
  // share_out_interval_ms; the others are withheld, alerted, and wait for room.
  void request_share_out();
  void share_out();
  // -4045: the account holds more conditional orders than we counted.
  void on_stop_limit(const HardStopCommand& c, int code);
  // Counts the account's open algo orders again (others may have freed some).
  void recount_algo_orders();
  void apply_capacity() noexcept;
  void withheld_line(std::uint32_t position, const char* what, std::size_t rank, double need);
  void maybe_release(std::uint32_t position);
  void resync_clock();
  // One signed request through the rate-limit tracker (counted out, headers read back).
  const RestReply& send(HttpMethod method, std::string_view path, const RequestCost& cost);
  // How long the limits say to wait before a request of this cost (0: go now).
  std::int64_t wait_for_limits_ms(const RequestCost& cost) const;
  RequestTiming timing() const;
  // Error code and action of a non-2xx answer.
  ErrorAction classify(const RestReply& r, int& code);
  ClientId stop_id(std::uint32_t position, std::uint32_t seq) const noexcept;
  void log_order(const OrderRecord& r) noexcept;
  // A final answer the event log does not carry (user stream, start-up lookup), for the
  // journal's trail. `run_key` 0: this run's order.
  void journal_exit_done(std::uint32_t position, std::uint32_t seq, Qty executed, Price price,
                         TimeMs time, std::uint64_t run_key) noexcept;
  void record(OrderRecordKind kind, std::uint32_t position, std::uint32_t seq, Qty qty, Price price,
              const RestReply* r, bool ok, int code);
  // The record of one order of a position (its symbol and side filled in); no answer yet.
  OrderRecord order_record(OrderRecordKind kind, std::uint32_t position, std::uint32_t seq, Qty qty,
                           Price price, TimeMs time) const noexcept;
  void alert(std::uint32_t position, const char* what, ErrorAction action, int code);
  // An order answer that was an error (true) or not: the consecutive-errors gauge.
  void count_answer(bool error) noexcept;
  void publish_gauges() noexcept;
  void closed(std::uint32_t position, std::uint32_t seq, Qty qty, Price price, bool hard_stop,
              TimeMs time);
  void entry_alert(const EntryOrder& e, const char* what, const RestReply& r, int code);

  const SymbolTable& symbols_;
  RestClient& rest_;
  const HmacSha256Signer& signer_;
  ServerClock& clock_;
  EventLog& event_log_;
  GatewaySettings settings_;
  ExitOrderTracker tracker_;
  HardStopManager hard_;
  std::vector<PositionInfo> positions_;
  std::vector<Deferred> deferred_;
  // (exited position, what it left): the first's stop goes once the second's stands.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> releases_waiting_;
  QueryWriter query_;
  RestResponseParser parser_;
  RateLimitTracker limits_;
  std::uint64_t requests_ = 0;
  MonoNs last_request_ns_ = mono_now_ns();
  int last_error_code_ = 0;     // of the latest refused request, for its alert
  std::string last_error_msg_;  // idem; capacity reserved, so a refusal does not allocate
  SpscQueue<ClosedTrade>* closed_out_ = nullptr;
  ExitLatency* exit_latency_ = nullptr;
  SpscQueue<StateRecord>* journal_ = nullptr;
  const std::atomic<std::uint64_t>* written_records_ = nullptr;
  std::uint64_t closed_not_queued_ = 0;
  // The conditional-order limit.
  std::size_t others_ = 0;
  std::uint64_t stop_limit_refusals_ = 0;
  bool sharing_out_ = false;
  MonoNs last_share_out_ns_ = 0;
  MonoNs share_out_due_ns_ = 0;  // 0: none pending
  MonoNs recount_due_ns_ = 0;    // 0: no recount needed
  std::vector<PositionRisk> risk_;
  GatewayGauges gauges_;
  RestReply shadow_reply_;  // what a request shadow mode kept back "answers"
};

}  // namespace exitbrain
