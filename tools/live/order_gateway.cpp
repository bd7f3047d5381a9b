#include "tools/live/order_gateway.hpp"

#include <algorithm>
#include <array>

#include "tools/common/json_line.hpp"

namespace exitbrain {
namespace {

constexpr int kOrderDoesNotExist = -2013;  // GET /fapi/v1/order, GET algoOrder: never seen
constexpr int kUnknownOrderSent = -2011;   // cancel of an order that is not open
constexpr int kStopOrderLimit = -4045;     // the account's open conditional orders are full

// Weights of binance-api.md §2: an order counts against the order limits too.
constexpr RequestCost kOrderCost{1, 1};
constexpr RequestCost kQueryCost{1, 0};
constexpr RequestCost kSymbolPositionCost{5, 0};  // GET positionRisk with a symbol
constexpr std::uint32_t kNoAfter = 0xFFFFFFFF;    // OrderWork::after_position: none

bool is_final(RestOrderStatus s) noexcept {
  return s == RestOrderStatus::kFilled || s == RestOrderStatus::kCanceled ||
         s == RestOrderStatus::kRejected || s == RestOrderStatus::kExpired ||
         s == RestOrderStatus::kExpiredInMatch;
}

bool is_final(OrderStatus s) noexcept {
  return s == OrderStatus::kFilled || s == OrderStatus::kCanceled || s == OrderStatus::kExpired ||
         s == OrderStatus::kExpiredInMatch;
}

}  // namespace

OrderGateway::OrderGateway(const SymbolTable& symbols, RestClient& rest,
                           const HmacSha256Signer& signer, ServerClock& clock, EventLog& event_log,
                           GatewaySettings settings, std::size_t max_positions)
    : symbols_(symbols),
      rest_(rest),
      signer_(signer),
      clock_(clock),
      event_log_(event_log),
      settings_(settings),
      tracker_(max_positions),
      hard_(max_positions, settings.hard_stop_policy),
      positions_(max_positions) {
  deferred_.reserve(4 * max_positions + 16);
  last_error_msg_.reserve(ErrorBody::kMsgCapacity);
  apply_capacity();
}

RequestTiming OrderGateway::timing() const {
  return RequestTiming{clock_.server_now(wall_clock_ms()), settings_.recv_window_ms};
}

bool OrderGateway::idle() const noexcept {
  if (!deferred_.empty()) return false;
  for (std::uint32_t i = 0; i < positions_.size(); ++i)
    if (positions_[i].known && tracker_.in_flight(i)) return false;
  return true;
}

// ---- decisions -----------------------------------------------------------------------------

void OrderGateway::on_work(const OrderWork& w) {
  switch (w.kind) {
    case OrderWorkKind::kDecision:
      on_decision(w.decision);
      break;
    case OrderWorkKind::kEntry:
      on_entry(w.entry);
      break;
    case OrderWorkKind::kClosedOutside:
      on_closed_outside(w.decision.position);
      break;
    case OrderWorkKind::kReleaseStop:
      on_release(w.decision.position, w.after_position);
      break;
  }
}

void OrderGateway::on_decision(const Decision& d) {
  if (d.position >= positions_.size()) return;
  PositionInfo& p = positions_[d.position];
  if (p.held) {
    if (d.kind == DecisionKind::kExit) alert(d.position, "exit_held", ErrorAction::kNone, 0);
    return;
  }
  if (!p.known) {
    p.known = true;
    p.symbol = d.symbol;
    p.side = d.side;
    p.entry = d.entry;
  }
  switch (d.kind) {
    case DecisionKind::kLevels:
    case DecisionKind::kStopMoved:
      p.engine_stop = d.sl;
      p.move_after_record = std::max(p.move_after_record, d.journal_records);
      offer_engine_stop(d.position);
      break;
    case DecisionKind::kExit:
      p.stamps = d.stamps;
      p.last_exit_reason = d.exit_reason;
      if (!d.remaining.is_positive()) p.engine_flat = p.awaiting_release = true;
      run_exit(tracker_.on_exit(d.position, d.qty));
      break;
  }
}

void OrderGateway::on_closed_outside(std::uint32_t position) {
  if (position >= positions_.size()) return;
  if (!positions_[position].known) {
    // Closed before its first levels (what a full exit left, closed by a trader at once):
    // a release waiting for its stop (on_release) need not wait any more.
    positions_[position].engine_flat = true;
    return;
  }
  positions_[position].engine_flat = true;
  positions_[position].awaiting_release = false;
  maybe_release(position);
}

// Found by the fault soak: the new position's first stop can be refused (a 503) and placed
// on the retry; the old stop, cancelled at once, left the rest 100 ms without one. It waits
// for the new one to stand (on_timer looks again), however long: it protects the rest too.
void OrderGateway::on_release(std::uint32_t position, std::uint32_t after) {
  if (position >= positions_.size() || !positions_[position].known) return;
  if (settings_.hard_stops && after < positions_.size() && !positions_[after].engine_flat &&
      !hard_.protected_now(after)) {
    releases_waiting_.push_back({position, after});
    return;
  }
  positions_[position].awaiting_release = false;
  maybe_release(position);
}

void OrderGateway::offer_engine_stop(std::uint32_t position, bool use_spare) {
  const PositionInfo& p = positions_[position];
  if (!settings_.hard_stops || !p.known || p.engine_flat || !p.engine_stop.is_positive()) return;
  if (written_records_ && hard_.protected_now(position) &&
      written_records_->load(std::memory_order_acquire) < p.move_after_record)
    return;  // a move, and the journal is behind it: on_timer offers it again
  run_stops(hard_.on_engine_stop(position, p.side, p.engine_stop,
                                 symbols_.filters(p.symbol).tick_size, wall_clock_ms(), use_spare));
}

// The position is flat for the engine and no exit is pending: its hard stop can go.
void OrderGateway::maybe_release(std::uint32_t position) {
  PositionInfo& p = positions_[position];
  if (!p.engine_flat || p.awaiting_release || p.stop_cancel_sent || tracker_.in_flight(position) ||
      tracker_.waiting(position).is_positive())
    return;
  p.stop_cancel_sent = true;
  if (settings_.hard_stops) run_stops(hard_.on_position_closed(position));
}

// ---- exits ---------------------------------------------------------------------------------

void OrderGateway::run_exit(std::optional<TrackerCommand> c) {
  while (c) {
    switch (c->kind) {
      case TrackerCommandKind::kSend: {
        const std::int64_t wait = std::max(c->after_backoff ? settings_.retry_delay_ms : 0,
                                           wait_for_limits_ms(kOrderCost));
        if (wait > 0) {
          defer_exit(*c, wait);
          return;
        }
        c = send_exit(*c);
        break;
      }
      case TrackerCommandKind::kLookup: {
        const std::int64_t wait = std::max(c->after_backoff ? settings_.lookup_delay_ms : 0,
                                           wait_for_limits_ms(kQueryCost));
        if (wait > 0) {
          defer_exit(*c, wait);
          return;
        }
        c = lookup_exit(*c);
        break;
      }
      case TrackerCommandKind::kAlert:
        alert(c->position, "exit_failed", c->reason, last_error_code_);
        c.reset();
        break;
    }
  }
  // An exit that finished may leave the position flat.
  for (std::uint32_t i = 0; i < positions_.size(); ++i)
    if (positions_[i].known && positions_[i].engine_flat && !positions_[i].stop_cancel_sent)
      maybe_release(i);
}

std::optional<TrackerCommand> OrderGateway::send_exit(const TrackerCommand& c) {
  PositionInfo& p = positions_[c.position];
  const ClientId id = ClientId::for_exit(position_key(c.position), c.order_seq);
  query_.clear();
  write_exit_order(query_, symbols_.name(p.symbol), p.side, c.qty, id, settings_.mode, timing());
  query_.sign(signer_);
  if (!query_.ok()) {
    alert(c.position, "exit_query_overflow", ErrorAction::kOurBug, 0);
    return tracker_.on_error(c.position, c.order_seq, ErrorAction::kOurBug);
  }
  const RestReply& r = send(HttpMethod::kPost, "/fapi/v1/order", kOrderCost);
  LatencyStamps stamps = p.stamps;
  stamps.order_out = r.bytes_out;
  OrderRecord sent;
  sent.kind = OrderRecordKind::kExitSent;
  sent.time = wall_clock_ms();
  sent.position = c.position;
  sent.seq = c.order_seq;
  sent.symbol = p.symbol;
  sent.side = p.side;
  sent.qty = c.qty;
  sent.http_status = r.status;
  sent.ok = r.outcome == RestReply::Outcome::kAnswered && r.status == 200;
  sent.stamps = stamps;
  if (r.outcome != RestReply::Outcome::kNotSent) {
    log_order(sent);
    if (exit_latency_) exit_latency_->record(stamps);
  }
  p.stamps = {};

  if (r.outcome == RestReply::Outcome::kNotSent)
    return tracker_.on_error(c.position, c.order_seq, ErrorAction::kRetryBackoff);
  if (r.outcome == RestReply::Outcome::kUnknown)
    return tracker_.on_error(c.position, c.order_seq, ErrorAction::kUnknownOutcome);
  int code = 0;
  const ErrorAction action = classify(r, code);
  if (action != ErrorAction::kNone) {
    record(OrderRecordKind::kExitDone, c.position, c.order_seq, c.qty, Price{}, &r, false, code);
    if (action == ErrorAction::kResyncClock) resync_clock();
    return tracker_.on_error(c.position, c.order_seq, action);
  }
  OrderAnswer answer;
  if (!parser_.parse_order(r.body, answer))
    return tracker_.on_error(c.position, c.order_seq, ErrorAction::kUnknownOutcome);
  if (!is_final(answer.status)) {  // acknowledged, not yet filled: ask again shortly
    defer_exit(TrackerCommand{TrackerCommandKind::kLookup, c.position, c.order_seq, c.qty, false,
                              ErrorAction::kNone},
               settings_.lookup_delay_ms);
    return std::nullopt;
  }
  record(OrderRecordKind::kExitDone, c.position, c.order_seq, answer.executed_qty, answer.avg_price,
         &r, answer.status == RestOrderStatus::kFilled, 0);
  return tracker_.on_final(c.position, c.order_seq, answer.executed_qty);
}

const RestReply& OrderGateway::query_exit(SymbolId symbol, const ClientId& id) {
  const RequestTiming t = timing();
  query_.clear();
  query_.add("symbol", symbols_.name(symbol)).add("origClientOrderId", id.view());
  query_.add("recvWindow", t.recv_window).add("timestamp", t.timestamp).sign(signer_);
  return send(HttpMethod::kGet, "/fapi/v1/order", kQueryCost);
}

std::optional<TrackerCommand> OrderGateway::lookup_exit(const TrackerCommand& c) {
  const RestReply& r = query_exit(positions_[c.position].symbol,
                                  ClientId::for_exit(position_key(c.position), c.order_seq));
  int code = 0;
  if (r.outcome == RestReply::Outcome::kAnswered) {
    const ErrorAction action = classify(r, code);
    OrderAnswer answer;
    if (action == ErrorAction::kNone && parser_.parse_order(r.body, answer)) {
      const bool final = is_final(answer.status);
      record(OrderRecordKind::kExitLookup, c.position, c.order_seq, answer.executed_qty,
             answer.avg_price, &r, true, 0);
      if (final) {
        record(OrderRecordKind::kExitDone, c.position, c.order_seq, answer.executed_qty,
               answer.avg_price, &r, answer.status == RestOrderStatus::kFilled, 0);
        return tracker_.on_lookup(c.position, c.order_seq, LookupStatus::kFinal,
                                  answer.executed_qty);
      }
      return tracker_.on_lookup(c.position, c.order_seq, LookupStatus::kOpen, Qty{});
    }
    if (code == kOrderDoesNotExist) {
      record(OrderRecordKind::kExitLookup, c.position, c.order_seq, Qty{}, Price{}, &r, false,
             code);
      return tracker_.on_lookup(c.position, c.order_seq, LookupStatus::kNotFound, Qty{});
    }
    if (action == ErrorAction::kResyncClock) resync_clock();
  }
  // No answer, or an answer that says nothing about the order: ask again later.
  defer_exit(c, settings_.retry_delay_ms);
  return std::nullopt;
}

void OrderGateway::defer_exit(const TrackerCommand& c, std::int64_t delay_ms) {
  Deferred d;
  d.due = mono_now_ns() + delay_ms * 1'000'000;
  d.is_exit = true;
  d.exit = c;
  d.exit.after_backoff = false;
  deferred_.push_back(d);
}

// ---- hard stops ----------------------------------------------------------------------------

void OrderGateway::run_stops(const HardStopCommands& cs) {
  for (std::uint8_t i = 0; i < cs.count; ++i) run_stop(cs.items[i]);
}

void OrderGateway::run_stop(const HardStopCommand& c) {
  if (c.kind != HardStopCommandKind::kAlert && c.kind != HardStopCommandKind::kNoRoom) {
    const std::int64_t wait =
        wait_for_limits_ms(c.kind == HardStopCommandKind::kPlace ? kOrderCost : kQueryCost);
    if (wait > 0) return defer_stop(c, wait);
  }
  switch (c.kind) {
    case HardStopCommandKind::kPlace:
      run_stops(place_stop(c));
      break;
    case HardStopCommandKind::kLookup:
      run_stops(lookup_stop(c));
      break;
    case HardStopCommandKind::kCancel:
      cancel_stop(c);
      break;
    case HardStopCommandKind::kAlert:
      alert(c.position, "hard_stop_failed", c.reason, last_error_code_);
      break;
    case HardStopCommandKind::kNoRoom:
      request_share_out();
      break;
  }
}

HardStopCommands OrderGateway::place_stop(const HardStopCommand& c) {
  const PositionInfo& p = positions_[c.position];
  const ClientId id = stop_id(c.position, c.stop_seq);
  query_.clear();
  write_hard_stop(query_, symbols_.name(p.symbol), p.side, c.trigger, id, settings_.mode, timing());
  query_.sign(signer_);
  const RestReply& r = send(HttpMethod::kPost, "/fapi/v1/algoOrder", kOrderCost);
  if (r.outcome == RestReply::Outcome::kNotSent)
    return hard_.on_place_failed(c.position, c.stop_seq, ErrorAction::kRetryBackoff);
  if (r.outcome == RestReply::Outcome::kUnknown)
    return hard_.on_place_failed(c.position, c.stop_seq, ErrorAction::kUnknownOutcome);
  int code = 0;
  const ErrorAction action = classify(r, code);
  if (action != ErrorAction::kNone) {
    record(OrderRecordKind::kHardStopPlaced, c.position, c.stop_seq, Qty{}, c.trigger, &r, false,
           code);
    if (code == kStopOrderLimit) {  // never retried as it is: the stops are shared out
      on_stop_limit(c, code);
      return {};
    }
    if (action == ErrorAction::kResyncClock) resync_clock();
    return hard_.on_place_failed(c.position, c.stop_seq, action);
  }
  record(OrderRecordKind::kHardStopPlaced, c.position, c.stop_seq, Qty{}, c.trigger, &r, true, 0);
  return hard_.on_placed(c.position, c.stop_seq);
}

HardStopCommands OrderGateway::lookup_stop(const HardStopCommand& c) {
  const ClientId id = stop_id(c.position, c.stop_seq);
  const RequestTiming t = timing();
  query_.clear();
  query_.add("clientAlgoId", id.view());
  query_.add("recvWindow", t.recv_window).add("timestamp", t.timestamp).sign(signer_);
  const RestReply& r = send(HttpMethod::kGet, "/fapi/v1/algoOrder", kQueryCost);
  if (r.outcome == RestReply::Outcome::kAnswered) {
    int code = 0;
    const ErrorAction action = classify(r, code);
    AlgoOrderAnswer answer;
    if (action == ErrorAction::kNone && parser_.parse_algo_order(r.body, answer)) {
      // Placed after all (an unknown answer that executed): said and journalled as placed.
      if (answer.status == AlgoStatus::kNew)
        record(OrderRecordKind::kHardStopPlaced, c.position, c.stop_seq, Qty{}, c.trigger, &r, true,
               0);
      return hard_.on_place_lookup(c.position, c.stop_seq, answer.status == AlgoStatus::kNew);
    }
    if (code == kOrderDoesNotExist || code == kUnknownOrderSent)
      return hard_.on_place_lookup(c.position, c.stop_seq, false);
  }
  defer_stop(c, settings_.retry_delay_ms);
  return {};
}

void OrderGateway::cancel_stop(const HardStopCommand& c) {
  const PositionInfo& p = positions_[c.position];
  const ClientId id = stop_id(c.position, c.stop_seq);
  const RequestTiming t = timing();
  query_.clear();
  query_.add("symbol", symbols_.name(p.symbol)).add("clientAlgoId", id.view());
  query_.add("recvWindow", t.recv_window).add("timestamp", t.timestamp).sign(signer_);
  const RestReply& r = send(HttpMethod::kDelete, "/fapi/v1/algoOrder", kQueryCost);
  int code = 0;
  if (r.outcome == RestReply::Outcome::kAnswered) {
    const ErrorAction action = classify(r, code);
    // Done, or already gone (triggered, expired): either way it no longer stands.
    if (action == ErrorAction::kNone || code == kUnknownOrderSent || code == kOrderDoesNotExist) {
      record(OrderRecordKind::kHardStopCancelled, c.position, c.stop_seq, Qty{}, c.trigger, &r,
             true, code);
      if (code == kUnknownOrderSent) look_for_stop_fill(c);
      hard_.on_cancelled(c.position, c.stop_seq);
      // A stop freed: a position that had to go without may have it now.
      if (!sharing_out_ && share_out_due_ns_ == 0 && withheld_positions() > 0) request_share_out();
      return;
    }
    if (action == ErrorAction::kResyncClock) resync_clock();
  }
  defer_stop(c, settings_.retry_delay_ms);
}

void OrderGateway::stop_filled(std::uint32_t position, std::uint32_t seq, Qty qty, Price price,
                               TimeMs time) {
  PositionInfo& p = positions_[position];
  if (p.stop_fill_seq == seq || !qty.is_positive()) return;  // said once already
  p.stop_fill_seq = seq;
  const OrderRecord r =
      order_record(OrderRecordKind::kHardStopTriggered, position, seq, qty, price, time);
  log_order(r);
  closed(position, seq, r.qty, r.price, true, time);
}

// Found by the fault soak: a hard stop that fired while the user stream was down has no
// ALGO_UPDATE; its fill never reached trade.closed or the day's PnL. Our cancel, once the
// position is flat, finds it gone (-2011): GET algoOrder says whether it fired and which
// order it became, GET order what that order filled.
void OrderGateway::look_for_stop_fill(const HardStopCommand& c) {
  const PositionInfo& p = positions_[c.position];
  if (p.stop_fill_seq == c.stop_seq) return;
  RequestTiming t = timing();
  query_.clear();
  query_.add("clientAlgoId", stop_id(c.position, c.stop_seq).view());
  query_.add("recvWindow", t.recv_window).add("timestamp", t.timestamp).sign(signer_);
  const RestReply& r = send(HttpMethod::kGet, "/fapi/v1/algoOrder", kQueryCost);
  int code = 0;
  AlgoOrderAnswer algo;
  if (r.outcome != RestReply::Outcome::kAnswered || classify(r, code) != ErrorAction::kNone ||
      !parser_.parse_algo_order(r.body, algo) || algo.status != AlgoStatus::kFinished ||
      algo.actual_order_id == 0)
    return;
  t = timing();
  query_.clear();
  query_.add("symbol", symbols_.name(p.symbol)).add("orderId", algo.actual_order_id);
  query_.add("recvWindow", t.recv_window).add("timestamp", t.timestamp).sign(signer_);
  const RestReply& o = send(HttpMethod::kGet, "/fapi/v1/order", kQueryCost);
  OrderAnswer answer;
  if (o.outcome != RestReply::Outcome::kAnswered || classify(o, code) != ErrorAction::kNone ||
      !parser_.parse_order(o.body, answer))
    return;
  stop_filled(c.position, c.stop_seq, answer.executed_qty,
              answer.avg_price.is_positive() ? answer.avg_price : algo.trigger_price,
              algo.update_time != 0 ? algo.update_time : wall_clock_ms());
}

void OrderGateway::defer_stop(const HardStopCommand& c, std::int64_t delay_ms) {
  Deferred d;
  d.due = mono_now_ns() + delay_ms * 1'000'000;
  d.is_exit = false;
  d.stop = c;
  deferred_.push_back(d);
}

// ---- feedback and timers -------------------------------------------------------------------

void OrderGateway::on_user_event(const UserEvent& e) {
  if (e.kind == UserEventKind::kOrder) {
    const auto parts = parse_client_id(e.order.client_id.view());
    if (!parts || parts->hard_stop) return;
    const std::uint32_t position = static_cast<std::uint32_t>(parts->position_key & 0xFFFFF);
    if ((parts->position_key >> 20) != settings_.run_key || position >= positions_.size())
      return;  // an order of an earlier run
    if (is_final(e.order.status)) {
      // For the journal's trail (the event log has the REST answer's line).
      journal_exit_done(position, parts->seq, e.order.cumulative_filled, e.order.average_price,
                        e.event_time, 0);
      // Late duplicates of a REST answer are ignored by the tracker.
      run_exit(tracker_.on_final(position, parts->seq, e.order.cumulative_filled));
    }
    return;
  }
  if (e.kind == UserEventKind::kAlgo) {
    const auto parts = parse_client_id(e.algo.client_algo_id.view());
    if (!parts || !parts->hard_stop) return;
    const std::uint32_t position = static_cast<std::uint32_t>(parts->position_key & 0xFFFFF);
    if (position >= positions_.size()) return;
    // Ours: this run's, or an earlier run's stop taken over at start-up.
    if ((parts->position_key >> 20) != settings_.run_key &&
        parts->position_key != positions_[position].adopted_key)
      return;
    // FINISHED: the order the stop became has filled (TRIGGERED before it has no fill yet).
    if (e.algo.status == AlgoStatus::kFinished) {
      stop_filled(position, parts->seq, e.algo.executed,
                  e.algo.average_price.is_positive() ? e.algo.average_price : e.algo.trigger,
                  e.event_time);
      return;
    }
    // Gone without our cancel (someone cancelled it by hand, it expired or was rejected):
    // the position is naked until a new stop stands, so one is placed at once.
    if (e.algo.status == AlgoStatus::kCanceled || e.algo.status == AlgoStatus::kExpired ||
        e.algo.status == AlgoStatus::kRejected) {
      if (!hard_.on_gone(position, parts->seq)) return;
      const PositionInfo& p = positions_[position];
      event_log_.text(std::string(R"("event":"alert","alert":"hard_stop_lost","position":)") +
                      std::to_string(position) + R"(,"symbol":")" +
                      std::string(symbols_.name(p.symbol)) + R"(","side":")" +
                      std::string(to_string(p.side)) + R"(","seq":)" + std::to_string(parts->seq) +
                      R"(,"status":")" +
                      (e.algo.status == AlgoStatus::kCanceled  ? "CANCELED"
                       : e.algo.status == AlgoStatus::kExpired ? "EXPIRED"
                                                               : "REJECTED") +
                      R"(","note":"not cancelled by exitbrain: a new hard stop is placed now")");
      offer_engine_stop(position);
    }
  }
}

