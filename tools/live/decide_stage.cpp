#include "tools/live/decide_stage.hpp"

#include "tools/common/json_line.hpp"

namespace exitbrain {

namespace {

// An entry that has not shown up as a position this long after it was requested failed
// (the order sender alerted why): its symbol and side take new intents again.
constexpr TimeMs kPendingEntryMs = 60'000;

std::string intent_id(const EntryOrder& e) {
  return std::to_string(e.intent_ms) + "-" + std::to_string(e.intent_seq);
}

}  // namespace

DecideStage::DecideStage(const Config& config, const AtrPlan& plan, SymbolTable& symbols,
                         EventLog& event_log, SinkRef<OrderWork> to_orders,
                         std::size_t max_positions)
    : config_(config),
      symbols_(symbols),
      event_log_(event_log),
      to_orders_(to_orders),
      engine_(std::make_unique<ExitEngine>(config.profiles, plan.spec_of_profile, symbols,
                                           max_positions)),
      default_profile_(static_cast<std::uint16_t>(config.find_profile(config.default_profile))) {
  awaiting_flat_.assign(SymbolTable::kMaxSymbols, {false, false});
  pending_entries_.resize(SymbolTable::kMaxSymbols);
}

void DecideStage::on_price(const PriceState& st) noexcept {
  engine_->on_price(st, [this](const Decision& d) { emit(d); });
  if (st.stamps.frame_in) {  // 0: not timed (the benchmark's warm-up)
    const MonoNs now = mono_now_ns();
    to_decision_.record(now - st.stamps.state);
    tick_to_decision_.record(now - st.stamps.frame_in);
  }
  if (supply_) supply_->after_price(st, *this);
}

void DecideStage::emit(const Decision& decided) noexcept {
  Decision d = decided;
  if (d.kind == DecisionKind::kExit) {
    d.stamps.decided = mono_now_ns();
    exits_decided.fetch_add(1, std::memory_order_relaxed);
    if (!d.remaining.is_positive()) awaiting_flat_[d.symbol][static_cast<int>(d.side)] = true;
  }
  decisions.fetch_add(1, std::memory_order_relaxed);
  to_orders_(OrderWork{OrderWorkKind::kDecision, d});
  event_log_.decision(d);
  if (supply_) supply_->on_decision(d);
}

void DecideStage::on_adjustments(const cross_exchange::Adjustments& a) noexcept {
  engine_->set_level_adjustments(LevelAdjustments{!a.local_mode, a.atr_multiplier, a.tp_multiplier,
                                                  a.sl_multiplier, a.use_trailing});
}

// ---- entries (rare: may log) ----------------------------------------------------------

// The entry in flight on this symbol and side, if any. One older than kPendingEntryMs
// failed: it is dropped here, so it neither blocks new intents, nor counts toward the
// total limit, nor makes somebody else's later position look like ours.
DecideStage::PendingEntry* DecideStage::pending(SymbolId s, Side side, TimeMs now) {
  PendingEntry& pe = pending_entries_[s][static_cast<int>(side)];
  if (pe.active && now - pe.since > kPendingEntryMs) {
    pe.active = false;
    event_log_.text(R"("event":"entry_expired","intent_id":")" + intent_id(pe.order) +
                    R"(","note":"no position appeared within 60 s")");
  }
  return pe.active ? &pe : nullptr;
}

// A trade intent to execute: one position per symbol and side, within the total limit.
void DecideStage::on_entry(const EntryOrder& e) {
  const TimeMs now = wall_clock_ms();
  const std::string what = R"("intent_id":")" + intent_id(e) + R"(","symbol":")" +
                           std::string(symbols_.name(e.symbol)) + R"(","side":")" +
                           std::string(to_string(e.side)) + R"(","notional":)" +
                           std::to_string(e.notional);
  auto refuse = [&](const std::string& reason) {
    entries_refused.fetch_add(1);
    event_log_.text(R"("event":"alert","alert":"entry_refused",)" + what + R"(,"reason":)" +
                    JsonLine::quote(reason));
  };
  if (!config_.redis) return refuse("no [redis] table: entries are not executed");
  if (pending(e.symbol, e.side, now) || engine_->find_open(e.symbol, e.side))
    return refuse("a position on this symbol and side is already open or opening");
  // One-way mode nets both sides into one position: an entry against an open position
  // would reduce or flip it instead of opening a new one.
  const Side opposite = e.side == Side::kLong ? Side::kShort : Side::kLong;
  if (mode_ == PositionMode::kOneWay &&
      (pending(e.symbol, opposite, now) || engine_->find_open(e.symbol, opposite)))
    return refuse("one-way mode: a position on the other side of this symbol is open or opening");
  double open_notional = e.notional;
  for (std::uint32_t i = 0; i < engine_->position_count(); ++i) {
    const PositionState& pos = engine_->position(i);
    if (!pos.closed) open_notional += pos.remaining.to_double() * pos.entry.to_double();
  }
  for (SymbolId s = 0; s < symbols_.size(); ++s)
    for (const Side side : {Side::kLong, Side::kShort})
      if (const PendingEntry* other = pending(s, side, now)) open_notional += other->order.notional;
  const double limit = config_.redis->max_total_notional_usd;
  if (open_notional > limit)
    return refuse("max_total_notional_usd " + std::to_string(limit) + " would be exceeded (" +
                  std::to_string(open_notional) + ")");
  pending_entries_[e.symbol][static_cast<int>(e.side)] = PendingEntry{true, e, now};
  entries_requested.fetch_add(1);
  OrderWork w;
  w.kind = OrderWorkKind::kEntry;
  w.entry = e;
  to_orders_(w);
  event_log_.text(R"("event":"entry_requested",)" + what + R"(,"qty":)" + to_string(e.qty) +
                  R"(,"leverage":)" + std::to_string(e.leverage));
}

