#include "tools/live/pipeline.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/spsc_queue.hpp"
#include "core/thread_affinity.hpp"
#include "net/endpoint_url.hpp"
#include "net/rest_client.hpp"
#include "tools/common/json_line.hpp"
#include "tools/intents/owner_lease.hpp"
#include "tools/live/exchange_feeds.hpp"
#include "tools/live/hot_pipeline.hpp"
#include "tools/live/io_loop.hpp"
#include "tools/live/operations.hpp"
#include "tools/live/order_gateway.hpp"
#include "tools/live/reconcile.hpp"
#include "tools/live/shadow_sink.hpp"
#include "tools/live/state_journal.hpp"
#include "tools/live/user_stream.hpp"
#include "tools/ops/service_notify.hpp"

namespace exitbrain {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxPositions = 4096;
constexpr std::size_t kClosedRing = 2 * 1024;
// How often the intent thread reads the group's status for /metrics (a Redis round trip).
constexpr TimeMs kGroupStatusMs = 5'000;

HttpTarget http_target(const EndpointUrl& u) {
  return HttpTarget{u.tls, u.host, std::to_string(u.port)};
}

HopFigures figures(const char* name, const LatencyHistogram& h) {
  return HopFigures{name, h.count(), h.percentile(0.5), h.percentile(0.99), h.max()};
}

}  // namespace

struct LivePipeline::Impl {
  Impl(const Config& c, SymbolTable& s, EventLog& j, std::string key, const HmacSha256Signer& sg,
       std::shared_ptr<asio::ssl::context> t)
      : config(c),
        live(c.live),
        symbols(s),
        event_log(j),
        api_key(std::move(key)),
        signer(sg),
        tls(std::move(t)),
        hot(c, s, j, c.live.threads, c.live.run.shutdown_grace_ms, kMaxPositions),
        q_closed(kClosedRing) {}

