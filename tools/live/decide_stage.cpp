#include "tools/live/decide_stage.hpp"

#include "core/clock.hpp"
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
  awaiting_flat_.assign(SymbolTable::kMaxSymbols, {});
  pending_entries_.resize(SymbolTable::kMaxSymbols);
  last_price_.resize(SymbolTable::kMaxSymbols);
}

void DecideStage::on_price(const PriceState& st) noexcept {
  if (halted()) return;
  if (st.symbol < last_price_.size()) {
    const Price p = st.mark.is_positive() ? st.mark : st.last.is_positive() ? st.last : st.mid;
    if (p.is_positive()) last_price_[st.symbol] = p;
  }
  const std::uint64_t quiet_before = engine_->quiet_updates();
  const std::size_t open = engine_->open_positions(st.symbol);
  // This input's record is journalled after it is applied (whether it is needed is known
  // only then), and it always is when a position decided anything (it was not quiet): the
  // levels decided meanwhile wait for one record more.
  record_follows_ = true;
  engine_->on_price(st, [this](const Decision& d) { emit(d); });
  record_follows_ = false;
  publish_open();
  // An update that every open position answered from its quiet band changed nothing
  // (but the count of such updates): the journal does not need it.
  if (journal_ && open > 0 && engine_->quiet_updates() - quiet_before != open) {
    StateRecord r;
    r.kind = StateRecordKind::kPrice;
    r.price = st;
    r.price.stamps = {};
    journal(r);
  }
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
    if (!d.remaining.is_positive()) {
      AwaitingFlat& a = awaiting_flat_[d.symbol][static_cast<int>(d.side)];
      if (!a.active)
        ++awaiting_count_;
      else if (a.position != d.position)
        release_stop(a.position, d.symbol, d.side);  // an earlier one's wait ends here
      a = AwaitingFlat{true, d.position, d.time, false, {}};
    }
  }
  if (journal_ && (d.kind == DecisionKind::kLevels || d.kind == DecisionKind::kStopMoved))
    d.journal_records = journalled_ + (record_follows_ ? 1 : 0);
  decisions.fetch_add(1, std::memory_order_relaxed);
  if (orders_on_) to_orders_(OrderWork{OrderWorkKind::kDecision, d});
  if (log_on_) event_log_.decision(d);
  if (supply_) supply_->on_decision(d);
}

void DecideStage::on_adjustments(const cross_exchange::Adjustments& a) noexcept {
  on_level_adjustments(LevelAdjustments{!a.local_mode, a.atr_multiplier, a.tp_multiplier,
                                        a.sl_multiplier, a.use_trailing});
}

void DecideStage::on_level_adjustments(const LevelAdjustments& a) noexcept {
  engine_->set_level_adjustments(a);
  StateRecord r;
  r.kind = StateRecordKind::kAdjustments;
  r.adjustments = a;
  journal(r);
}

// ---- entries (rare: may log) ----------------------------------------------------------

// The entry in flight on this symbol and side, if any. One older than kPendingEntryMs
// failed: it is dropped here, so it neither blocks new intents, nor counts toward the
// total limit, nor makes somebody else's later position look like ours.
DecideStage::PendingEntry* DecideStage::pending(SymbolId s, Side side, TimeMs now) {
  PendingEntry& pe = pending_entries_[s][static_cast<int>(side)];
  if (pe.active && now - pe.since > kPendingEntryMs) {
    pe.active = false;
    log_text(R"("event":"entry_expired","intent_id":")" + intent_id(pe.order) +
             R"(","note":"no position appeared within 60 s")");
  }
  return pe.active ? &pe : nullptr;
}

