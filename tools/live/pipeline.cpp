#include "tools/live/pipeline.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/price_state_engine.hpp"
#include "core/spsc_queue.hpp"
#include "core/thread_affinity.hpp"
#include "net/binance_message_parser.hpp"
#include "net/endpoint_url.hpp"
#include "net/rest_client.hpp"
#include "net/ws_client.hpp"
#include "strategies/exit_engine.hpp"
#include "tools/common/json_line.hpp"
#include "tools/live/messages.hpp"
#include "tools/live/order_gateway.hpp"
#include "tools/live/user_stream.hpp"
#include "tools/settings/atr_plan.hpp"

namespace exitbrain {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxPositions = 4096;
// An entry that has not shown up as a position this long after it was requested failed
// (the order sender alerted why): its symbol and side take new intents again.
constexpr TimeMs kPendingEntryMs = 60'000;
constexpr std::size_t kHotRing = 16 * 1024;
constexpr std::size_t kSideRing = 2 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

HttpTarget http_target(const EndpointUrl& u) {
  return HttpTarget{u.tls, u.host, std::to_string(u.port)};
}

// Market frames -> events, on the [md] thread.
class MarketIngest final : public WsHandler {
 public:
  MarketIngest(SymbolTable& symbols, SpscQueue<MarketEvent>& out, EventLog& event_log)
      : parser_(symbols), out_(out), event_log_(event_log) {}

  void on_frame(const char* data, std::size_t len, std::size_t capacity,
                MonoNs received) noexcept override {
    frames.fetch_add(1, std::memory_order_relaxed);
    const ParseStatus s = parser_.parse(data, len, capacity, [&](const MarketEvent& parsed) {
      MarketEvent e = parsed;
      e.stamps.frame_in = received;
      e.stamps.parsed = mono_now_ns();
      out_.push(e);
      events.fetch_add(1, std::memory_order_relaxed);
    });
    if (s == ParseStatus::kMalformed) {  // rare: the text is built off the normal path
      malformed.fetch_add(1, std::memory_order_relaxed);
      event_log_.text(R"("event":"alert","alert":"market_message_malformed","field":)" +
                      JsonLine::quote(parser_.last_error().field) + R"(,"reason":)" +
                      JsonLine::quote(parser_.last_error().reason));
    }
  }

  void on_status(const WsStatus& st) override {
    if (st.kind == WsStatusKind::kConnected) reconnects.fetch_add(1);
    if (st.kind == WsStatusKind::kStale) stale.fetch_add(1);
    const bool alert = st.kind == WsStatusKind::kStale;
    event_log_.text(std::string(alert ? R"("event":"alert","alert":"market_feed_stale",)"
                                      : R"("event":"market_feed",)") +
                    R"("state":")" + to_string(st.kind) + R"(","connection":)" +
                    std::to_string(st.connection) + R"(,"detail":)" + JsonLine::quote(st.detail) +
                    (st.retry_in_ms ? R"(,"retry_in_ms":)" + std::to_string(st.retry_in_ms) : ""));
  }

  std::atomic<std::uint64_t> frames{0}, events{0}, malformed{0}, reconnects{0}, stale{0};

