#include "tools/live/operations.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "net/loopback_address.hpp"
#include "tools/common/build_version.hpp"
#include "tools/common/json_line.hpp"
#include "tools/common/number_text.hpp"
#include "tools/live/hot_pipeline.hpp"
#include "tools/live/order_gateway.hpp"
#include "tools/live/state_journal.hpp"
#include "tools/live/user_stream.hpp"
#include "tools/ops/control_socket.hpp"
#include "tools/ops/ops_http_server.hpp"
#include "tools/ops/ops_thread.hpp"
#include "tools/ops/prometheus_text.hpp"
#include "tools/ops/service_notify.hpp"

namespace exitbrain {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;
// A position may go this long without a confirmed hard stop (its placement's round trip)
// before /health calls it failing.
constexpr MonoNs kUnprotectedGraceNs = 2'000'000'000;
// A pipeline loop that has not gone round for this long is stalled (they go round at
// least every 100 ms; the orders thread may wait for an answer up to its timeout).
constexpr MonoNs kStallNs = 5'000'000'000;
// How long `exitbrain ctl` waits for the decide stage to apply a command.
constexpr auto kControlWait = std::chrono::seconds(3);

double seconds(MonoNs ns) {
  return static_cast<double>(ns) / 1e9;
}

const char* decision_name(DecisionKind k) {
  switch (k) {
    case DecisionKind::kLevels:
      return "levels";
    case DecisionKind::kStopMoved:
      return "sl_moved";
    case DecisionKind::kExit:
      return "exit";
  }
  return "?";
}

}  // namespace

struct Operations::Impl {
  Impl(OpsSources s, EventLog& j)
      : src(s),
        live(s.config->live),
        event_log(j),
        http(ops.io()),
        control(ops.io()),
        started_ns(mono_now_ns()) {}

  // ---- reading the pipeline -------------------------------------------------------------
  struct Stall {
    const char* thread;
    MonoNs age;
  };
  // The loops that have not gone round in time (empty: all alive).
  std::vector<Stall> stalls(MonoNs now) const {
    std::vector<Stall> out;
    auto check = [&](const char* name, MonoNs beat, MonoNs limit) {
      // 0: not started yet; counted from the start of the run.
      const MonoNs age = now - (beat ? beat : started_ns);
      if (age > limit) out.push_back(Stall{name, age});
    };
    const HotPipeline& hot = *src.hot;
    const MonoNs orders_limit = kStallNs + 2 * live.exchange.timeout_ms * 1'000'000;
    check("md", hot.heartbeat(Stage::kMd), kStallNs);
    check("state", hot.heartbeat(Stage::kState), kStallNs);
    check("decide", hot.heartbeat(Stage::kDecide), kStallNs);
    check("orders", hot.heartbeat(Stage::kOrders), orders_limit);
    check("user", hot.heartbeat(Stage::kUser), orders_limit);
    return out;
  }

  // The age of the newest event of each managed symbol (since the run started if none).
  std::vector<std::pair<std::string, MonoNs>> frame_ages(MonoNs now) const {
    std::vector<std::pair<std::string, MonoNs>> out;
    const HotPipeline& hot = *src.hot;
    for (SymbolId s = 0; s < live.symbols.size(); ++s) {
      const MonoNs last = hot.ingest().last_event_ns(s);
      out.emplace_back(live.symbols[s], now - (last ? last : started_ns));
    }
    return out;
  }

  // Sampled every 250 ms (and by each /health): since when some position has been without
  // its hard stop.
  void sample_protection(MonoNs now) {
    const std::uint64_t without = src.gateway->gauges().positions_without_hard_stop.load(kRelaxed);
    if (without == 0)
      unprotected_since = 0;
    else if (unprotected_since == 0)
      unprotected_since = now;
  }