// A trade intent to execute: one position per symbol and side, within the total limit.
void DecideStage::on_entry(const EntryOrder& e, TimeMs now) {
  StateRecord rec;
  rec.kind = StateRecordKind::kEntry;
  rec.entry = EntryInput{e, now};
  journal(rec);  // before: refusals and requests alike change what a replay must see
  const std::string what = R"("intent_id":")" + intent_id(e) + R"(","symbol":")" +
                           std::string(symbols_.name(e.symbol)) + R"(","side":")" +
                           std::string(to_string(e.side)) + R"(","notional":)" +
                           std::to_string(e.notional);
  auto refuse = [&](const std::string& reason) {
    entries_refused.fetch_add(1);
    log_text(R"("event":"alert","alert":"entry_refused",)" + what + R"(,"reason":)" +
             JsonLine::quote(reason));
  };
  if (!config_.redis) return refuse("no [redis] table: entries are not executed");
  if (entries_halted())
    return refuse(std::string("halted (") + to_string(halt_source()) +
                  "): no new entries until `exitbrain ctl resume`");
  if (pending(e.symbol, e.side, now) || engine_->find_open(e.symbol, e.side))
    return refuse("a position on this symbol and side is already open or opening");
  // One-way mode nets both sides into one position: an entry against an open position
  // would reduce or flip it instead of opening a new one.
  const Side opposite = e.side == Side::kLong ? Side::kShort : Side::kLong;
  if (mode_ == PositionMode::kOneWay &&
      (pending(e.symbol, opposite, now) || engine_->find_open(e.symbol, opposite)))
    return refuse("one-way mode: a position on the other side of this symbol is open or opening");
  // Its fill could not be told from what is left of a position just exited.
  if (awaiting_flat_[e.symbol][static_cast<int>(e.side)].active ||
      (mode_ == PositionMode::kOneWay &&
       awaiting_flat_[e.symbol][static_cast<int>(opposite)].active))
    return refuse("a full exit on this symbol and side is not yet confirmed flat by the exchange");
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
  if (orders_on_) to_orders_(w);
  log_text(R"("event":"entry_requested",)" + what + R"(,"qty":)" + to_string(e.qty) +
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
    log_text(R"("event":"alert","alert":"intent_levels_rejected","intent_id":")" +
             intent_id(pe.order) + R"(","field":")" + err->field + R"(","reason":)" +
             JsonLine::quote(err->reason) +
             R"(,"note":"managed with the profile's levels instead")");
    return false;
  }
  positions_opened.fetch_add(1);
  log_text(R"("event":"position_opened","position":)" +
           std::to_string(engine_->position_count() - 1) + R"(,"intent_id":")" +
           intent_id(pe.order) + R"(","symbol":")" + std::string(symbols_.name(c.symbol)) +
           R"(","side":")" + std::string(to_string(c.side)) + R"(","qty":)" + to_string(c.amount) +
           R"(,"entry":)" + to_string(c.entry) + R"(,"sl":)" + to_string(pe.order.sl) +
           R"(,"tp":)" + to_string(pe.order.tp));
  return true;
}

// ---- the account (rare: may log) ------------------------------------------------------

// The exchange's view of a position (ACCOUNT_UPDATE).
void DecideStage::on_account(const AccountChange& c, TimeMs now, bool at_startup) {
  StateRecord rec;
  rec.kind = StateRecordKind::kAccount;
  rec.account = AccountInput{c, now, at_startup};
  journal(rec);
  auto& waiting = awaiting_flat_[c.symbol];
  if (!c.amount.is_positive()) {  // flat: our full exits have landed
    for (const Side side : {Side::kLong, Side::kShort})
      if (!c.side_known || side == c.side) {
        waiting[static_cast<int>(side)].seen = false;  // nothing is left of it
        end_wait(c.symbol, side);
      }
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
    log_text(R"("event":"position_changed_outside","position":)" + std::to_string(*index) +
             R"(,"symbol":")" + std::string(symbols_.name(c.symbol)) + R"(","side":")" +
             std::string(to_string(pos.side)) + R"(","amount":)" + to_string(c.amount));
    if (change == ExternalChange::kClosed) {
      OrderWork w;
      w.kind = OrderWorkKind::kClosedOutside;
      w.decision.position = *index;
      w.decision.symbol = c.symbol;
      w.decision.side = pos.side;
      if (orders_on_) to_orders_(w);
    }
    return;
  }
  if (!c.amount.is_positive() || !c.side_known) return;
  // A state from before our own full exit filled, or what is left after it: told apart
  // once the wait ends (end_wait).
  if (AwaitingFlat& a = waiting[static_cast<int>(c.side)]; a.active) {
    a.seen = true;
    a.latest = c;
    return;
  }
  if (pending(c.symbol, c.side, now)) {
    if (!open_for_intent(c))  // ours all the same: managed with the profile's levels
      do_adopt(c.symbol, c.side, c.amount, c.entry, c.time, AdoptSource::kIntent, true);
    return;
  }
  do_adopt(c.symbol, c.side, c.amount, c.entry, c.time,
           at_startup ? AdoptSource::kStartup : AdoptSource::kUserStream, false);
}