void OrderGateway::on_timer() {
  const MonoNs now = mono_now_ns();
  // Take what is due first: serving it may defer new work.
  std::size_t n = 0;
  Deferred due[16];
  for (auto it = deferred_.begin(); it != deferred_.end() && n < 16;) {
    if (it->due <= now) {
      due[n++] = *it;
      it = deferred_.erase(it);
    } else {
      ++it;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (due[i].is_exit)
      run_exit(due[i].exit);
    else
      run_stop(due[i].stop);
  }
  // The server-time offset drifts: sample it again now and then (and after a -1021). An
  // idle kept-alive connection is also used every 30 s, so the exchange does not close it
  // and the next exit does not pay for a new connection (or meet a dead one).
  if (clock_.needs_resync(wall_clock_ms()) || now - last_request_ns_ > 30'000'000'000)
    resync_clock();
  if (share_out_due_ns_ != 0 && now >= share_out_due_ns_) share_out();
  if (recount_due_ns_ != 0 && now >= recount_due_ns_) recount_algo_orders();
  for (std::size_t i = 0; i < releases_waiting_.size();) {
    const auto [position, after] = releases_waiting_[i];
    if (positions_[after].engine_flat || hard_.protected_now(after)) {
      releases_waiting_.erase(releases_waiting_.begin() + static_cast<std::ptrdiff_t>(i));
      on_release(position, kNoAfter);
    } else {
      ++i;
    }
  }
  // Throttled or refused stop moves are offered again.
  for (std::uint32_t i = 0; i < positions_.size(); ++i)
    if (positions_[i].known && !positions_[i].engine_flat) offer_engine_stop(i);
  publish_gauges();
}

const RestReply& OrderGateway::send(HttpMethod method, std::string_view path,
                                    const RequestCost& cost) {
  if (settings_.shadow && method != HttpMethod::kGet) {
    // Whatever path asks (an exit, a stop, a start-up cancel): nothing that changes the
    // account is sent in shadow mode. The line says what would have gone.
    std::string_view q = query_.view();
    if (const auto at = q.find("signature="); at != std::string_view::npos)
      q = q.substr(0, at > 0 ? at - 1 : 0);
    event_log_.text(std::string(R"("event":"shadow","would":"send","request":")") +
                    to_string(method) + " " + std::string(path) + R"(","params":)" +
                    JsonLine::quote(q));
    shadow_reply_ = RestReply{};
    shadow_reply_.outcome = RestReply::Outcome::kNotSent;
    shadow_reply_.error = "shadow mode: not sent";
    return shadow_reply_;
  }
  ++requests_;
  last_request_ns_ = mono_now_ns();
  limits_.on_request_sent(clock_.server_now(wall_clock_ms()), cost);
  const RestReply& r = rest_.request(method, path, query_.view(), true);
  if (r.outcome != RestReply::Outcome::kAnswered) return r;
  std::array<HttpHeaderView, 8> headers{};
  std::size_t n = 0;
  for (const auto& h : r.headers)
    if (n < headers.size()) headers[n++] = HttpHeaderView{h.name, h.value};
  limits_.on_response(clock_.server_now(wall_clock_ms()), r.status, {headers.data(), n});
  return r;
}

std::int64_t OrderGateway::wait_for_limits_ms(const RequestCost& cost) const {
  // Exits and hard stops are essential: they may use the weight kept in reserve, but they
  // respect a 429 back-off and a 418 ban (sending then would only extend them).
  const TimeMs now = clock_.server_now(wall_clock_ms());
  return std::max<std::int64_t>(limits_.not_before(now, cost, true) - now, 0);
}

void OrderGateway::resync_clock() {
  last_request_ns_ = mono_now_ns();
  const TimeMs sent = wall_clock_ms();
  const RestReply& r = rest_.request(HttpMethod::kGet, "/fapi/v1/time", {}, false);
  TimeMs server = 0;
  if (r.outcome == RestReply::Outcome::kAnswered && r.status == 200 &&
      parser_.parse_server_time(r.body, server))
    clock_.add_sample(sent, server, wall_clock_ms());
}

ErrorAction OrderGateway::classify(const RestReply& r, int& code) {
  ErrorBody body;
  const ErrorAction action = parser_.classify_response(r.status, r.body, &body);
  code = body.code;
  last_error_code_ = body.code;  // for the alert that may follow
  last_error_msg_.assign(body.msg());
  if (action == ErrorAction::kResyncClock) clock_.on_timestamp_rejected();
  return action;
}

void OrderGateway::record(OrderRecordKind kind, std::uint32_t position, std::uint32_t seq, Qty qty,
                          Price price, const RestReply* r, bool ok, int code) {
  OrderRecord rec = order_record(kind, position, seq, qty, price, wall_clock_ms());
  rec.http_status = r ? r->status : 0;
  rec.error_code = code;
  rec.ok = ok;
  log_order(rec);
  if (kind == OrderRecordKind::kExitDone || kind == OrderRecordKind::kHardStopPlaced ||
      kind == OrderRecordKind::kHardStopCancelled)
    count_answer(!ok);
  // An error answer carries the requested quantity, not an executed one: only an answered
  // fill is a closed trade (found by the fault soak: a 503, 418 or -2022 answer was
  // published to trade.closed at price 0 and counted as a loss for the daily limit).
  const bool answered = rec.http_status == 200 || rec.http_status == 0;
  if (kind == OrderRecordKind::kExitDone && answered && qty.is_positive() && price.is_positive())
    closed(position, seq, qty, price, false, rec.time);
}

OrderRecord OrderGateway::order_record(OrderRecordKind kind, std::uint32_t position,
                                       std::uint32_t seq, Qty qty, Price price,
                                       TimeMs time) const noexcept {
  const PositionInfo& p = positions_[position];
  OrderRecord rec;
  rec.kind = kind;
  rec.time = time;
  rec.position = position;
  rec.seq = seq;
  rec.symbol = p.symbol;
  rec.side = p.side;
  rec.qty = qty;
  rec.price = price;
  // A stop of an earlier run taken over at start-up: its records name that run, so the
  // journal's trail matches them to the stop standing (S15: a fill recorded under this
  // run's key matched nothing, and every later restart looked the stop up again and
  // published its fill again).
  const bool stop_record = kind == OrderRecordKind::kHardStopPlaced ||
                           kind == OrderRecordKind::kHardStopCancelled ||
                           kind == OrderRecordKind::kHardStopTriggered;
  if (stop_record && p.adopted_key != 0 && seq == p.adopted_seq) rec.run_key = p.adopted_key >> 20;
  return rec;
}

void OrderGateway::closed(std::uint32_t position, std::uint32_t seq, Qty qty, Price price,
                          bool hard_stop, TimeMs time) {
  const PositionInfo& p = positions_[position];
  const double pnl = (price - p.entry).to_double() * qty.to_double() * side_sign(p.side);
  // The daily realised-loss limit counts per UTC day.
  const std::int64_t day = time / 86'400'000;
  if (gauges_.pnl_day.load(std::memory_order_relaxed) != day) {
    gauges_.pnl_day.store(day, std::memory_order_relaxed);
    gauges_.realised_pnl_today.store(0, std::memory_order_relaxed);
  }
  gauges_.realised_pnl_today.store(gauges_.realised_pnl_today.load(std::memory_order_relaxed) + pnl,
                                   std::memory_order_relaxed);
  if (!closed_out_) return;
  ClosedTrade t;
  t.time = time;
  t.symbol = p.symbol;
  t.side = p.side;
  t.qty = qty;
  t.price = price;
  t.realized_pnl = pnl;
  t.hard_stop = hard_stop;
  t.reason = p.last_exit_reason;
  const ClientId id =
      hard_stop ? stop_id(position, seq) : ClientId::for_exit(position_key(position), seq);
  const std::string_view v = id.view();
  std::copy(v.begin(), v.end(), t.client_id.begin());
  if (!closed_out_->try_push(t)) ++closed_not_queued_;
}

// ---- entries -------------------------------------------------------------------------------

void OrderGateway::entry_alert(const EntryOrder& e, const char* what, const RestReply& r,
                               int code) {
  count_answer(true);
  event_log_.text(std::string(R"("event":"alert","alert":")") + what + R"(","symbol":")" +
                  std::string(symbols_.name(e.symbol)) + R"(","intent_id":")" +
                  std::to_string(e.intent_ms) + "-" + std::to_string(e.intent_seq) +
                  R"(","http_status":)" + std::to_string(r.status) + R"(,"code":)" +
                  std::to_string(code) + R"(,"msg":)" +
                  JsonLine::quote(code != 0 ? std::string_view(last_error_msg_) : ""));
}