 private:
  BinanceMessageParser parser_;
  SpscQueue<MarketEvent>& out_;
  EventLog& event_log_;
};

// The profiles positions can end up with: the default one and, for a by-regime default,
// the profiles it hands positions to.
std::vector<Profile> profiles_in_use(const Config& config) {
  std::vector<Profile> out;
  const int def = config.find_profile(config.default_profile);
  if (def < 0) return out;
  out.push_back(config.profiles[static_cast<std::size_t>(def)]);
  if (out.back().by_regime)
    for (const char* name : {"RANGE", "TRENDING", "VOLATILE"})
      if (const int i = config.find_profile(name); i >= 0)
        out.push_back(config.profiles[static_cast<std::size_t>(i)]);
  return out;
}

// The io loop of an I/O thread, by wait strategy, until `stop`.
void run_io(asio::io_context& io, WaitStrategy wait, const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) {
    switch (wait) {
      case WaitStrategy::kSpin:
        io.poll();
        break;
      case WaitStrategy::kSpinYield:
        io.poll();
        std::this_thread::yield();
        break;
      case WaitStrategy::kBlock:
        io.run_for(std::chrono::milliseconds(100));
        break;
    }
    if (io.stopped()) io.restart();
  }
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
        q_md(kHotRing, &state_bell),
        q_state(kHotRing, &decide_bell),
        q_orders(kHotRing, &orders_bell),
        q_account(kSideRing, live.threads.fused ? &state_bell : &decide_bell),
        q_user_orders(kSideRing, &orders_bell),
        q_entries(kSideRing, live.threads.fused ? &state_bell : &decide_bell),
        q_adjust(64, live.threads.fused ? &state_bell : &decide_bell),
        q_closed(kSideRing) {
    const int def = config.find_profile(config.default_profile);
    plan = plan_atr_specs(config, {def});
    state = std::make_unique<PriceStateEngine>(SymbolTable::kMaxSymbols, plan.specs, config.regime);
    engine =
        std::make_unique<ExitEngine>(config.profiles, plan.spec_of_profile, symbols, kMaxPositions);
    awaiting_flat.assign(SymbolTable::kMaxSymbols, {false, false});
    pending_entries.resize(SymbolTable::kMaxSymbols);
  }