// A new position on the exchange that an entry of ours opened: managed with its intent's
// levels. False when its levels no longer fit the fill (the caller then manages it with
// the profile's levels).
bool DecideStage::open_for_intent(const AccountChange& c) {
  PendingEntry& pe = pending_entries_[c.symbol][static_cast<int>(c.side)];
  pe.active = false;
  NewPosition np;
  np.symbol = c.symbol;
  np.side = c.side;
  np.qty = c.amount;
  np.entry = c.entry;
  np.opened_at = c.time;
  np.profile = default_profile_;
  np.sl = pe.order.sl;
  if (pe.order.tp.is_positive()) {
    np.tp[0] = pe.order.tp;
    np.tp_count = 1;
  }
  if (auto err = engine_->add_position(np, [this](const Decision& d) { emit(d); })) {
    event_log_.text(R"("event":"alert","alert":"intent_levels_rejected","intent_id":")" +
                    intent_id(pe.order) + R"(","field":")" + err->field + R"(","reason":)" +
                    JsonLine::quote(err->reason) +
                    R"(,"note":"managed with the profile's levels instead")");
    return false;
  }
  positions_opened.fetch_add(1);
  event_log_.text(R"("event":"position_opened","position":)" +
                  std::to_string(engine_->position_count() - 1) + R"(,"intent_id":")" +
                  intent_id(pe.order) + R"(","symbol":")" + std::string(symbols_.name(c.symbol)) +
                  R"(","side":")" + std::string(to_string(c.side)) + R"(","qty":)" +
                  to_string(c.amount) + R"(,"entry":)" + to_string(c.entry) + R"(,"sl":)" +
                  to_string(pe.order.sl) + R"(,"tp":)" + to_string(pe.order.tp));
  return true;
}

// ---- the account (rare: may log) ------------------------------------------------------

// The exchange's view of a position (ACCOUNT_UPDATE).
void DecideStage::on_account(const AccountChange& c) {
  auto& waiting = awaiting_flat_[c.symbol];
  if (!c.amount.is_positive()) {  // flat: our full exits have landed
    if (c.side_known)
      waiting[static_cast<int>(c.side)] = false;
    else
      waiting = {false, false};
  }
  std::optional<std::uint32_t> index;
  if (c.side_known) {
    index = engine_->find_open(c.symbol, c.side);
  } else {
    index = engine_->find_open(c.symbol, Side::kLong);
    if (!index) index = engine_->find_open(c.symbol, Side::kShort);
  }
  if (index) {
    const PositionState& pos = engine_->position(*index);
    const ExternalChange change = engine_->sync_with_exchange(*index, c.amount);
    if (change == ExternalChange::kNone) return;
    event_log_.text(R"("event":"position_changed_outside","position":)" + std::to_string(*index) +
                    R"(,"symbol":")" + std::string(symbols_.name(c.symbol)) + R"(","side":")" +
                    std::string(to_string(pos.side)) + R"(","amount":)" + to_string(c.amount));
    if (change == ExternalChange::kClosed) {
      OrderWork w;
      w.kind = OrderWorkKind::kClosedOutside;
      w.decision.position = *index;
      w.decision.symbol = c.symbol;
      w.decision.side = pos.side;
      to_orders_(w);
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

void DecideStage::adopt(SymbolId s, Side side, Qty amount, Price entry, TimeMs opened_at,
                        const char* source, bool ours) {
  const std::string what = R"("symbol":")" + std::string(symbols_.name(s)) + R"(","side":")" +
                           std::string(to_string(side)) + R"(","qty":)" + to_string(amount) +
                           R"(,"entry":)" + to_string(entry) + R"(,"source":")" + source + "\"";
  const ForeignPolicy policy = config_.live.run.foreign_positions;
  if (!ours && policy == ForeignPolicy::kIgnore) {
    event_log_.text(R"("event":"foreign_position","action":"ignored",)" + what);
    return;
  }
  if (!ours && policy == ForeignPolicy::kAlert) {
    event_log_.text(R"("event":"alert","alert":"foreign_position",)" + what);
    return;
  }
  if (engine_->position_count() >= engine_->position_capacity()) {
    event_log_.text(R"("event":"alert","alert":"position_table_full",)" + what);
    return;
  }
  NewPosition np;
  np.symbol = s;
  np.side = side;
  np.qty = amount;
  np.entry = entry;
  np.opened_at = opened_at;
  np.profile = default_profile_;
  if (auto err = engine_->add_position(np, [this](const Decision& d) { emit(d); })) {
    event_log_.text(R"("event":"alert","alert":"adopt_failed","field":")" +
                    std::string(err->field) + R"(","reason":)" + JsonLine::quote(err->reason) +
                    "," + what);
    return;
  }
  adopted.fetch_add(1);
  event_log_.text(R"("event":"position_adopted","position":)" +
                  std::to_string(engine_->position_count() - 1) + "," + what + R"(,"profile":")" +
                  config_.default_profile + "\"");
}

bool DecideStage::open(const NewPosition& np) {
  if (engine_->position_count() >= engine_->position_capacity()) return false;
  return !engine_->add_position(np, [this](const Decision& d) { emit(d); });
}

}  // namespace exitbrain