// Found by the fault soak (S6): the engine may not know a position yet (its account event
// on the way, the user stream reconnecting), and in one-way mode an entry against one nets
// or flips it (a SELL 20.7 on a trader's LONG 2 made a SHORT 18.7). What stands on the
// symbol is asked right before the entry: weight 5, and entries wait for nobody.
bool OrderGateway::symbol_free_for_entry(const EntryOrder& e, const std::string& what) {
  const RequestTiming t = timing();
  query_.clear();
  query_.add("symbol", symbols_.name(e.symbol));
  query_.add("recvWindow", t.recv_window).add("timestamp", t.timestamp).sign(signer_);
  const RestReply& r = send(HttpMethod::kGet, "/fapi/v3/positionRisk", kSymbolPositionCost);
  int code = 0;
  if (r.outcome != RestReply::Outcome::kAnswered || classify(r, code) != ErrorAction::kNone ||
      !parser_.parse_positions(r.body, risk_, true)) {
    entry_alert(e, "entry_position_check_failed", r, code);
    return false;
  }
  for (const PositionRisk& pr : risk_) {
    if (symbols_.find(pr.symbol) != e.symbol || pr.amount.is_zero()) continue;
    if (settings_.mode == PositionMode::kOneWay || side_of(pr) == e.side) {
      event_log_.text(
          R"("event":"alert","alert":"entry_refused","reason":"the exchange shows a position on this symbol: )" +
          to_string(pr.amount) + R"(",)" + what);
      return false;
    }
  }
  return true;
}