  HealthReport health() {
    const MonoNs now = mono_now_ns();
    sample_protection(now);
    HealthReport h;
    const GatewayGauges& g = src.gateway->gauges();
    const DecideStage& decide = src.hot->decide();
    if (src.lease_lost && src.lease_lost->load())
      h.add("lease_lost", HealthLevel::kFailing,
            "the owner lease was lost: no more decisions, the hard stops stay on the exchange");
    const std::uint64_t without = g.positions_without_hard_stop.load(kRelaxed);
    const std::uint64_t managed = decide.open_positions();
    // (Shadow mode holds no hard stop by design, and its order sender is not fed.)
    if (!src.shadow && without > 0 && unprotected_since != 0 &&
        now - unprotected_since >= kUnprotectedGraceNs)
      h.add("position_without_hard_stop", HealthLevel::kFailing,
            std::to_string(without) + " of " + std::to_string(managed) +
                " open positions have no hard stop on the exchange (for " +
                std::to_string((now - unprotected_since) / 1'000'000) + " ms)");
    MonoNs oldest = 0;
    std::string stale;
    for (const auto& [symbol, age] : frame_ages(now)) {
      oldest = std::max(oldest, age);
      if (age > live.run.stale_after_ms * 1'000'000)
        stale +=
            (stale.empty() ? "" : ", ") + symbol + " " + std::to_string(age / 1'000'000) + " ms";
    }
    if (!src.hot->ingest().feed_up())
      h.add("feed_down", HealthLevel::kFailing,
            "the market feed is not connected (reconnecting): no fresh prices, exits wait");
    if (!stale.empty())
      h.add("feed_stale", HealthLevel::kFailing,
            "no market event within stale_after_ms " + std::to_string(live.run.stale_after_ms) +
                " ms: " + stale);
    if (!src.user->up())
      h.add("user_stream_down", HealthLevel::kFailing,
            std::string("the user-data stream is ") + to_string(src.user->last_status()) +
                ": fills and positions changed elsewhere are not seen");
    for (const Stall& s : stalls(now))
      h.add("pipeline_stalled", HealthLevel::kFailing,
            std::string("thread ") + s.thread + " has not gone round its loop for " +
                std::to_string(s.age / 1'000'000) + " ms");
    const std::int64_t offset = g.clock_offset_ms.load(kRelaxed);
    if (std::llabs(offset) > live.ops.max_clock_offset_ms)
      h.add("clock_offset", HealthLevel::kDegraded,
            "the server clock is " + std::to_string(offset) + " ms from ours (limit " +
                std::to_string(live.ops.max_clock_offset_ms) + " ms)");
    IntentFigures intents;
    if (src.intents) {
      intents = src.intents->read();
      if (!intents.connected)
        h.add("redis_down", HealthLevel::kDegraded,
              "Redis is not connected: no intents are read, trade.closed waits in its buffer");
    }
    if (decide.entries_halted())
      h.add("entries_halted", HealthLevel::kDegraded,
            std::string("halted by ") + to_string(decide.halt_source()) +
                ": no new entries; exits are managed (exitbrain ctl resume)");
    if (src.journal && src.journal->write_errors() > 0)
      h.add("journal_write_errors", HealthLevel::kDegraded,
            std::to_string(src.journal->write_errors()) +
                " state journal writes failed (the disk?): a restart may not restore the latest "
                "state");
    h.number("mode", src.shadow ? R"("shadow")" : R"("live")");
    h.number("positions_managed", std::to_string(managed));
    h.number("positions_without_hard_stop", std::to_string(without));
    h.number("max_frame_age_ms", std::to_string(oldest / 1'000'000));
    h.number("user_stream_up", src.user->up() ? "true" : "false");
    h.number("clock_offset_ms", std::to_string(offset));
    h.number("entries_halted", decide.entries_halted() ? "true" : "false");
    h.number("consecutive_order_errors", std::to_string(g.consecutive_errors.load(kRelaxed)));
    h.number("realised_pnl_today", shortest_text(g.realised_pnl_today.load(kRelaxed)));
    if (src.intents) {
      h.number("redis_connected", intents.connected ? "true" : "false");
      h.number("intent_lag", std::to_string(intents.group_read ? intents.group.lag : -1));
    }
    return h;
  }