  void pin(Stage stage) {
    const int i = static_cast<int>(stage);
    name_current_thread((std::string("eb-") + to_string(stage)).c_str());
    if (live.threads.cpu[i] >= 0) {
      const std::string err = pin_current_thread(live.threads.cpu[i]);
      event_log.text(R"("event":"thread","stage":")" + std::string(to_string(stage)) +
                     R"(","cpu":)" + std::to_string(live.threads.cpu[i]) +
                     (err.empty() ? "" : R"(,"error":)" + JsonLine::quote(err)));
    }
  }
  WaitStrategy wait(Stage s) const { return live.threads.wait[static_cast<int>(s)]; }

  // ---- decide -------------------------------------------------------------------------
  void decide(const PriceState& st) {
    engine->on_price(st, [this](const Decision& d) { emit(d); });
  }

  void emit(const Decision& decided) {
    Decision d = decided;
    if (d.kind == DecisionKind::kExit) {
      d.stamps.decided = mono_now_ns();
      exits_decided.fetch_add(1, std::memory_order_relaxed);
      if (!d.remaining.is_positive()) awaiting_flat[d.symbol][static_cast<int>(d.side)] = true;
    }
    decisions.fetch_add(1, std::memory_order_relaxed);
    q_orders.push(OrderWork{OrderWorkKind::kDecision, d});
    event_log.decision(d);
  }

  void drain_account() {
    AccountChange c;
    while (q_account.try_pop(c)) on_account(c);
    cross_exchange::Adjustments a;
    while (q_adjust.try_pop(a))
      engine->set_level_adjustments(LevelAdjustments{
          !a.local_mode, a.atr_multiplier, a.tp_multiplier, a.sl_multiplier, a.use_trailing});
    EntryOrder e;
    while (q_entries.try_pop(e)) on_entry(e);
  }

  // ---- entries (rare: may log) --------------------------------------------------------
  struct PendingEntry {
    bool active = false;
    EntryOrder order{};
    TimeMs since = 0;
  };

  static std::string intent_id(const EntryOrder& e) {
    return std::to_string(e.intent_ms) + "-" + std::to_string(e.intent_seq);
  }

  // The entry in flight on this symbol and side, if any. One older than kPendingEntryMs
  // failed: it is dropped here, so it neither blocks new intents, nor counts toward the
  // total limit, nor makes somebody else's later position look like ours.
  PendingEntry* pending(SymbolId s, Side side, TimeMs now) {
    PendingEntry& pe = pending_entries[s][static_cast<int>(side)];
    if (pe.active && now - pe.since > kPendingEntryMs) {
      pe.active = false;
      event_log.text(R"("event":"entry_expired","intent_id":")" + intent_id(pe.order) +
                     R"(","note":"no position appeared within 60 s")");
    }
    return pe.active ? &pe : nullptr;
  }

  // A trade intent to execute: one position per symbol and side, within the total limit.
  void on_entry(const EntryOrder& e) {
    const TimeMs now = wall_clock_ms();
    const std::string what = R"("intent_id":")" + intent_id(e) + R"(","symbol":")" +
                             std::string(symbols.name(e.symbol)) + R"(","side":")" +
                             std::string(to_string(e.side)) + R"(","notional":)" +
                             std::to_string(e.notional);
    auto refuse = [&](const std::string& reason) {
      entries_refused.fetch_add(1);
      event_log.text(R"("event":"alert","alert":"entry_refused",)" + what + R"(,"reason":)" +
                     JsonLine::quote(reason));
    };
    if (pending(e.symbol, e.side, now) || engine->find_open(e.symbol, e.side))
      return refuse("a position on this symbol and side is already open or opening");
    // One-way mode nets both sides into one position: an entry against an open position
    // would reduce or flip it instead of opening a new one.
    const Side opposite = e.side == Side::kLong ? Side::kShort : Side::kLong;
    if (mode == PositionMode::kOneWay &&
        (pending(e.symbol, opposite, now) || engine->find_open(e.symbol, opposite)))
      return refuse("one-way mode: a position on the other side of this symbol is open or opening");
    double open_notional = e.notional;
    for (std::uint32_t i = 0; i < engine->position_count(); ++i) {
      const PositionState& pos = engine->position(i);
      if (!pos.closed) open_notional += pos.remaining.to_double() * pos.entry.to_double();
    }
    for (SymbolId s = 0; s < symbols.size(); ++s)
      for (const Side side : {Side::kLong, Side::kShort})
        if (const PendingEntry* other = pending(s, side, now))
          open_notional += other->order.notional;
    const double limit = config.redis->max_total_notional_usd;
    if (open_notional > limit)
      return refuse("max_total_notional_usd " + std::to_string(limit) + " would be exceeded (" +
                    std::to_string(open_notional) + ")");
    pending_entries[e.symbol][static_cast<int>(e.side)] = PendingEntry{true, e, now};
    entries_requested.fetch_add(1);
    OrderWork w;
    w.kind = OrderWorkKind::kEntry;
    w.entry = e;
    q_orders.push(w);
    event_log.text(R"("event":"entry_requested",)" + what + R"(,"qty":)" + to_string(e.qty) +
                   R"(,"leverage":)" + std::to_string(e.leverage));
  }

  // A new position on the exchange that an entry of ours opened: managed with its intent's
  // levels. False when its levels no longer fit the fill (the caller then manages it with
  // the profile's levels).
  bool open_for_intent(const AccountChange& c) {
    PendingEntry& pe = pending_entries[c.symbol][static_cast<int>(c.side)];
    pe.active = false;
    NewPosition np;
    np.symbol = c.symbol;
    np.side = c.side;
    np.qty = c.amount;
    np.entry = c.entry;
    np.opened_at = c.time;
    np.profile = static_cast<std::uint16_t>(config.find_profile(config.default_profile));
    np.sl = pe.order.sl;
    if (pe.order.tp.is_positive()) {
      np.tp[0] = pe.order.tp;
      np.tp_count = 1;
    }
    if (auto err = engine->add_position(np, [this](const Decision& d) { emit(d); })) {
      event_log.text(R"("event":"alert","alert":"intent_levels_rejected","intent_id":")" +
                     intent_id(pe.order) + R"(","field":")" + err->field + R"(","reason":)" +
                     JsonLine::quote(err->reason) +
                     R"(,"note":"managed with the profile's levels instead")");
      return false;
    }
    positions_opened.fetch_add(1);
    event_log.text(R"("event":"position_opened","position":)" +
                   std::to_string(engine->position_count() - 1) + R"(,"intent_id":")" +
                   intent_id(pe.order) + R"(","symbol":")" + std::string(symbols.name(c.symbol)) +
                   R"(","side":")" + std::string(to_string(c.side)) + R"(","qty":)" +
                   to_string(c.amount) + R"(,"entry":)" + to_string(c.entry) + R"(,"sl":)" +
                   to_string(pe.order.sl) + R"(,"tp":)" + to_string(pe.order.tp));
    return true;
  }

  // The exchange's view of a position (ACCOUNT_UPDATE). Rare: may log.
  void on_account(const AccountChange& c) {
    auto& waiting = awaiting_flat[c.symbol];
    if (!c.amount.is_positive()) {  // flat: our full exits have landed
      if (c.side_known)
        waiting[static_cast<int>(c.side)] = false;
      else
        waiting = {false, false};
    }
    std::optional<std::uint32_t> index;
    if (c.side_known) {
      index = engine->find_open(c.symbol, c.side);
    } else {
      index = engine->find_open(c.symbol, Side::kLong);
      if (!index) index = engine->find_open(c.symbol, Side::kShort);
    }
    if (index) {
      const PositionState& pos = engine->position(*index);
      const ExternalChange change = engine->sync_with_exchange(*index, c.amount);
      if (change == ExternalChange::kNone) return;
      event_log.text(R"("event":"position_changed_outside","position":)" + std::to_string(*index) +
                     R"(,"symbol":")" + std::string(symbols.name(c.symbol)) + R"(","side":")" +
                     std::string(to_string(pos.side)) + R"(","amount":)" + to_string(c.amount));
      if (change == ExternalChange::kClosed) {
        OrderWork w;
        w.kind = OrderWorkKind::kClosedOutside;
        w.decision.position = *index;
        w.decision.symbol = c.symbol;
        w.decision.side = pos.side;
        q_orders.push(w);
      }
      return;
    }
    if (!c.amount.is_positive() || !c.side_known) return;
    // A state from before our own full exit filled: not a new position.
    if (waiting[static_cast<int>(c.side)]) return;
    if (pending(c.symbol, c.side, wall_clock_ms())) {
      if (!open_for_intent(c))  // ours all the same: managed with the profile's levels
        adopt(c.symbol, c.side, c.amount, c.entry, c.time, "intent", true);
      return;
    }
    adopt(c.symbol, c.side, c.amount, c.entry, c.time, "user_stream");
  }

  void adopt(SymbolId s, Side side, Qty amount, Price entry, TimeMs opened_at, const char* source,
             bool ours = false) {
    const std::string what = R"("symbol":")" + std::string(symbols.name(s)) + R"(","side":")" +
                             std::string(to_string(side)) + R"(","qty":)" + to_string(amount) +
                             R"(,"entry":)" + to_string(entry) + R"(,"source":")" + source + "\"";
    if (!ours && live.run.foreign_positions == ForeignPolicy::kIgnore) {
      event_log.text(R"("event":"foreign_position","action":"ignored",)" + what);
      return;
    }
    if (!ours && live.run.foreign_positions == ForeignPolicy::kAlert) {
      event_log.text(R"("event":"alert","alert":"foreign_position",)" + what);
      return;
    }
    if (engine->position_count() >= kMaxPositions) {
      event_log.text(R"("event":"alert","alert":"position_table_full",)" + what);
      return;
    }
    NewPosition np;
    np.symbol = s;
    np.side = side;
    np.qty = amount;
    np.entry = entry;
    np.opened_at = opened_at;
    np.profile = static_cast<std::uint16_t>(config.find_profile(config.default_profile));
    if (auto err = engine->add_position(np, [this](const Decision& d) { emit(d); })) {
      event_log.text(R"("event":"alert","alert":"adopt_failed","field":")" +
                     std::string(err->field) + R"(","reason":)" + JsonLine::quote(err->reason) +
                     "," + what);
      return;
    }
    adopted.fetch_add(1);
    event_log.text(R"("event":"position_adopted","position":)" +
                   std::to_string(engine->position_count() - 1) + "," + what + R"(,"profile":")" +
                   config.default_profile + "\"");
  }

  // ---- threads ------------------------------------------------------------------------
  void state_loop() {
    pin(Stage::kState);
    MarketEvent ev;
    PriceState st;
    const bool fused = live.threads.fused;
    for (;;) {
      bool any = false;
      while (q_md.try_pop(ev)) {
        any = true;
        if (!state->on_event(ev, st)) continue;
        st.stamps.state = mono_now_ns();
        if (fused)
          decide(st);
        else
          q_state.push(st);
      }
      if (fused) drain_account();
      if (!any) {
        if (md_done.load() && q_md.size_approx() == 0) break;
        idle_wait(wait(Stage::kState), state_bell);
      }
    }
    state_done = true;
    if (fused) decide_done = true;
    decide_bell.ring();
    orders_bell.ring();
  }

  void decide_loop() {
    pin(Stage::kDecide);
    PriceState st;
    for (;;) {
      bool any = false;
      while (q_state.try_pop(st)) {
        any = true;
        decide(st);
      }
      drain_account();
      if (!any) {
        if (state_done.load() && q_state.size_approx() == 0) break;
        idle_wait(wait(Stage::kDecide), decide_bell);
      }
    }
    decide_done = true;
    orders_bell.ring();
  }

  void orders_loop(OrderGateway& gw) {
    pin(Stage::kOrders);
    OrderWork w;
    UserEvent e;
    MonoNs next_timer = 0;
    MonoNs drain_deadline = 0;
    for (;;) {
      bool any = false;
      while (q_orders.try_pop(w)) {
        any = true;
        if (w.kind == OrderWorkKind::kDecision)
          gw.on_decision(w.decision);
        else if (w.kind == OrderWorkKind::kEntry)
          gw.on_entry(w.entry);
        else
          gw.on_closed_outside(w.decision.position);
      }
      while (q_user_orders.try_pop(e)) {
        any = true;
        gw.on_user_event(e);
      }
      const MonoNs now = mono_now_ns();
      if (now >= next_timer) {
        gw.on_timer();
        next_timer = now + 100'000'000;
      }
      if (decide_done.load() && q_orders.size_approx() == 0) {
        if (drain_deadline == 0) drain_deadline = now + live.run.shutdown_grace_ms * 1'000'000;
        if (gw.idle() || now >= drain_deadline) break;
      }
      if (!any) idle_wait(wait(Stage::kOrders), orders_bell);
    }
    requests = gw.requests();
    closed_not_queued = gw.closed_not_queued();
    orders_done = true;
  }

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
    while (!stop.load()) {
      const TimeMs now = wall_clock_ms();
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

  Doorbell state_bell, decide_bell, orders_bell;
  SpscQueue<MarketEvent> q_md;
  SpscQueue<PriceState> q_state;
  SpscQueue<OrderWork> q_orders;
  SpscQueue<AccountChange> q_account;
  SpscQueue<UserEvent> q_user_orders;

  AtrPlan plan;
  std::unique_ptr<PriceStateEngine> state;
  std::unique_ptr<ExitEngine> engine;
  std::vector<std::array<bool, 2>> awaiting_flat;  // per symbol and side
  std::unique_ptr<MarketIngest> ingest;

  SpscQueue<EntryOrder> q_entries;
  SpscQueue<cross_exchange::Adjustments> q_adjust;
  SpscQueue<ClosedTrade> q_closed;
  std::vector<std::array<PendingEntry, 2>> pending_entries;  // per symbol and side
  std::unique_ptr<IntentConsumer> intents;

  std::atomic<bool> md_done{false}, state_done{false}, decide_done{false}, orders_done{false};
  std::atomic<std::uint64_t> decisions{0}, exits_decided{0}, adopted{0};
  std::atomic<std::uint64_t> entries_requested{0}, entries_refused{0}, positions_opened{0};
  std::uint64_t requests = 0;
  std::uint64_t closed_not_queued = 0;
  PositionMode mode = PositionMode::kOneWay;  // set by run() before the threads start
};