void OrderGateway::on_entry(const EntryOrder& e) {
  const std::string_view symbol = symbols_.name(e.symbol);
  const ClientId id = ClientId::for_entry(e.intent_ms, e.intent_seq);
  const std::string what = R"("symbol":")" + std::string(symbol) + R"(","side":")" +
                           std::string(to_string(e.side)) + R"(","qty":)" + to_string(e.qty) +
                           R"(,"leverage":)" + std::to_string(e.leverage) +
                           R"(,"client_order_id":")" + std::string(id.view()) + "\"";
  // An entry is not essential the way an exit is: it waits for nobody and never spends
  // the weight kept in reserve for exits.
  const TimeMs now = clock_.server_now(wall_clock_ms());
  if (limits_.not_before(now, kOrderCost, false) > now) {
    event_log_.text(R"("event":"alert","alert":"entry_rate_limited",)" + what);
    return;
  }
  if (!symbol_free_for_entry(e, what)) return;
  RequestTiming t = timing();
  query_.clear();
  query_.add("symbol", symbol).add("leverage", static_cast<std::int64_t>(e.leverage));
  query_.add("recvWindow", t.recv_window).add("timestamp", t.timestamp).sign(signer_);
  const RestReply& lr = send(HttpMethod::kPost, "/fapi/v1/leverage", kQueryCost);
  int code = 0;
  if (lr.outcome != RestReply::Outcome::kAnswered || classify(lr, code) != ErrorAction::kNone) {
    // Without the intended leverage the entry's margin would be wrong: no entry.
    entry_alert(e, "entry_leverage_failed", lr, code);
    return;
  }
  t = timing();
  query_.clear();
  write_entry_order(query_, symbol, e.side, e.qty, id, settings_.mode, t);
  query_.sign(signer_);
  const RestReply& r = send(HttpMethod::kPost, "/fapi/v1/order", kOrderCost);
  OrderAnswer answer;
  auto journal_sent = [&](bool looked_up) {
    event_log_.text(R"("event":"entry_sent",)" + what + R"(,"status":")" +
                    std::string(to_string(answer.status)) + R"(","executed_qty":)" +
                    to_string(answer.executed_qty) + R"(,"avg_price":)" +
                    to_string(answer.avg_price) + (looked_up ? R"(,"looked_up":true)" : ""));
  };
  if (r.outcome == RestReply::Outcome::kAnswered) {
    const ErrorAction action = classify(r, code);
    // A 503 "unknown" may have executed: it is looked up below like a timeout.
    if (action != ErrorAction::kNone && action != ErrorAction::kUnknownOutcome) {
      entry_alert(e, "entry_failed", r, code);
      return;
    }
    if (action == ErrorAction::kNone && parser_.parse_order(r.body, answer)) {
      journal_sent(false);
      return;
    }
  }
  if (r.outcome == RestReply::Outcome::kNotSent) {
    entry_alert(e, "entry_not_sent", r, 0);
    return;
  }
  // Unknown outcome: look it up by its id; never send it again.
  t = timing();
  query_.clear();
  query_.add("symbol", symbol).add("origClientOrderId", id.view());
  query_.add("recvWindow", t.recv_window).add("timestamp", t.timestamp).sign(signer_);
  const RestReply& q = send(HttpMethod::kGet, "/fapi/v1/order", kQueryCost);
  if (q.outcome == RestReply::Outcome::kAnswered && classify(q, code) == ErrorAction::kNone &&
      parser_.parse_order(q.body, answer)) {
    journal_sent(true);
    return;
  }
  entry_alert(e, code == kOrderDoesNotExist ? "entry_not_placed" : "entry_outcome_unknown", q,
              code);
}