void DecideStage::adopt(SymbolId s, Side side, Qty amount, Price entry, TimeMs opened_at,
                        AdoptSource source, bool ours) {
  StateRecord rec;
  rec.kind = StateRecordKind::kAdopt;
  rec.adopt =
      AdoptInput{s, side, amount, entry, opened_at, static_cast<std::uint8_t>(source), ours};
  journal(rec);
  do_adopt(s, side, amount, entry, opened_at, source, ours);
}

void DecideStage::do_adopt(SymbolId s, Side side, Qty amount, Price entry, TimeMs opened_at,
                           AdoptSource source, bool ours) {
  const std::string what = R"("symbol":")" + std::string(symbols_.name(s)) + R"(","side":")" +
                           std::string(to_string(side)) + R"(","qty":)" + to_string(amount) +
                           R"(,"entry":)" + to_string(entry) + R"(,"source":")" +
                           to_string(source) + "\"";
  const ForeignPolicy policy = config_.live.run.foreign_positions;
  if (!ours && policy == ForeignPolicy::kIgnore) {
    log_text(R"("event":"foreign_position","action":"ignored",)" + what);
    return;
  }
  if (!ours && policy == ForeignPolicy::kAlert) {
    log_text(R"("event":"alert","alert":"foreign_position",)" + what);
    return;
  }
  if (engine_->position_count() >= engine_->position_capacity()) {
    log_text(R"("event":"alert","alert":"position_table_full",)" + what);
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
    log_text(R"("event":"alert","alert":"adopt_failed","field":")" + std::string(err->field) +
             R"(","reason":)" + JsonLine::quote(err->reason) + "," + what);
    return;
  }
  adopted.fetch_add(1);
  log_text(R"("event":"position_adopted","position":)" +
           std::to_string(engine_->position_count() - 1) + "," + what + R"(,"profile":")" +
           config_.default_profile + "\"");
}

bool DecideStage::awaiting_flat(std::uint32_t position) const noexcept {
  for (SymbolId s = 0; s < symbols_.size(); ++s)
    for (const AwaitingFlat& a : awaiting_flat_[s])
      if (a.active && a.position == position) return true;
  return false;
}

void DecideStage::on_idle() {
  if (awaiting_count_ != 0) on_idle(wall_clock_ms());
}

void DecideStage::on_idle(TimeMs now) {
  if (awaiting_count_ == 0) return;
  for (SymbolId s = 0; s < symbols_.size(); ++s)
    for (const Side side : {Side::kLong, Side::kShort})
      if (const AwaitingFlat& a = awaiting_flat_[s][static_cast<int>(side)];
          a.active && now - a.since >= kAwaitFlatMs)
        lapse(s, side, now);
  publish_open();
}