  // ---- intents ------------------------------------------------------------------------
  // Reconnects with jittered exponential backoff; while Redis is away the exit engine
  // carries on and closed trades wait in the consumer's bounded buffer. Once `reading_stop`
  // is set no new intent is taken (the engine is stopping), but closed trades are still
  // published until `stop`.
  void intents_loop(const std::atomic<bool>& reading_stop, const std::atomic<bool>& stop) {
    name_current_thread("eb-intents");
    const RedisSettings& rs = *config.redis;
    std::int64_t backoff = rs.reconnect_min_ms;
    TimeMs next_try = 0;
    std::uint64_t jitter = 0x9E3779B97F4A7C15ull;
    bool was_connected = false;
    TimeMs next_group_read = 0;
    IntentFigures figures;
    while (!stop.load()) {
      const TimeMs now = wall_clock_ms();
      figures.connected = intents->connected();
      figures.stats = intents->stats();
      if (figures.connected && now >= next_group_read) {
        next_group_read = now + kGroupStatusMs;
        figures.group = intents->group_status();
        figures.group_read = figures.group.error.empty();
      }
      intent_board.publish(figures);
      if (!intents->connected()) {
        if (was_connected) {
          was_connected = false;
          event_log.text(
              R"("event":"alert","alert":"redis_connection_lost","note":"reconnecting; the exit engine carries on")");
        }
        if (now >= next_try) {
          const std::string err = intents->connect();
          if (err.empty()) {
            was_connected = true;
            backoff = rs.reconnect_min_ms;
            event_log.text(R"("event":"redis","state":"connected","url":)" +
                           JsonLine::quote(parse_redis_url(rs.url).url.redacted()));
            continue;
          }
          jitter ^= jitter << 13;
          jitter ^= jitter >> 7;
          jitter ^= jitter << 17;
          const std::int64_t wait =
              backoff / 2 + static_cast<std::int64_t>(jitter % static_cast<std::uint64_t>(backoff));
          next_try = now + wait;
          backoff = std::min(backoff * 2, rs.reconnect_max_ms);
          event_log.text(R"("event":"alert","alert":"redis_unavailable","error":)" +
                         JsonLine::quote(err) + R"(,"retry_in_ms":)" + std::to_string(wait));
        }
        intents->idle(now);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      if (reading_stop.load()) {
        intents->flush(now);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      (void)intents->step(now, true);
    }
    intents->flush(wall_clock_ms());
  }

  const Config& config;
  const LiveConfig& live;
  SymbolTable& symbols;
  EventLog& event_log;
  std::string api_key;
  const HmacSha256Signer& signer;
  std::shared_ptr<asio::ssl::context> tls;

  HotPipeline hot;
  SpscQueue<ClosedTrade> q_closed;  // orders -> intents (trade.closed)
  std::unique_ptr<IntentConsumer> intents;
  IntentBoard intent_board;  // the intent thread's figures, for the ops thread
  std::atomic<bool> lease_lost{false};
  std::unique_ptr<StateJournal> journal;
  const StartupState* startup = nullptr;
  std::uint64_t requests = 0;
  std::uint64_t closed_not_queued = 0;
  std::uint64_t without_hard_stop = 0, stop_limit_refusals = 0, other_algo_orders = 0;
  ShadowFigures shadow;
};

LivePipeline::LivePipeline(const Config& config, SymbolTable& symbols, EventLog& event_log,
                           std::string api_key, const HmacSha256Signer& signer,
                           std::shared_ptr<asio::ssl::context> tls)
    : impl_(std::make_unique<Impl>(config, symbols, event_log, std::move(api_key), signer,
                                   std::move(tls))) {}

LivePipeline::~LivePipeline() = default;

std::string LivePipeline::prepare(const StartupState& startup) {
  Impl& p = *impl_;
  p.startup = &startup;
  PriceState ignored;
  for (SymbolId s = 0; s < startup.klines.size(); ++s) {
    for (const Candle& c : startup.klines[s]) {
      MarketEvent ev;
      ev.kind = MarketEventKind::kKline;
      ev.symbol = s;
      ev.kline_closed = true;
      ev.kline = c;
      ev.price = c.close;
      ev.event_time = c.close_time();
      (void)p.hot.state().on_event(ev, ignored);
    }
  }
  for (const PositionRisk& pr : startup.unmanaged_positions)
    p.event_log.text(R"("event":"unmanaged_position","symbol":)" + JsonLine::quote(pr.symbol) +
                     R"(,"amount":)" + to_string(pr.amount) +
                     R"(,"note":"not in [symbols] list: exitbrain does not touch it")");

  // The state journal: the plans as the last run left them.
  const RunSettings& run = p.live.run;
  StateJournalSettings js;
  js.dir = run.state_dir;
  js.identity = journal_identity(p.config, p.api_key);
  js.options.sync = run.journal_sync == "off"           ? JournalSync::kOff
                    : run.journal_sync == "every_batch" ? JournalSync::kEveryBatch
                                                        : JournalSync::kInterval;
  js.options.sync_interval_ms = run.journal_sync_interval_ms;
  js.snapshot_interval_ms = run.snapshot_interval_s * 1000;
  js.retention_ms = run.journal_retention_h * 3'600'000;
  p.journal = std::make_unique<StateJournal>(p.config, p.hot.plan(), p.symbols, p.event_log, js,
                                             kMaxPositions);
  RestoreReport rr;
  if (std::string err = p.journal->restore(rr); !err.empty()) return err;
  const std::vector<std::uint8_t> state = p.journal->stage_state();
  ByteReader reader(state);
  if (auto err = p.hot.decide().load(reader)) return "state_dir: " + *err;
  if (!reader.at_end()) return "state_dir: the restored state has bytes left over";
  std::uint32_t open = 0;
  for (std::uint32_t i = 0; i < p.hot.decide().engine().position_count(); ++i)
    open += !p.hot.decide().engine().position(i).closed;
  p.event_log.text(R"("event":"state_restored","state_dir":)" + JsonLine::quote(run.state_dir) +
                   R"(,"snapshot":)" + (rr.snapshot ? std::to_string(rr.snapshot_seq) : "null") +
                   R"(,"records":)" + std::to_string(rr.records) + R"(,"last_seq":)" +
                   std::to_string(rr.last_seq) + R"(,"positions":)" +
                   std::to_string(p.hot.decide().engine().position_count()) + R"(,"open":)" +
                   std::to_string(open) + R"(,"load_ms":)" + std::to_string(rr.load_ms));
  if (rr.lost_bytes > 0 || !rr.damage.empty())
    p.event_log.text(
        R"("event":"alert","alert":"journal_damaged","lost_bytes":)" +
        std::to_string(rr.lost_bytes) + R"(,"where":)" + JsonLine::quote(rr.damage) +
        R"(,"note":"restored up to the last good record; reconciliation with the exchange follows")");
  if (!rr.note.empty())
    p.event_log.text(R"("event":"alert","alert":"snapshot_damaged","note":)" +
                     JsonLine::quote(rr.note));
  p.hot.decide().set_journal(&p.journal->decide_ring());
  return {};
}

std::string LivePipeline::run(const std::atomic<bool>& stop, ServerClock& clock,
                              PositionMode mode) {
  Impl& p = *impl_;
  const ExchangeSettings& ex = p.live.exchange;
  const EndpointUrl rest_url = parse_endpoint_url(ex.rest_url).url;
  const EndpointUrl private_url = parse_endpoint_url(ex.ws_private_url).url;

  // [orders]: its own kept-alive connection, opened now so the first exit does not pay.
  RestClientOptions ro;
  ro.api_key = p.api_key;
  ro.timeout_ms = ex.timeout_ms;
  RestClient order_rest(http_target(rest_url), p.tls, ro);
  if (std::string err = order_rest.connect(); !err.empty()) return "order connection: " + err;
  GatewaySettings gs;
  gs.mode = mode;
  gs.recv_window_ms = ex.recv_window_ms;
  gs.hard_stops = p.live.run.hard_stop;
  gs.hard_stop_policy = p.live.run.hard_stop_policy;
  gs.max_conditional_orders = static_cast<std::size_t>(p.live.run.max_conditional_orders);
  const bool shadow = p.live.run.mode == RunMode::kShadow;
  gs.shadow = shadow;
  // The run's key, part of every client id: its start second, and always after the last
  // run the journal knows, so a restart within the same second never repeats an id.
  gs.run_key = std::max(static_cast<std::uint64_t>(wall_clock_ms() / 1000),
                        p.journal->trail().run_key() + 1) &
               0xFFFFFFFFFFull;
  p.hot.decide().set_mode(mode);
  OrderGateway gateway(p.symbols, order_rest, p.signer, clock, p.event_log, gs, kMaxPositions);
  gateway.record_exit_latency_to(&p.hot.exit_latency());
  if (p.config.redis) gateway.publish_closed_to(&p.q_closed);
  gateway.journal_to(&p.journal->orders_ring());
  gateway.journal_ahead_of_stop_moves(&p.journal->decide_records_written());

  // [redis]: one owner per account across hosts, taken before anything is sent. A shadow
  // run sends nothing and owns nothing: it takes no lease (it runs beside the owner).
  std::unique_ptr<OwnerLease> lease;
  if (p.config.redis && !shadow) {
    const RedisSettings& rs = *p.config.redis;
    RedisOptions lo;
    lo.url = parse_redis_url(rs.url).url;
    if (!rs.password_env.empty())
      if (const char* v = std::getenv(rs.password_env.c_str())) lo.url.password = v;
    char host[256] = {};
    (void)::gethostname(host, sizeof host - 1);
    char account[17];
    std::snprintf(account, sizeof account, "%016llx",
                  static_cast<unsigned long long>(journal_identity(p.config, p.api_key).account));
    lease = std::make_unique<OwnerLease>(
        lo, rs.lease_prefix + account,
        std::string(host) + ":" + std::to_string(::getpid()) + ":" + std::to_string(gs.run_key),
        rs.lease_ttl_ms);
    if (std::string err = lease->acquire(); !err.empty()) return err;
    p.event_log.text(R"("event":"lease","state":"held","key":)" + JsonLine::quote(lease->key()) +
                     (lease->taken_from().empty()
                          ? std::string()
                          : R"(,"taken_from":)" + JsonLine::quote(lease->taken_from()) +
                                R"(,"note":"its holder on this host no longer runs")"));
    lease->start(
        [&p](const std::string& why) {
          p.hot.decide().halt();
          p.lease_lost = true;
          p.event_log.text(R"("event":"alert","alert":"lease_lost","reason":)" +
                           JsonLine::quote(why) +
                           R"(,"note":"no more decisions; the hard stops stay on the exchange")");
        },
        [&p] {
          p.lease_lost = false;
          p.hot.decide().resume();
          p.event_log.text(R"("event":"lease","state":"regained","note":"decisions go on")");
        });
  }

  // The journal goes on from what was restored; then the exchange and the journal are
  // reconciled, before any thread decides.
  if (std::string err = p.journal->begin_run(gs.run_key, wall_clock_ms()); !err.empty()) return err;
  {
    const ReconcileReport r =
        reconcile_at_start(*p.startup, p.symbols, p.hot.decide(), gateway, p.journal->trail(),
                           p.live.run.hard_stop_policy, p.event_log, wall_clock_ms());
    p.event_log.text(R"("event":"reconciled","restored_open":)" + std::to_string(r.restored_open) +
                     R"(,"lookups":)" + std::to_string(r.lookups) + R"(,"reduced":)" +
                     std::to_string(r.reduced) + R"(,"closed":)" + std::to_string(r.closed) +
                     R"(,"owed_exits":)" + std::to_string(r.owed_exits) + R"(,"held":)" +
                     std::to_string(r.held) + R"(,"grown":)" + std::to_string(r.grown) +
                     R"(,"stops_adopted":)" + std::to_string(r.stops_adopted) +
                     R"(,"stops_replaced":)" + std::to_string(r.stops_replaced) +
                     R"(,"stops_cancelled":)" + std::to_string(r.stops_cancelled) +
                     R"(,"stops_left":)" + std::to_string(r.stops_left) + R"(,"adopted_new":)" +
                     std::to_string(r.adopted_new));
  }
  p.hot.decide().publish_open();
  {
    const std::int64_t today = wall_clock_ms() / 86'400'000;
    gateway.set_realised_today(today, p.journal->trail().realised_on(today));
  }
  p.journal->start();

  // [intents]: created before any thread starts; connects (and reconnects) on its thread.
  if (p.config.redis) {
    std::string password;
    if (!p.config.redis->password_env.empty()) {
      const char* v = std::getenv(p.config.redis->password_env.c_str());
      if (!v || !*v) return "[redis] password_env: " + p.config.redis->password_env + " is not set";
      password = v;
    }
    p.intents = std::make_unique<IntentConsumer>(
        *p.config.redis, p.symbols, std::move(password),
        IntentLinks{&p.hot.entries_in(), &p.hot.adjustments_in(), &p.q_closed, &p.event_log});
    attach_leverage_brackets(*p.intents, *p.startup, http_target(rest_url), p.tls, ro, p.signer,
                             p.live);
  }

  // [md]
  std::string feeds_error;
  ExchangeFeeds feeds(p.config, p.tls, feeds_error);
  if (!feeds_error.empty()) return feeds_error;

  // [user]
  asio::io_context user_io;
  RestClient user_rest(http_target(rest_url), p.tls, ro);
  UserStreamSettings us;
  us.private_url = private_url;
  us.signer = &p.signer;
  us.recv_window_ms = ex.recv_window_ms;
  UserStream user(user_io, p.tls, user_rest, p.symbols, p.event_log, p.hot.account_in(),
                  p.hot.order_updates_in(), us);

  // [ops]: /metrics, /health, the control socket, the watchdog. Bound before anything
  // streams, so a port in use stops the start here.
  feeds.set_heartbeat(&p.hot.heartbeat_cell(Stage::kMd));
  OpsSources os;
  os.config = &p.config;
  os.hot = &p.hot;
  os.gateway = &gateway;
  os.user = &user;
  os.intents = p.intents ? &p.intent_board : nullptr;
  os.journal = p.journal.get();
  os.lease_lost = lease ? &p.lease_lost : nullptr;
  os.shadow = shadow;
  Operations ops(os, p.event_log);
  if (std::string err = ops.start(); !err.empty()) return err;

  if (std::string err = user.start(); !err.empty()) return "user-data stream: " + err;

  std::atomic<bool> io_stop{false}, intents_stop{false};
  std::thread intents_thread;
  // Once `stop` is set the intent thread takes no new intent; it publishes until the end.
  if (p.intents) intents_thread = std::thread([&] { p.intents_loop(stop, intents_stop); });
  std::thread user_thread([&] {
    HotPipeline::start_thread(Stage::kUser, p.live.threads, p.event_log);
    run_io(user_io, p.live.threads.wait[static_cast<int>(Stage::kUser)], io_stop,
           &p.hot.heartbeat_cell(Stage::kUser));
  });
  // Shadow: the decisions go to the sink that says what would have been sent.
  ShadowSink shadow_sink(p.symbols, p.event_log, p.live.run.hard_stop, p.live.run.hard_stop_policy,
                         kMaxPositions);
  if (shadow)
    p.hot.start(feeds, shadow_sink, stop);
  else
    p.hot.start(feeds, gateway, stop);
  p.event_log.text(R"("event":"running","symbols":)" + std::to_string(p.live.symbols.size()) +
                   R"(,"positions":)" + std::to_string(p.hot.decide().engine().position_count()) +
                   R"(,"mode":")" + (mode == PositionMode::kHedge ? "hedge" : "one-way") +
                   R"(","fused":)" + (p.live.threads.fused ? "true" : "false") +
                   R"(,"run_mode":")" + to_string(p.live.run.mode) + R"(")");