// ---- start-up reconciliation --------------------------------------------------------------

ClientId OrderGateway::stop_id(std::uint32_t position, std::uint32_t seq) const noexcept {
  const PositionInfo& p = positions_[position];
  if (p.adopted_key != 0 && seq == p.adopted_seq)
    return ClientId::for_hard_stop(p.adopted_key, seq);
  return ClientId::for_hard_stop(position_key(position), seq);
}

void OrderGateway::log_order(const OrderRecord& r) noexcept {
  event_log_.order(r);
  if (!journal_) return;
  StateRecord rec;
  rec.kind = StateRecordKind::kOrder;
  rec.order = r;
  rec.order.stamps = {};
  journal_->push(rec);
}

void OrderGateway::journal_exit_done(std::uint32_t position, std::uint32_t seq, Qty executed,
                                     Price price, TimeMs time, std::uint64_t run_key) noexcept {
  if (!journal_) return;
  StateRecord rec;
  rec.kind = StateRecordKind::kOrder;
  rec.order.kind = OrderRecordKind::kExitDone;
  rec.order.time = time;
  rec.order.position = position;
  rec.order.seq = seq;
  rec.order.symbol = positions_[position].symbol;
  rec.order.side = positions_[position].side;
  rec.order.qty = executed;
  rec.order.price = price;
  rec.order.run_key = run_key;
  journal_->push(rec);
}