void DecideStage::lapse(SymbolId s, Side side, TimeMs now) {
  StateRecord rec;
  rec.kind = StateRecordKind::kAwaitLapsed;
  rec.account.change.symbol = s;
  rec.account.change.side = side;
  rec.account.now = now;
  journal(rec);
  const AwaitingFlat& a = awaiting_flat_[s][static_cast<int>(side)];
  if (!a.active) return;
  log_text(R"("event":"await_flat_lapsed","position":)" + std::to_string(a.position) +
           R"(,"symbol":")" + std::string(symbols_.name(s)) + R"(","side":")" +
           std::string(to_string(side)) + R"(","left":)" +
           (a.seen ? to_string(a.latest.amount) : std::string("null")));
  end_wait(s, side);
}

// The wait is over: what the exchange showed meanwhile, if not flat, is what is left of
// the position; it is ours (whatever [run] foreign_positions says) and its stop is placed
// before the exited position's stop goes (the orders ring keeps that order).
void DecideStage::end_wait(SymbolId s, Side side) {
  AwaitingFlat a = awaiting_flat_[s][static_cast<int>(side)];
  if (!a.active) return;
  awaiting_flat_[s][static_cast<int>(side)] = AwaitingFlat{};
  --awaiting_count_;
  if (a.seen && a.latest.amount.is_positive() && !engine_->find_open(s, side)) {
    log_text(R"("event":"position_left_after_exit","position":)" + std::to_string(a.position) +
             R"(,"symbol":")" + std::string(symbols_.name(s)) + R"(","side":")" +
             std::string(to_string(side)) + R"(","qty":)" + to_string(a.latest.amount) +
             R"(,"note":"the exchange shows more than the engine exited: managed as ours")");
    const std::size_t before = engine_->position_count();
    do_adopt(s, side, a.latest.amount, a.latest.entry, a.latest.time, AdoptSource::kUserStream,
             true);
    if (engine_->position_count() > before) {
      // Its levels come with the next price: the order gateway cancels the old stop only
      // once the new one stands (or the rest is closed), however long that takes.
      release_stop(a.position, s, side, static_cast<std::uint32_t>(before));
      return;
    }
  }
  release_stop(a.position, s, side);
}

void DecideStage::release_stop(std::uint32_t position, SymbolId s, Side side,
                               std::uint32_t after) noexcept {
  if (position == kNoPosition || !orders_on_) return;
  OrderWork w;
  w.kind = OrderWorkKind::kReleaseStop;
  w.decision.position = position;
  w.decision.symbol = s;
  w.decision.side = side;
  w.after_position = after;
  to_orders_(w);
}

bool DecideStage::open(const NewPosition& np) {
  if (engine_->position_count() >= engine_->position_capacity()) return false;
  StateRecord rec;
  rec.kind = StateRecordKind::kOpen;
  rec.open = np;
  journal(rec);
  return !engine_->add_position(np, [this](const Decision& d) { emit(d); });
}

// ---- restore and replay ---------------------------------------------------------------

void DecideStage::on_control(const ControlCommand& c, TimeMs now) {
  std::uint32_t exits = 0;
  if (c.kind == ControlKind::kResume) {
    entries_halted_.store(false, std::memory_order_relaxed);
  } else {
    entries_halted_.store(true, std::memory_order_relaxed);
    halt_source_.store(static_cast<std::uint8_t>(c.source), std::memory_order_relaxed);
  }
  // A stage whose owner lease is lost decides nothing more, a flatten included: another
  // process may own the account now.
  if (c.kind == ControlKind::kFlatten) {
    record_follows_ = true;  // this command's record is journalled below, after it
    for (std::uint32_t i = 0; i < engine_->position_count() && !halted(); ++i) {
      const PositionState& pos = engine_->position(i);
      if (pos.closed || !pos.remaining.is_positive()) continue;
      const Price ref = last_price_[pos.symbol].is_positive() ? last_price_[pos.symbol] : pos.entry;
      engine_->flatten(i, ref, now, [this](const Decision& d) { emit(d); });
      ++exits;
    }
    record_follows_ = false;
    last_flatten_exits_.store(exits, std::memory_order_relaxed);
  }
  StateRecord rec;
  rec.kind = StateRecordKind::kControl;
  rec.control = ControlInput{c, now};
  journal(rec);
  log_text(std::string(R"("event":"control","command":")") + to_string(c.kind) + R"(","source":")" +
           to_string(c.source) + R"(","entries":")" + (entries_halted() ? "halted" : "allowed") +
           R"(","exits":)" + std::to_string(exits) + R"(,"open_positions":)" +
           std::to_string(engine_->open_positions()));
  publish_open();
  control_applied_.store(c.seq, std::memory_order_release);
}