  std::string metrics() const {
    const MonoNs now = mono_now_ns();
    const HotPipeline& hot = *src.hot;
    const MarketIngest& md = hot.ingest();
    const DecideStage& decide = hot.decide();
    const GatewayGauges& g = src.gateway->gauges();
    const EventCounts& counts = event_log.counts();
    PrometheusText m;
    using T = MetricType;

    m.family("exitbrain_build_info", T::kGauge, "The running exitbrain: version and mode.");
    m.sample({{"version", build_version()},
              {"commit", build_commit()},
              {"mode", src.shadow ? "shadow" : "live"}},
             1);
    m.family("exitbrain_shadow_mode", T::kGauge,
             "1 in shadow mode: decisions are made and journalled, no order is sent.");
    m.sample(src.shadow ? 1 : 0);
    m.family("exitbrain_start_time_seconds", T::kGauge, "When this run started (Unix time).");
    m.sample(static_cast<double>(start_wall_ms) / 1000.0);

    // The market feed.
    m.family("exitbrain_market_frames_total", T::kCounter, "Market WebSocket frames read.");
    m.sample(static_cast<double>(md.frames.load(kRelaxed)));
    m.family("exitbrain_market_malformed_frames_total", T::kCounter,
             "Market frames refused as malformed (each an alert line).");
    m.sample(static_cast<double>(md.malformed.load(kRelaxed)));
    m.family("exitbrain_market_events_total", T::kCounter, "Market events parsed from frames.");
    m.sample(static_cast<double>(md.events.load(kRelaxed)));
    m.family("exitbrain_market_feed_connects_total", T::kCounter,
             "Market feed connections made (the first and every reconnect).");
    m.sample(static_cast<double>(md.reconnects.load(kRelaxed)));
    m.family("exitbrain_market_feed_stale_total", T::kCounter,
             "Times a market connection went stale_after_ms without a frame.");
    m.sample(static_cast<double>(md.stale.load(kRelaxed)));
    m.family("exitbrain_market_feed_up", T::kGauge, "1 while the market feed's frames flow.");
    m.sample(md.feed_up() ? 1 : 0);
    m.family("exitbrain_last_market_event_age_seconds", T::kGauge,
             "Age of the newest market event per symbol (since the start if none yet).");
    for (const auto& [symbol, age] : frame_ages(now)) m.sample({{"symbol", symbol}}, seconds(age));

    // Decisions and exits (as written to the event log).
    m.family("exitbrain_decisions_total", T::kCounter, "Exit engine decisions by kind.");
    for (DecisionKind k : {DecisionKind::kLevels, DecisionKind::kStopMoved, DecisionKind::kExit})
      m.sample({{"kind", decision_name(k)}}, static_cast<double>(counts.decisions(k)));
    m.family("exitbrain_exits_total", T::kCounter, "Exit decisions by reason.");
    for (std::size_t r = 0; r < kExitReasonCount; ++r)
      m.sample({{"reason", to_string(static_cast<ExitReason>(r))}},
               static_cast<double>(counts.exits(static_cast<ExitReason>(r))));
    m.family("exitbrain_order_records_total", T::kCounter,
             "Order sender records (exit sent / done / lookup, hard stop placed / cancelled / "
             "triggered) by outcome and Binance error code (0: none).");
    const auto orders = counts.orders();
    std::uint64_t placed = 0, cancelled = 0, triggered = 0;
    for (const auto& [key, n] : orders) {
      const auto& [kind, ok, code] = key;
      const std::string code_text = std::to_string(code);
      m.sample({{"record", to_string(kind)}, {"outcome", ok ? "ok" : "error"}, {"code", code_text}},
               static_cast<double>(n));
      if (!ok) continue;
      placed += kind == OrderRecordKind::kHardStopPlaced ? n : 0;
      cancelled += kind == OrderRecordKind::kHardStopCancelled ? n : 0;
      triggered += kind == OrderRecordKind::kHardStopTriggered ? n : 0;
    }
    m.family("exitbrain_hard_stops_placed_total", T::kCounter,
             "Exchange-side hard stops placed (confirmed).");
    m.sample(static_cast<double>(placed));
    m.family("exitbrain_hard_stops_cancelled_total", T::kCounter, "Hard stops cancelled by us.");
    m.sample(static_cast<double>(cancelled));
    m.family("exitbrain_hard_stops_triggered_total", T::kCounter,
             "Hard stops the exchange triggered.");
    m.sample(static_cast<double>(triggered));
    m.family("exitbrain_alerts_total", T::kCounter, "Alert lines by alert.");
    for (const auto& [name, n] : counts.alerts())
      m.sample({{"alert", name}}, static_cast<double>(n));
    m.family("exitbrain_event_log_dropped_records_total", T::kCounter,
             "Event log records lost to a full queue (their counts above are missing too).");
    m.sample(static_cast<double>(event_log.dropped_records()));

    // Latency.
    m.family("exitbrain_tick_to_order_seconds", T::kHistogram,
             "Exit orders: market frame in to order bytes out.");
    m.histogram_seconds({}, hot.exit_latency().tick_to_order);
    m.family("exitbrain_hop_seconds", T::kHistogram,
             "Each pipeline hop: parse (frame in to parsed), to_state, to_decision, "
             "to_order_bytes (exits only).");
    m.histogram_seconds({{"hop", "parse"}}, md.parse_hop());
    m.histogram_seconds({{"hop", "to_state"}}, hot.to_state_hop());
    m.histogram_seconds({{"hop", "to_decision"}}, decide.to_decision_hop());
    m.histogram_seconds({{"hop", "to_order_bytes"}}, hot.exit_latency().to_order_bytes);

    // Positions and hard stops.
    m.family("exitbrain_positions_managed", T::kGauge, "Open positions exitbrain manages.");
    m.sample(static_cast<double>(decide.open_positions()));
    m.family("exitbrain_positions_without_hard_stop", T::kGauge,
             "Open positions without a live hard stop on the exchange (should be 0).");
    m.sample(static_cast<double>(g.positions_without_hard_stop.load(kRelaxed)));
    m.family("exitbrain_positions_hard_stop_withheld", T::kGauge,
             "Of those, the ones the account's conditional-order limit leaves without.");
    m.sample(static_cast<double>(g.withheld_positions.load(kRelaxed)));
    m.family("exitbrain_other_algo_orders", T::kGauge,
             "Open algo orders on the account that are not our hard stops.");
    m.sample(static_cast<double>(g.other_algo_orders.load(kRelaxed)));
    m.family("exitbrain_conditional_order_limit_refusals_total", T::kCounter,
             "Hard stops the exchange refused for the conditional-order limit (-4045).");
    m.sample(static_cast<double>(g.stop_limit_refusals.load(kRelaxed)));

    // The exchange.
    m.family("exitbrain_order_requests_total", T::kCounter,
             "Signed requests on the order connection.");
    m.sample(static_cast<double>(g.requests.load(kRelaxed)));
    m.family("exitbrain_rate_limit_used", T::kGauge,
             "Use of the exchange's limits as its headers last said (X-MBX-USED-WEIGHT-1M, "
             "X-MBX-ORDER-COUNT-10S / -1M).");
    auto limit = [&](const char* kind, const char* interval, std::int64_t v) {
      if (v >= 0) m.sample({{"kind", kind}, {"interval", interval}}, static_cast<double>(v));
    };
    limit("request_weight", "1m", g.used_weight_1m.load(kRelaxed));
    limit("orders", "10s", g.order_count_10s.load(kRelaxed));
    limit("orders", "1m", g.order_count_1m.load(kRelaxed));
    m.family("exitbrain_server_clock_offset_seconds", T::kGauge,
             "The exchange's clock minus ours, as last sampled.");
    m.sample(static_cast<double>(g.clock_offset_ms.load(kRelaxed)) / 1000.0);
    m.family("exitbrain_user_stream_up", T::kGauge, "1 while the user-data stream is connected.");
    m.sample(src.user->up() ? 1 : 0);
    m.family("exitbrain_consecutive_order_errors", T::kGauge,
             "Order answers in a row that were errors (max_consecutive_errors halts).");
    m.sample(static_cast<double>(g.consecutive_errors.load(kRelaxed)));
    m.family("exitbrain_realised_pnl_utc_day", T::kGauge,
             "Realised PnL of exits and hard stops filled today (UTC), quote asset, before fees.");
    m.sample(g.realised_pnl_today.load(kRelaxed));

    // The kill switch, the lease, the threads.
    m.family("exitbrain_entries_halted", T::kGauge,
             "1 while new entries are halted (exitbrain ctl halt / flatten, or a limit).");
    m.sample({{"source", decide.entries_halted() ? to_string(decide.halt_source()) : "none"}},
             decide.entries_halted() ? 1 : 0);
    if (src.lease_lost) {
      m.family("exitbrain_owner_lease_held", T::kGauge, "1 while this run holds the owner lease.");
      m.sample(src.lease_lost->load() ? 0 : 1);
    }
    m.family("exitbrain_thread_loop_age_seconds", T::kGauge,
             "Since each pipeline thread last went round its loop (the watchdog's input).");
    const HotPipeline& h = *src.hot;
    auto age = [&](const char* name, MonoNs beat) {
      m.sample({{"thread", name}}, seconds(now - (beat ? beat : started_ns)));
    };
    for (const Stage s : {Stage::kMd, Stage::kState, Stage::kDecide, Stage::kOrders, Stage::kUser})
      age(to_string(s), h.heartbeat(s));

    // The state journal.
    if (src.journal) {
      m.family("exitbrain_journal_records_total", T::kCounter, "State journal records written.");
      m.sample(static_cast<double>(src.journal->records()));
      m.family("exitbrain_journal_written_bytes_total", T::kCounter,
               "State journal bytes written.");
      m.sample(static_cast<double>(src.journal->bytes()));
      m.family("exitbrain_journal_queued_records", T::kGauge,
               "State journal records in its rings, not yet written (how far it is behind).");
      m.sample(static_cast<double>(src.journal->queued()));
      m.family("exitbrain_journal_write_errors_total", T::kCounter,
               "State journal writes that failed.");
      m.sample(static_cast<double>(src.journal->write_errors()));
    }

    // Trade intents (Redis).
    if (src.intents) {
      const IntentFigures f = src.intents->read();
      const IntentStats& s = f.stats;
      m.family("exitbrain_redis_connected", T::kGauge, "1 while the intent consumer is connected.");
      m.sample(f.connected ? 1 : 0);
      m.family("exitbrain_intents_total", T::kCounter, "Trade intents by what became of them.");
      const std::pair<const char*, std::uint64_t> outcomes[] = {{"read", s.read},
                                                                {"executed", s.executed},
                                                                {"observed", s.observed},
                                                                {"expired", s.expired},
                                                                {"refused", s.refused},
                                                                {"dead_lettered", s.dead_lettered},
                                                                {"duplicate", s.duplicates},
                                                                {"trimmed", s.trimmed}};
      for (const auto& [name, n] : outcomes) m.sample({{"outcome", name}}, static_cast<double>(n));
      m.family("exitbrain_trade_closed_published_total", T::kCounter,
               "Filled exits published to trade.closed.");
      m.sample(static_cast<double>(s.closed_published));
      m.family("exitbrain_redis_errors_total", T::kCounter,
               "Failed Redis commands and lost connections.");
      m.sample(static_cast<double>(s.redis_errors));
      if (f.group_read && f.group.group_exists) {
        m.family("exitbrain_intent_group_lag", T::kGauge,
                 "Intents in the stream not yet delivered to the group (XINFO GROUPS lag).");
        if (f.group.lag >= 0) m.sample(static_cast<double>(f.group.lag));
        m.family("exitbrain_intent_group_pending", T::kGauge,
                 "Intents delivered to the group and not acknowledged (XPENDING).");
        m.sample(static_cast<double>(f.group.pending));
      }
    }
    return m.text();
  }