void OrderGateway::restore_position(std::uint32_t position, SymbolId symbol, Side side, Price entry,
                                    Price engine_stop, bool engine_flat, bool awaiting_release) {
  if (position >= positions_.size()) return;
  PositionInfo& p = positions_[position];
  p.known = true;
  p.symbol = symbol;
  p.side = side;
  p.entry = entry;
  p.engine_stop = engine_stop;
  p.engine_flat = engine_flat;
  p.awaiting_release = awaiting_release;
}

OrderGateway::StartupLookup OrderGateway::lookup_earlier_exit(std::uint32_t position,
                                                              std::uint64_t run_key,
                                                              std::uint32_t seq) {
  StartupLookup out;
  const ClientId id = ClientId::for_exit((run_key << 20) | position, seq);
  const RestReply& r = query_exit(positions_[position].symbol, id);
  if (r.outcome != RestReply::Outcome::kAnswered) return out;
  int code = 0;
  const ErrorAction action = classify(r, code);
  OrderAnswer answer;
  if (action == ErrorAction::kNone && parser_.parse_order(r.body, answer)) {
    out.answered = true;
    out.status = is_final(answer.status) ? LookupStatus::kFinal : LookupStatus::kOpen;
    out.executed = answer.executed_qty;
    event_log_.text(R"("event":"exit_lookup_at_start","position":)" + std::to_string(position) +
                    R"(,"client_order_id":")" + std::string(id.view()) + R"(","status":")" +
                    std::string(to_string(answer.status)) + R"(","executed_qty":)" +
                    to_string(answer.executed_qty));
    // The trail learns it too: the journal says what the exchange did.
    if (out.status == LookupStatus::kFinal)
      journal_exit_done(position, seq, answer.executed_qty, answer.avg_price, wall_clock_ms(),
                        run_key);
  } else if (code == kOrderDoesNotExist) {
    out.answered = true;
    out.status = LookupStatus::kNotFound;
    event_log_.text(R"("event":"exit_lookup_at_start","position":)" + std::to_string(position) +
                    R"(,"client_order_id":")" + std::string(id.view()) +
                    R"(","status":"NOT_FOUND")");
  }
  return out;
}