bool DecideStage::apply(const StateRecord& r) {
  auto known = [&](SymbolId s) { return s < symbols_.size(); };
  switch (r.kind) {
    case StateRecordKind::kPrice:
      if (!known(r.price.symbol)) return false;
      on_price(r.price);
      return true;
    case StateRecordKind::kAccount:
      if (!known(r.account.change.symbol)) return false;
      on_account(r.account.change, r.account.now, r.account.at_startup);
      return true;
    case StateRecordKind::kEntry:
      if (!known(r.entry.entry.symbol)) return false;
      on_entry(r.entry.entry, r.entry.now);
      return true;
    case StateRecordKind::kAdjustments:
      on_level_adjustments(r.adjustments);
      return true;
    case StateRecordKind::kAdopt:
      if (!known(r.adopt.symbol) || r.adopt.source > 2) return false;
      adopt(r.adopt.symbol, r.adopt.side, r.adopt.amount, r.adopt.entry, r.adopt.opened_at,
            static_cast<AdoptSource>(r.adopt.source), r.adopt.ours);
      return true;
    case StateRecordKind::kOpen:
      if (!known(r.open.symbol)) return false;
      (void)open(r.open);
      return true;
    case StateRecordKind::kControl:
      on_control(r.control.command, r.control.now);
      return true;
    case StateRecordKind::kAwaitLapsed:
      if (!known(r.account.change.symbol) || static_cast<unsigned>(r.account.change.side) > 1)
        return false;
      lapse(r.account.change.symbol, r.account.change.side, r.account.now);
      return true;
    case StateRecordKind::kRunStarted:
    case StateRecordKind::kOrder:
    case StateRecordKind::kSymbol:
      return true;  // not the stage's: the order trail reads them
  }
  return false;
}

namespace {
constexpr std::uint32_t kStageMagic = 0x45425344;    // "DSBE": a wait for flat is one bit
constexpr std::uint32_t kStageMagic2 = 0x32425344;   // "DSB2": a wait for flat in full
constexpr std::uint32_t kControlMagic = 0x4C544345;  // "ECTL": the kill switch's state
}  // namespace

void DecideStage::save(ByteWriter& w) const {
  w.put(kStageMagic2);
  engine_->save(w);
  w.put(static_cast<std::uint32_t>(symbols_.size()));
  for (SymbolId s = 0; s < symbols_.size(); ++s) {
    for (int side = 0; side < 2; ++side) {
      const PendingEntry& pe = pending_entries_[s][side];
      const AwaitingFlat& a = awaiting_flat_[s][side];
      w.put(static_cast<std::uint8_t>(a.active)).put(a.position).put(a.since);
      w.put(static_cast<std::uint8_t>(a.seen)).put(a.latest.amount.units());
      w.put(a.latest.entry.units()).put(a.latest.time);
      w.put(static_cast<std::uint8_t>(pe.active)).put(pe.since);
      w.put(pe.order.intent_ms).put(pe.order.intent_seq).put(pe.order.symbol).put(pe.order.side);
      w.put(pe.order.qty.units()).put(pe.order.entry.units()).put(pe.order.sl.units());
      w.put(pe.order.tp.units()).put(pe.order.leverage).put(pe.order.notional);
    }
  }
  w.put(kControlMagic).put(static_cast<std::uint8_t>(entries_halted()));
  w.put(halt_source_.load(std::memory_order_relaxed));
}

