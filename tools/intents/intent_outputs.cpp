// What the intent thread publishes besides the levels of each intent: the cross-exchange
// reader with its status and alerts, exitbrain's own alerts, the heartbeat, and
// trade.closed (tools/intents/intent_consumer.hpp has the contract).
#include <algorithm>
#include <array>

#include "tools/common/event_log.hpp"
#include "tools/common/json_line.hpp"
#include "tools/common/number_text.hpp"
#include "tools/intents/intent_consumer.hpp"
#include "tools/intents/normalized_input.hpp"
#include "tools/intents/redis_fields.hpp"

namespace exitbrain {

namespace {

// Alerts raised while Redis is away wait for it, up to this many.
constexpr std::size_t kMaxPendingAlerts = 64;

}  // namespace

// ---- cross-exchange ------------------------------------------------------------------

void IntentConsumer::poll_cross_exchange(TimeMs now_ms) {
  const RedisReply r =
      redis_.command({"XREVRANGE", settings_.normalized_stream, "+", "-", "COUNT", "1"});
  if (!r.ok()) {
    failed(r, "XREVRANGE normalized");
    adapter_.on_read_failure(now_ms);
  } else if (r.value().size() == 0) {
    adapter_.poll(now_ms);  // nothing published yet: local mode, reason NO_DATA
  } else {
    StreamEntry e;
    cross_exchange::NormalizedInput in;
    const bool ok = read_stream_entry(r.value()[0], e) && read_normalized_input(e, in);
    if (ok)
      adapter_.on_data(in, now_ms);
    else
      adapter_.on_read_failure(now_ms);
  }
  const cross_exchange::Adjustments adj = adapter_.adjustments(now_ms);
  const bool changed = !have_sent_adjustments_ || adj.local_mode != sent_adjustments_.local_mode ||
                       adj.atr_multiplier != sent_adjustments_.atr_multiplier ||
                       adj.tp_multiplier != sent_adjustments_.tp_multiplier ||
                       adj.sl_multiplier != sent_adjustments_.sl_multiplier ||
                       adj.use_trailing != sent_adjustments_.use_trailing;
  if (changed && links_.adjustments && links_.adjustments->try_push(adj)) {
    have_sent_adjustments_ = true;
    sent_adjustments_ = adj;
    std::array<char, 128> text{};
    cross_exchange::format_reasoning(adj, text.data(), text.size());
    log_event(R"("event":"cross_exchange","local_mode":)" +
              std::string(adj.local_mode ? "true" : "false") + R"(,"reasoning":)" +
              JsonLine::quote(text.data()));
  }
  while (auto a = adapter_.pop_alert()) {
    RedisArgs x;
    x << "XADD" << settings_.alerts_stream << "MAXLEN"
      << "~" << std::to_string(settings_.alerts_maxlen) << "*"
      << "timestamp" << iso_utc(a->time_ms) << "type" << std::string(to_string(a->type)) << "reason"
      << std::string(a->reason_text()) << "fail_count" << std::to_string(a->fail_count)
      << "data_age_seconds"
      << (a->data_age_ms < 0 ? std::string()
                             : shortest_text(static_cast<double>(a->data_age_ms) / 1000))
      << "source"
      << "cross_exchange";
    log_event(R"("event":"alert","alert":")" + std::string(to_string(a->type)) + R"(","reason":)" +
              JsonLine::quote(std::string(a->reason_text())));
    const RedisReply ar = redis_.command(x.views());
    if (!failed(ar, "XADD alerts")) ++stats_.alerts_published;
  }
}

void IntentConsumer::alert(TimeMs now_ms, std::string_view type, std::string_view reason) {
  log_event(R"("event":"alert","alert":")" + std::string(type) + R"(","reason":)" +
            JsonLine::quote(std::string(reason)));
  std::string entry = iso_utc(now_ms) + '\n' + std::string(type) + '\n' + std::string(reason);
  if (pending_alerts_.size() < kMaxPendingAlerts) pending_alerts_.push_back(std::move(entry));
}

void IntentConsumer::publish_alerts(TimeMs /*now_ms*/) {
  while (!pending_alerts_.empty() && redis_.connected()) {
    const std::string& a = pending_alerts_.front();
    const auto p1 = a.find('\n');
    const auto p2 = a.find('\n', p1 + 1);
    const RedisReply r = redis_.command(
        {"XADD", settings_.alerts_stream, "MAXLEN", "~", std::to_string(settings_.alerts_maxlen),
         "*", "timestamp", std::string_view(a).substr(0, p1), "type",
         std::string_view(a).substr(p1 + 1, p2 - p1 - 1), "reason",
         std::string_view(a).substr(p2 + 1), "source", "exitbrain"});
    if (r.io_error()) {
      failed(r, "XADD alerts");
      return;
    }
    if (!failed(r, "XADD alerts")) ++stats_.alerts_published;
    pending_alerts_.erase(pending_alerts_.begin());
  }
}

void IntentConsumer::publish_status(TimeMs now_ms) {
  const cross_exchange::Adjustments a = adapter_.adjustments(now_ms);
  const cross_exchange::Status& st = adapter_.status();
  std::array<char, 128> text{};
  cross_exchange::format_reasoning(a, text.data(), text.size());
  RedisArgs x;
  x << "XADD" << settings_.status_stream << "MAXLEN"
    << "~" << std::to_string(settings_.status_maxlen) << "*"
    << "timestamp" << iso_utc(now_ms) << "cross_exchange_active"
    << (a.local_mode ? "false" : "true") << "data_age_seconds"
    << (a.data_age_ms < 0 ? std::string()
                          : shortest_text(static_cast<double>(a.data_age_ms) / 1000))
    << "volatility_factor" << shortest_text(a.volatility_factor) << "exchange_divergence"
    << shortest_text(a.exchange_divergence) << "funding_delta" << shortest_text(a.funding_delta)
    << "atr_multiplier" << shortest_text(a.atr_multiplier) << "tp_multiplier"
    << shortest_text(a.tp_multiplier) << "sl_multiplier" << shortest_text(a.sl_multiplier)
    << "use_trailing" << (a.use_trailing ? "true" : "false") << "reasoning"
    << std::string(text.data()) << "total_reads" << std::to_string(st.total_reads) << "fail_count"
    << std::to_string(st.fail_count) << "consumer" << settings_.consumer << "intents_read"
    << std::to_string(stats_.read) << "intents_executed" << std::to_string(stats_.executed)
    << "intents_dead_lettered" << std::to_string(stats_.dead_lettered) << "closed_buffered"
    << std::to_string(closed_buffer_.size()) << "closed_dropped"
    << std::to_string(stats_.closed_dropped);
  if (!failed(redis_.command(x.views()), "XADD status")) ++stats_.status_published;
  // The heartbeat `exitbrain intents --status` reads; it expires if this thread dies.
  const std::string key = settings_.heartbeat_prefix + settings_.group + ":" + settings_.consumer;
  redis_.append({"HSET", key, "heartbeat_ms", std::to_string(now_ms), "last_intent_ms",
                 std::to_string(stats_.last_intent_ms), "status_interval_ms",
                 std::to_string(settings_.status_interval_ms), "intents_read",
                 std::to_string(stats_.read)});
  redis_.append({"PEXPIRE", key, std::to_string(settings_.status_interval_ms * 3)});
  failed(redis_.read_reply(), "HSET heartbeat");
  failed(redis_.read_reply(), "PEXPIRE heartbeat");
}

// ---- trade.closed --------------------------------------------------------------------

void IntentConsumer::take_closed(TimeMs now_ms) {
  if (!links_.closed) return;
  ClosedTrade t;
  while (links_.closed->try_pop(t)) {
    if (closed_buffer_.size() >= static_cast<std::size_t>(settings_.closed_buffer)) {
      // The newest are kept: the oldest have the journal as their record.
      closed_buffer_.pop_front();
      ++stats_.closed_dropped;
      if (!overflow_alerted_) {
        overflow_alerted_ = true;
        alert(now_ms, "TRADE_CLOSED_OVERFLOW",
              "trade.closed buffer full (" + std::to_string(settings_.closed_buffer) +
                  "): oldest events dropped while Redis is unavailable");
      }
    }
    closed_buffer_.push_back(t);
  }
}

void IntentConsumer::publish_closed() {
  const std::size_t n = std::min<std::size_t>(closed_buffer_.size(), 256);
  if (n == 0 || !redis_.connected()) return;
  for (std::size_t i = 0; i < n; ++i) {
    const ClosedTrade& t = closed_buffer_[i];
    redis_.append({"XADD",
                   settings_.closed_stream,
                   "MAXLEN",
                   "~",
                   std::to_string(settings_.closed_maxlen),
                   "*",
                   "symbol",
                   symbols_.name(t.symbol),
                   "side",
                   to_string(t.side),
                   "qty",
                   to_string(t.qty),
                   "price",
                   to_string(t.price),
                   "reason",
                   t.hard_stop ? "hard_stop" : to_string(t.reason),
                   "pnl",
                   shortest_text(t.realized_pnl),
                   "client_order_id",
                   t.client_id.data(),
                   "timestamp",
                   std::to_string(t.time)});
  }
  std::size_t published = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const RedisReply r = redis_.read_reply();
    if (r.io_error()) {
      failed(r, "XADD trade.closed");
      break;
    }
    if (!failed(r, "XADD trade.closed")) ++published;
  }
  // Entries whose XADD was refused (not an I/O error) would fail again: they are dropped
  // with the error logged; unanswered ones stay for the next connection.
  closed_buffer_.erase(
      closed_buffer_.begin(),
      closed_buffer_.begin() + static_cast<std::ptrdiff_t>(redis_.connected() ? n : published));
  stats_.closed_published += published;
  if (closed_buffer_.empty()) overflow_alerted_ = false;
}

}  // namespace exitbrain