LivePipeline::LivePipeline(const Config& config, SymbolTable& symbols, EventLog& event_log,
                           std::string api_key, const HmacSha256Signer& signer,
                           std::shared_ptr<asio::ssl::context> tls)
    : impl_(std::make_unique<Impl>(config, symbols, event_log, std::move(api_key), signer,
                                   std::move(tls))) {}

LivePipeline::~LivePipeline() = default;

void LivePipeline::prepare(const StartupState& startup) {
  Impl& p = *impl_;
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
      (void)p.state->on_event(ev, ignored);
    }
  }
  for (const PositionRisk& pr : startup.positions) {
    const SymbolId s = *p.symbols.find(pr.symbol);
    const Side side = pr.position_side == PositionSideField::kShort  ? Side::kShort
                      : pr.position_side == PositionSideField::kLong ? Side::kLong
                      : pr.amount.is_negative()                      ? Side::kShort
                                                                     : Side::kLong;
    const Qty qty = pr.amount.is_negative() ? -pr.amount : pr.amount;
    const TimeMs opened = pr.update_time > 0 ? pr.update_time : wall_clock_ms();
    p.adopt(s, side, qty, pr.entry_price, opened, "startup");
  }
  for (const PositionRisk& pr : startup.unmanaged_positions)
    p.event_log.text(R"("event":"unmanaged_position","symbol":)" + JsonLine::quote(pr.symbol) +
                     R"(,"amount":)" + to_string(pr.amount) +
                     R"(,"note":"not in [symbols] list: exitbrain does not touch it")");
}