  // ---- the kill switch ------------------------------------------------------------------
  // On the ops thread only (the control ring's one producer). "" or the error.
  std::string send(ControlKind kind, ControlSource source, std::uint32_t& seq_out) {
    ControlCommand c;
    c.kind = kind;
    c.source = source;
    c.seq = ++control_seq;
    seq_out = c.seq;
    if (!src.hot->control_in().try_push(c)) return "the decide stage's control ring is full";
    return {};
  }
  bool applied(std::uint32_t seq) const {
    const auto until = std::chrono::steady_clock::now() + kControlWait;
    while (std::chrono::steady_clock::now() < until) {
      if (src.hot->decide().control_applied() >= seq) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }

  std::string status_json() {
    const GatewayGauges& g = src.gateway->gauges();
    const DecideStage& decide = src.hot->decide();
    const HealthReport h = health();
    std::string out = R"({"ok":true,"mode":")" + std::string(src.shadow ? "shadow" : "live") +
                      R"(","entries":")" +
                      std::string(decide.entries_halted() ? "halted" : "allowed") + R"(")";
    if (decide.entries_halted())
      out += R"(,"halted_by":")" + std::string(to_string(decide.halt_source())) + R"(")";
    out += R"(,"health":")" + std::string(to_string(h.level())) + R"(","positions_managed":)" +
           std::to_string(decide.open_positions()) + R"(,"positions_without_hard_stop":)" +
           std::to_string(g.positions_without_hard_stop.load(kRelaxed)) +
           R"(,"realised_pnl_today":)" + shortest_text(g.realised_pnl_today.load(kRelaxed)) +
           R"(,"consecutive_order_errors":)" + std::to_string(g.consecutive_errors.load(kRelaxed)) +
           R"(,"health_detail":)" + h.json() + "}";
    return out;
  }

  std::string command(std::string_view line) {
    std::string reply;
    ControlKind kind{};
    if (line == "status") {
      reply = status_json();
    } else if (line == "halt" || line == "flatten" || line == "resume") {
      kind = line == "halt"      ? ControlKind::kHalt
             : line == "flatten" ? ControlKind::kFlatten
                                 : ControlKind::kResume;
      std::uint32_t seq = 0;
      if (std::string err = send(kind, ControlSource::kOperator, seq); !err.empty()) {
        reply = R"({"ok":false,"command":")" + std::string(line) + R"(","error":)" +
                JsonLine::quote(err) + "}";
      } else if (!applied(seq)) {
        reply =
            R"({"ok":false,"command":")" + std::string(line) +
            R"x(","error":"the decide stage did not apply it within 3 s (it will when it can)"})x";
      } else {
        const DecideStage& decide = src.hot->decide();
        reply = R"({"ok":true,"command":")" + std::string(line) + R"(","entries":")" +
                (decide.entries_halted() ? "halted" : "allowed") + R"(")";
        if (kind == ControlKind::kFlatten)
          reply += R"(,"exits":)" + std::to_string(decide.last_flatten_exits()) +
                   R"(,"note":"reduce-only MARKET exits sent; the hard stops stay until flat")";
        reply += "}";
      }
    } else {
      reply = R"({"ok":false,"error":)" +
              JsonLine::quote("unknown command \"" + std::string(line.substr(0, 32)) +
                              "\": status, halt, flatten or resume") +
              "}";
    }
    // Every command and its answer, as an event line (status too: someone looked).
    event_log.text(R"("event":"ctl","command":)" + JsonLine::quote(line.substr(0, 32)) +
                   R"(,"reply":)" + reply);
    return reply;
  }

  // ---- timers ---------------------------------------------------------------------------
  void limits_tick() {
    const GatewayGauges& g = src.gateway->gauges();
    const RunSettings& run = live.run;
    const ControlKind act = run.flatten_on_limit ? ControlKind::kFlatten : ControlKind::kHalt;
    if (run.daily_loss_limit > 0) {
      const double pnl = g.realised_pnl_today.load(kRelaxed);
      const std::int64_t day = g.pnl_day.load(kRelaxed);
      // Already halted (a restart after the limit fired: the halt is journalled): nothing
      // to add unless the limit also flattens.
      if (pnl <= -run.daily_loss_limit && loss_fired_day != day && act == ControlKind::kHalt &&
          src.hot->decide().entries_halted())
        loss_fired_day = day;
      if (pnl <= -run.daily_loss_limit && loss_fired_day != day) {
        loss_fired_day = day;
        std::uint32_t seq = 0;
        const std::string err = send(act, ControlSource::kLossLimit, seq);
        event_log.text(R"("event":"alert","alert":"daily_loss_limit","realised_pnl_today":)" +
                       shortest_text(pnl) + R"(,"limit":)" + shortest_text(run.daily_loss_limit) +
                       R"(,"action":")" + to_string(act) + R"(")" +
                       (err.empty() ? "" : R"(,"error":)" + JsonLine::quote(err)));
      }
    }
    if (run.max_consecutive_errors > 0) {
      const std::uint64_t errors = g.consecutive_errors.load(kRelaxed);
      if (errors == 0) errors_fired = false;
      if (!errors_fired && errors >= static_cast<std::uint64_t>(run.max_consecutive_errors)) {
        errors_fired = true;
        std::uint32_t seq = 0;
        const std::string err = send(act, ControlSource::kErrorLimit, seq);
        event_log.text(R"("event":"alert","alert":"max_consecutive_errors","errors":)" +
                       std::to_string(errors) + R"(,"limit":)" +
                       std::to_string(run.max_consecutive_errors) + R"(,"action":")" +
                       to_string(act) + R"(")" +
                       (err.empty() ? "" : R"(,"error":)" + JsonLine::quote(err)));
      }
    }
  }

  void watchdog_tick() {
    const std::vector<Stall> s = stalls(mono_now_ns());
    if (s.empty()) {
      service::watchdog();
      stalled_alerted = false;
      return;
    }
    // No WATCHDOG=1: systemd restarts the service once WatchdogSec passes.
    if (!stalled_alerted) {
      stalled_alerted = true;
      event_log.text(R"("event":"alert","alert":"pipeline_stalled","thread":")" +
                     std::string(s.front().thread) + R"(","since_ms":)" +
                     std::to_string(s.front().age / 1'000'000) +
                     R"(,"note":"the systemd watchdog is no longer fed")");
    }
  }

  OpsSources src;
  const LiveConfig& live;
  EventLog& event_log;
  OpsThread ops;
  OpsHttpServer http;
  ControlSocketServer control;
  const MonoNs started_ns;
  const TimeMs start_wall_ms = wall_clock_ms();
  MonoNs unprotected_since = 0;
  std::uint32_t control_seq = 0;
  std::int64_t loss_fired_day = -1;
  bool errors_fired = false;
  bool stalled_alerted = false;
  std::string address_file;  // <state_dir>/ops.address while the endpoint listens
};