std::optional<std::string> DecideStage::load(ByteReader& r) {
  std::uint32_t magic = 0, nsym = 0;
  if (!r.get(magic) || (magic != kStageMagic && magic != kStageMagic2))
    return std::string("decide state: bad header");
  // Nothing is half-applied on error: the engine loads all or nothing, and is put back
  // from this copy of its state if the rest fails. (A copy of the engine itself would
  // lose the position table's reserved capacity.)
  std::vector<std::uint8_t> before;
  ByteWriter backup(before);
  engine_->save(backup);
  if (auto err = engine_->load(r)) return err;
  auto fail = [&](std::string why) {
    ByteReader back(before);
    (void)engine_->load(back);
    return std::optional<std::string>(std::move(why));
  };
  if (!r.get(nsym) || nsym != symbols_.size())
    return fail("decide state: " + std::to_string(nsym) + " symbols, this config has " +
                std::to_string(symbols_.size()));
  auto awaiting = awaiting_flat_;
  auto pending = pending_entries_;
  for (SymbolId s = 0; s < nsym; ++s) {
    for (int side = 0; side < 2; ++side) {
      PendingEntry& pe = pending[s][side];
      std::uint8_t aw = 0, active = 0;
      std::int64_t qty = 0, entry = 0, sl = 0, tp = 0;
      AwaitingFlat& a = awaiting[s][side];
      a = AwaitingFlat{};
      if (!r.get(aw) || aw > 1)
        return fail("decide state: awaiting flat of symbol " + std::to_string(s));
      a.active = aw != 0;
      if (magic == kStageMagic2) {
        std::uint8_t seen = 0;
        std::int64_t left = 0, left_entry = 0;
        if (!r.get(a.position) || !r.get(a.since) || !r.get(seen) || seen > 1 || !r.get(left) ||
            !r.get(left_entry) || !r.get(a.latest.time) || left < 0 || left_entry < 0)
          return fail("decide state: awaiting flat of symbol " + std::to_string(s));
        a.seen = seen != 0;
        a.latest.symbol = s;
        a.latest.side = static_cast<Side>(side);
        a.latest.amount = Qty::from_units(left);
        a.latest.entry = Price::from_units(left_entry);
      }
      if (!r.get(active) || !r.get(pe.since) || !r.get(pe.order.intent_ms) ||
          !r.get(pe.order.intent_seq) || !r.get(pe.order.symbol) || !r.get(pe.order.side) ||
          !r.get(qty) || !r.get(entry) || !r.get(sl) || !r.get(tp) || !r.get(pe.order.leverage) ||
          !r.get(pe.order.notional) || active > 1 || static_cast<unsigned>(pe.order.side) > 1)
        return fail("decide state: entries of symbol " + std::to_string(s));
      pe.active = active != 0;
      pe.order.qty = Qty::from_units(qty);
      pe.order.entry = Price::from_units(entry);
      pe.order.sl = Price::from_units(sl);
      pe.order.tp = Price::from_units(tp);
    }
  }
  // The kill switch's state; absent in a state saved before it existed (not halted).
  std::uint8_t halted = 0, source = 0;
  // (In a snapshot the order trail follows, with a magic of its own: look before taking.)
  ByteReader probe = r;
  std::uint32_t cm = 0;
  if (probe.get(cm) && cm == kControlMagic) {
    if (!probe.get(halted) || !probe.get(source) || halted > 1 ||
        source > static_cast<std::uint8_t>(ControlSource::kErrorLimit))
      return fail("decide state: the kill switch's state");
    r = probe;
  }
  awaiting_flat_ = std::move(awaiting);
  awaiting_count_ = 0;
  for (const auto& sides : awaiting_flat_)
    for (const AwaitingFlat& a : sides) awaiting_count_ += a.active ? 1 : 0;
  pending_entries_ = std::move(pending);
  entries_halted_.store(halted != 0, std::memory_order_relaxed);
  halt_source_.store(source, std::memory_order_relaxed);
  publish_open();
  return std::nullopt;
}

}  // namespace exitbrain