std::string LivePipeline::run(const std::atomic<bool>& stop, ServerClock& clock,
                              PositionMode mode) {
  Impl& p = *impl_;
  const ExchangeSettings& ex = p.live.exchange;
  const EndpointUrl rest_url = parse_endpoint_url(ex.rest_url).url;
  const EndpointUrl market_url = parse_endpoint_url(ex.ws_market_url).url;
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
  gs.run_key = static_cast<std::uint64_t>(wall_clock_ms() / 1000) & 0xFFFFFFFFFFull;
  p.mode = mode;
  OrderGateway gateway(p.symbols, order_rest, p.signer, clock, p.event_log, gs, kMaxPositions);
  if (p.config.redis) gateway.publish_closed_to(&p.q_closed);

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
        IntentLinks{&p.q_entries, &p.q_adjust, &p.q_closed, &p.event_log});
  }

  // [md]: one combined-stream connection on the /market route for every symbol (marks,
  // klines, and trades when a profile triggers on the last price), and one on /public for
  // book tickers when a profile triggers on the mid.
  if (p.live.symbols.size() > 340) return "more than 340 symbols need several connections";
  bool need_last = false, need_mid = false;
  for (const Profile& pf : profiles_in_use(p.config)) {
    need_last = need_last || pf.trigger_source == TriggerSource::kLast;
    need_mid = need_mid || pf.trigger_source == TriggerSource::kMid;
  }
  std::string streams, book_streams;
  for (const std::string& name : p.live.symbols) {
    const std::string sym = lower(name);
    if (!streams.empty()) streams += '/';
    streams += sym + "@" + p.live.run.mark_stream;
    if (p.live.run.kline_stream) streams += "/" + sym + "@kline_1m";
    if (need_last) streams += "/" + sym + "@aggTrade";
    if (need_mid) book_streams += (book_streams.empty() ? "" : "/") + sym + "@bookTicker";
  }
  WsClientOptions mo;
  mo.where = WsTarget{market_url.tls, market_url.host, std::to_string(market_url.port),
                      market_url.path + "/stream?streams=" + streams};
  mo.stale_after_ms = p.live.run.stale_after_ms;
  asio::io_context md_io;
  p.ingest = std::make_unique<MarketIngest>(p.symbols, p.q_md, p.event_log);
  WsClient market(md_io, p.tls, mo, *p.ingest);
  std::unique_ptr<WsClient> book;
  if (need_mid) {
    const EndpointUrl public_url = parse_endpoint_url(ex.ws_public_url).url;
    WsClientOptions bo = mo;
    bo.where = WsTarget{public_url.tls, public_url.host, std::to_string(public_url.port),
                        public_url.path + "/stream?streams=" + book_streams};
    bo.jitter_seed = 0xb00c;
    book = std::make_unique<WsClient>(md_io, p.tls, bo, *p.ingest);
  }

  // [user]
  asio::io_context user_io;
  RestClient user_rest(http_target(rest_url), p.tls, ro);
  UserStreamSettings us;
  us.private_url = private_url;
  UserStream user(user_io, p.tls, user_rest, p.symbols, p.event_log, p.q_account, p.q_user_orders,
                  us);
  if (std::string err = user.start(); !err.empty()) return "user-data stream: " + err;

  std::atomic<bool> io_stop{false};
  std::atomic<bool> intents_reading_stop{false}, intents_stop{false};
  std::thread intents_thread;
  if (p.intents)
    intents_thread = std::thread([&] { p.intents_loop(intents_reading_stop, intents_stop); });
  std::thread user_thread([&] {
    p.pin(Stage::kUser);
    run_io(user_io, p.wait(Stage::kUser), io_stop);
  });
  std::thread orders_thread([&] { p.orders_loop(gateway); });
  std::thread decide_thread;
  if (!p.live.threads.fused) decide_thread = std::thread([&] { p.decide_loop(); });
  std::thread state_thread([&] { p.state_loop(); });
  std::atomic<bool> md_stop{false};
  std::thread md_thread([&] {
    p.pin(Stage::kMd);
    market.start();
    if (book) book->start();
    run_io(md_io, p.wait(Stage::kMd), md_stop);
    market.stop();
    if (book) book->stop();
  });
  p.event_log.text(R"("event":"running","symbols":)" + std::to_string(p.live.symbols.size()) +
                   R"(,"positions":)" + std::to_string(p.engine->position_count()) +
                   R"(,"mode":")" + (mode == PositionMode::kHedge ? "hedge" : "one-way") +
                   R"(","fused":)" + (p.live.threads.fused ? "true" : "false"));

  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));

  // Stop taking new work, let in-flight orders finish, leave the hard stops in place.
  p.event_log.text(R"("event":"stopping")");
  intents_reading_stop = true;
  md_stop = true;
  md_thread.join();
  p.md_done = true;
  p.state_bell.ring();
  state_thread.join();
  if (decide_thread.joinable()) decide_thread.join();
  orders_thread.join();
  io_stop = true;
  user_thread.join();
  intents_stop = true;  // after the order sender: its last fills are published too
  if (intents_thread.joinable()) intents_thread.join();
  user.stop();  // no thread runs user_io any more
  return {};
}

LiveSummary LivePipeline::summary() const {
  const Impl& p = *impl_;
  LiveSummary s;
  if (p.ingest) {
    s.market_frames = p.ingest->frames.load();
    s.market_events = p.ingest->events.load();
    s.malformed_frames = p.ingest->malformed.load();
    s.feed_reconnects = p.ingest->reconnects.load();
    s.stale_alerts = p.ingest->stale.load();
  }
  s.decisions = p.decisions.load();
  s.exits_decided = p.exits_decided.load();
  s.requests = p.requests;
  s.positions_adopted = p.adopted.load();
  s.intents_enabled = p.intents != nullptr;
  if (p.intents) s.intents = p.intents->stats();  // after run(): the thread has ended
  s.entries_requested = p.entries_requested.load();
  s.entries_refused = p.entries_refused.load();
  s.positions_opened = p.positions_opened.load();
  s.closed_not_queued = p.closed_not_queued;
  return s;
}

}  // namespace exitbrain