Operations::Operations(OpsSources sources, EventLog& event_log)
    : impl_(std::make_unique<Impl>(sources, event_log)) {}

Operations::~Operations() {
  stop();
}

std::string Operations::start() {
  Impl& p = *impl_;
  const OpsSettings& ops = p.live.ops;
  if (!ops.listen.empty()) {
    const LoopbackAddress a = parse_loopback_address(ops.listen);
    if (!a.error.empty()) return "[ops] listen: " + a.error;
    if (std::string err = p.http.listen(a.host, a.port,
                                        [&p](std::string_view target) {
                                          HttpReply r;
                                          if (target == "/metrics") {
                                            r.content_type = "text/plain; version=0.0.4";
                                            r.body = p.metrics();
                                          } else if (target == "/health") {
                                            const HealthReport h = p.health();
                                            r.status = h.http_status();
                                            r.content_type = "application/json";
                                            r.body = h.json() + "\n";
                                          } else {
                                            r.status = 404;
                                            r.body = "/metrics or /health\n";
                                          }
                                          return r;
                                        });
        !err.empty())
      return "[ops] listen: " + err;
    const std::string bound = a.host + ":" + std::to_string(p.http.port());
    p.event_log.text(R"("event":"ops","listen":)" + JsonLine::quote(bound) +
                     R"(,"endpoints":["/metrics","/health"])");
    // Where the endpoint really is (port 0 picks one): `exitbrain validate` reads it.
    p.address_file = ops_address_path(p.live.run.state_dir);
    const std::string tmp = p.address_file + ".tmp";
    if (std::FILE* f = std::fopen(tmp.c_str(), "w")) {
      std::fprintf(f, "%s\n", bound.c_str());
      std::fclose(f);
      std::rename(tmp.c_str(), p.address_file.c_str());
    }
  }
  const std::string sock = control_socket_path(p.live.run.state_dir);
  if (std::string err = p.control.listen(sock, [&p](std::string_view l) { return p.command(l); });
      !err.empty())
    return "[run] state_dir: control socket: " + err;
  p.event_log.text(R"("event":"ops","control_socket":)" + JsonLine::quote(sock) +
                   R"(,"mode":"0600","commands":["status","halt","flatten","resume"])");
  p.ops.every(std::chrono::milliseconds(250), [&p] {
    p.sample_protection(mono_now_ns());
    p.limits_tick();
  });
  if (const std::uint64_t usec = service::watchdog_usec(); usec > 0) {
    // Fed at a quarter of the interval, so one late tick is not a restart.
    const auto period = std::chrono::milliseconds(std::max<std::uint64_t>(usec / 4000, 50));
    p.ops.every(period, [&p] { p.watchdog_tick(); });
    p.event_log.text(R"("event":"ops","systemd_watchdog_ms":)" + std::to_string(usec / 1000));
  }
  p.ops.start();
  return {};
}

void Operations::stop() {
  Impl& p = *impl_;
  p.ops.stop([&p] {
    p.http.close();
    p.control.close();
  });
  if (!p.address_file.empty()) std::remove(p.address_file.c_str());
}

std::uint16_t Operations::http_port() const noexcept {
  return impl_->http.port();
}

std::string Operations::metrics() const {
  return impl_->metrics();
}

HealthReport Operations::health() const {
  return impl_->health();
}

std::string Operations::command(std::string_view line) {
  return impl_->command(line);
}

}  // namespace exitbrain