void OrderGateway::exit_owed(std::uint32_t position, Qty qty) {
  PositionInfo& p = positions_[position];
  if (!p.known || !qty.is_positive()) return;
  run_exit(tracker_.on_exit(position, qty));
}

void OrderGateway::adopt_hard_stop(std::uint32_t position, std::uint64_t run_key, std::uint32_t seq,
                                   Price trigger) {
  PositionInfo& p = positions_[position];
  p.adopted_key = (run_key << 20) | position;  // the full key of its client id
  p.adopted_seq = seq;
  hard_.adopt(position, p.side, seq, trigger, wall_clock_ms());
  // The journal's trail learns it stands (the next restart may have to look it up).
  if (journal_) {
    StateRecord rec;
    rec.kind = StateRecordKind::kOrder;
    rec.order = order_record(OrderRecordKind::kHardStopPlaced, position, seq, Qty{}, trigger,
                             wall_clock_ms());
    rec.order.ok = true;
    rec.order.run_key = run_key;
    journal_->push(rec);
  }
}

// Found by the fault soak (S8): a position closed while exitbrain was down, its stop gone
// with it. If the stop fired, its fill is recorded and published once, as if seen live.
void OrderGateway::find_stop_fill_at_start(std::uint32_t position, std::uint64_t run_key,
                                           std::uint32_t seq) {
  if (position >= positions_.size() || !positions_[position].known || seq == 0) return;
  PositionInfo& p = positions_[position];
  p.adopted_key = (run_key << 20) | position;
  p.adopted_seq = seq;
  HardStopCommand c;
  c.position = position;
  c.stop_seq = seq;
  look_for_stop_fill(c);
}