  // systemd's READY once reconciled (above) and streaming: the market feed and the
  // user-data stream both connected.
  bool ready = false;
  while (!stop.load()) {
    if (!ready && p.hot.ingest().feed_up() && user.up()) {
      ready = true;
      service::ready("managing " + std::to_string(p.live.symbols.size()) + " symbols");
      p.event_log.text(R"("event":"ready","systemd":)" +
                       std::string(service::under_systemd() ? "true" : "false"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  // Stop taking new work, let in-flight orders finish, leave the hard stops in place.
  service::stopping();
  p.event_log.text(R"("event":"stopping")");
  p.hot.join();
  p.requests = gateway.requests();
  p.closed_not_queued = gateway.closed_not_queued();
  p.without_hard_stop = gateway.positions_without_hard_stop();
  p.stop_limit_refusals = gateway.stop_limit_refusals();
  p.other_algo_orders = gateway.other_algo_orders();
  if (shadow)
    p.shadow = ShadowFigures{true,
                             shadow_sink.exits.load(),
                             shadow_sink.stop_placements.load(),
                             shadow_sink.stop_moves.load(),
                             shadow_sink.stop_cancels.load(),
                             shadow_sink.entries.load()};
  io_stop = true;
  user_thread.join();
  intents_stop = true;  // after the order sender: its last fills are published too
  if (intents_thread.joinable()) intents_thread.join();
  ops.stop();         // before what it reads goes away
  user.stop();        // no thread runs user_io any more
  p.journal->stop();  // last: every thread that writes to it has ended
  if (lease) lease->stop(true);
  return {};
}

LiveSummary LivePipeline::summary() const {
  const Impl& p = *impl_;
  const HotPipeline& hot = p.hot;
  LiveSummary s;
  s.market_frames = hot.ingest().frames.load();
  s.market_events = hot.ingest().events.load();
  s.malformed_frames = hot.ingest().malformed.load();
  s.feed_reconnects = hot.ingest().reconnects.load();
  s.stale_alerts = hot.ingest().stale.load();
  s.decisions = hot.decide().decisions.load();
  s.exits_decided = hot.decide().exits_decided.load();
  s.requests = p.requests;
  s.positions_adopted = hot.decide().adopted.load();
  s.hops = {figures("parse", hot.ingest().parse_hop()), figures("to_state", hot.to_state_hop()),
            figures("to_decision", hot.decide().to_decision_hop()),
            figures("to_order_bytes", hot.exit_latency().to_order_bytes),
            figures("tick_to_order", hot.exit_latency().tick_to_order)};
  s.intents_enabled = p.intents != nullptr;
  if (p.intents) s.intents = p.intents->stats();  // after run(): the thread has ended
  s.entries_requested = hot.decide().entries_requested.load();
  s.entries_refused = hot.decide().entries_refused.load();
  s.positions_opened = hot.decide().positions_opened.load();
  s.closed_not_queued = p.closed_not_queued;
  s.positions_without_hard_stop = p.without_hard_stop;
  s.stop_limit_refusals = p.stop_limit_refusals;
  s.other_algo_orders = p.other_algo_orders;
  s.shadow = p.shadow;
  if (p.journal) {
    s.journal_records = p.journal->records();
    s.journal_bytes = p.journal->bytes();
    s.journal_snapshots = p.journal->snapshots();
    s.journal_errors = p.journal->write_errors();
    s.journal_ring_full =
        p.journal->decide_ring().full_count() + p.journal->orders_ring().full_count();
  }
  return s;
}

}  // namespace exitbrain