void OrderGateway::protect_now(std::uint32_t position) {
  if (!hard_.protected_now(position)) offer_engine_stop(position);
}

Price OrderGateway::hard_stop_trigger_for(std::uint32_t position) const noexcept {
  const PositionInfo& p = positions_[position];
  return hard_stop_trigger(p.side, p.engine_stop, settings_.hard_stop_policy.buffer,
                           symbols_.filters(p.symbol).tick_size);
}

bool OrderGateway::cancel_algo_by_id(SymbolId symbol, std::string_view client_algo_id) {
  const RequestTiming t = timing();
  query_.clear();
  query_.add("symbol", symbols_.name(symbol)).add("clientAlgoId", client_algo_id);
  query_.add("recvWindow", t.recv_window).add("timestamp", t.timestamp).sign(signer_);
  const RestReply& r = send(HttpMethod::kDelete, "/fapi/v1/algoOrder", kQueryCost);
  if (r.outcome != RestReply::Outcome::kAnswered) return false;
  int code = 0;
  const ErrorAction action = classify(r, code);
  return action == ErrorAction::kNone || code == kUnknownOrderSent || code == kOrderDoesNotExist;
}

void OrderGateway::hold(std::uint32_t position) noexcept {
  positions_[position].held = true;
}

void OrderGateway::alert(std::uint32_t position, const char* what, ErrorAction action, int code) {
  const PositionInfo& p = positions_[position];
  event_log_.text(std::string("\"event\":\"alert\",\"alert\":\"") + what +
                  "\",\"position\":" + std::to_string(position) + ",\"symbol\":\"" +
                  std::string(symbols_.name(p.symbol)) + "\",\"action\":\"" + to_string(action) +
                  "\",\"code\":" + std::to_string(code) + ",\"msg\":" +
                  JsonLine::quote(code != 0 ? std::string_view(last_error_msg_) : ""));
}

// ---- gauges for the operations thread -----------------------------------------------------

void OrderGateway::set_realised_today(std::int64_t day, double pnl) noexcept {
  gauges_.pnl_day.store(day, std::memory_order_relaxed);
  gauges_.realised_pnl_today.store(pnl, std::memory_order_relaxed);
}

void OrderGateway::count_answer(bool error) noexcept {
  auto& c = gauges_.consecutive_errors;
  c.store(error ? c.load(std::memory_order_relaxed) + 1 : 0, std::memory_order_relaxed);
}

void OrderGateway::publish_gauges() noexcept {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  std::uint64_t without = 0, withheld = 0;
  for (std::uint32_t i = 0; i < positions_.size(); ++i) {
    if (!wants_hard_stop(i)) continue;
    without += !hard_.protected_now(i);
    withheld += hard_.withheld(i);
  }
  gauges_.positions_without_hard_stop.store(without, kRelaxed);
  gauges_.withheld_positions.store(withheld, kRelaxed);
  gauges_.other_algo_orders.store(others_, kRelaxed);
  gauges_.stop_limit_refusals.store(stop_limit_refusals_, kRelaxed);
  gauges_.requests.store(requests_, kRelaxed);
  const TimeMs now = wall_clock_ms();
  auto used = [&](RateLimitKind k, TimeMs interval) {
    return limits_.limit(k, interval) > 0 || limits_.used(k, interval, now) > 0
               ? limits_.used(k, interval, now)
               : -1;
  };
  gauges_.used_weight_1m.store(used(RateLimitKind::kRequestWeight, 60'000), kRelaxed);
  gauges_.order_count_10s.store(used(RateLimitKind::kOrders, 10'000), kRelaxed);
  gauges_.order_count_1m.store(used(RateLimitKind::kOrders, 60'000), kRelaxed);
  gauges_.clock_offset_ms.store(clock_.offset_ms(), kRelaxed);
}

}  // namespace exitbrain
