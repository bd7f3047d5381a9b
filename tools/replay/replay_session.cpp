#include "tools/replay/replay_session.hpp"

#include <algorithm>
#include <cmath>

#include "tools/common/input_error.hpp"
#include "tools/common/json_line.hpp"
#include "tools/replay/chart.hpp"

namespace exitbrain {
namespace {

// Symbols a replay can hold state for; a capture with more is refused, not truncated.
constexpr std::size_t kReplaySymbols = 512;

// The fill of an exit in replay: the trigger price moved against us by the slippage and
// put back on the tick grid (a LONG's exit sells: rounded down; a SHORT's: up).
Price fill_price(Side side, Price p, double slippage_bps, Price tick) {
  if (slippage_bps <= 0) return p;
  const double moved = p.to_double() * (1.0 - side_sign(side) * slippage_bps / 10'000.0);
  const Price d = Decimal::from_double(moved).value_or(p);
  return side == Side::kLong ? d.floor_to(tick) : d.ceil_to(tick);
}

std::string tp_array(const Decision& d) {
  std::string s = "[";
  char buf[kMaxDecimalChars];
  for (std::size_t i = 0; i < d.tp_count; ++i) {
    if (i) s += ',';
    s.append(buf, format_decimal(d.tp[i], buf));
  }
  return s + "]";
}

}  // namespace

ReplaySession::ReplaySession(const Config& config, SymbolTable& symbols,
                             std::vector<PositionRecord> positions, std::ostream* out,
                             ChartRecorder* chart, const std::vector<int>& extra_profiles)
    : config_(config), symbols_(symbols), records_(std::move(positions)), out_(out), chart_(chart) {
  std::vector<int> used = extra_profiles;
  for (const auto& r : records_) used.push_back(r.position.profile);
  AtrPlan plan = plan_atr_specs(config, used);
  state_ = std::make_unique<PriceStateEngine>(kReplaySymbols, plan.specs, config.regime);
  engine_ = std::make_unique<ExitEngine>(config.profiles, plan.spec_of_profile, symbols,
                                         std::max<std::size_t>(records_.size(), 1024));
  max_price_places_.assign(SymbolTable::kMaxSymbols, -1);
  // Filters from the configuration win over everything else.
  for (const auto& s : config.symbols) {
    const auto id = symbols.intern(s.name);
    if (!id) throw InputError("[symbols." + s.name + "]: not a valid symbol name");
    SymbolFilters& f = symbols.filters(*id);
    if (s.tick_size) {
      f.tick_size = *s.tick_size;
      f.tick_known = true;
    }
    if (s.step_size) {
      f.step_size = *s.step_size;
      f.step_known = true;
    }
  }
}

ReplaySession::~ReplaySession() = default;

void ReplaySession::on_event(const MarketEvent& ev) {
  if (ev.symbol >= kReplaySymbols)
    throw InputError("market data holds more than 512 symbols; replay fewer files at once");
  if (ev.event_time > now_) now_ = ev.event_time;
  // Remember how many decimals this symbol's prices use: the tick when none is configured.
  int& places = max_price_places_[ev.symbol];
  const Price seen = ev.kind == MarketEventKind::kBookTicker ? ev.bid
                     : ev.kind == MarketEventKind::kKline    ? ev.kline.close
                                                             : ev.price;
  places = std::max(places, decimal_places(seen));
  start_due_positions();
  PriceState st;
  if (!state_->on_event(ev, st)) return;
  if (chart_ && st.updated) chart_->on_price(st);
  engine_->on_price(st, [this](const Decision& d) { on_decision(d); });
}

void ReplaySession::start_due_positions() {
  while (next_record_ < records_.size() && records_[next_record_].position.opened_at <= now_)
    start(next_record_++);
}

void ReplaySession::add_position(PositionRecord rec) {
  rec.position.opened_at = now_;
  // The engine's table is fixed-size by design (no allocation while deciding); a backtest
  // adds positions between events, where growing it is harmless.
  if (engine_->position_count() == engine_->position_capacity())
    engine_->reserve_positions(2 * engine_->position_capacity());
  records_.push_back(std::move(rec));
  // Backtest entries come in time order, after every file-given position has started.
  start_due_positions();
}

void ReplaySession::infer_filters(SymbolId s, const PositionRecord& rec) {
  SymbolFilters& f = symbols_.filters(s);
  if (f.tick_known && f.step_known) return;
  if (!f.tick_known) {
    // The finest price seen so far (and the entry's own precision) stands for the tick.
    const int places = std::max(max_price_places_[s], decimal_places(rec.position.entry));
    f.tick_size =
        Decimal::from_units(static_cast<std::int64_t>(std::pow(10, Decimal::kScale - places)));
    f.tick_known = true;
  }
  if (!f.step_known) {
    f.step_size = Decimal::from_units(static_cast<std::int64_t>(
        std::pow(10, Decimal::kScale - decimal_places(rec.position.qty))));
    f.step_known = true;
  }
  inferred_.push_back(std::string(symbols_.name(s)) + " tick " + to_string(f.tick_size) + " step " +
                      to_string(f.step_size));
}

// Records start in order, one engine position each: the engine's index of a position is
// its record's index.
void ReplaySession::start(std::size_t record) {
  const PositionRecord& rec = records_[record];
  infer_filters(rec.position.symbol, rec);
  PositionResult res;
  res.id = rec.id;
  res.symbol = rec.symbol;
  res.side = rec.position.side;
  res.profile = config_.profiles[rec.position.profile].name;
  res.qty = rec.position.qty;
  res.entry = rec.position.entry;
  res.leverage = rec.leverage;
  res.started = true;
  if (results_.size() <= record) results_.resize(record + 1);
  results_[record] = res;
  auto err = engine_->add_position(rec.position, [this](const Decision& d) { on_decision(d); });
  if (err)
    throw InputError("position " + rec.id + " (line " + std::to_string(rec.line) + "): field '" +
                     err->field + "': " + err->reason);
}

void ReplaySession::on_decision(const Decision& d) {
  const std::size_t record = d.position;
  const PositionRecord& rec = records_[record];
  PositionResult& res = results_[record];
  const PositionState& pos = engine_->position(d.position);
  JsonLine j;
  j.num("t", d.time).str("id", rec.id).str("symbol", rec.symbol).str("side", to_string(d.side));
  switch (d.kind) {
    case DecisionKind::kLevels:
      // The profile in effect: a by_regime profile has handed over by now.
      res.profile = engine_->profile(pos.profile).name;
      j.str("event", "levels").num("sl", d.sl).raw("tp", tp_array(d)).real("r", pos.r);
      j.boolean("provisional", d.provisional).boolean("high_volatility", d.high_volatility);
      j.str("profile", res.profile);
      break;
    case DecisionKind::kStopMoved:
      j.str("event", "sl_moved").num("sl", d.sl).str("reason", to_string(d.move_reason));
      j.num("price", d.price);
      break;
    case DecisionKind::kExit: {
      const Price tick = symbols_.filters(d.symbol).tick_size;
      const Price fill = fill_price(d.side, d.price, config_.fills.slippage_bps, tick);
      const double qty = d.qty.to_double();
      const double fee = fill.to_double() * qty * config_.fills.taker_fee;
      const double pnl = side_sign(d.side) * (fill - rec.position.entry).to_double() * qty - fee;
      res.realized_pnl += pnl;
      res.fees += fee;
      ++res.exits_by_reason[static_cast<std::size_t>(d.exit_reason)];
      if (!d.remaining.is_positive()) res.closed_at = d.time;
      j.str("event", "exit").str("reason", to_string(d.exit_reason)).num("leg", int{d.leg});
      j.num("qty", d.qty).num("price", d.price).num("fill_price", fill).money("fee", fee);
      j.money("pnl", pnl).num("remaining", d.remaining).num("exit_seq", d.exit_seq);
      break;
    }
  }
  if (chart_) chart_->on_decision(d, record);
  if (out_) *out_ << j.finish();
}

void ReplaySession::finish() {
  start_due_positions();
  for (std::size_t i = 0; i < records_.size(); ++i) write_summary(i);
}

std::vector<const PositionRecord*> ReplaySession::positions_without_data() const {
  std::vector<const PositionRecord*> out;
  for (const PositionRecord& r : records_)
    if (!has_data(r.position.symbol)) out.push_back(&r);
  return out;
}

void ReplaySession::write_summary(std::size_t record) {
  const PositionRecord& rec = records_[record];
  if (results_.size() <= record) results_.resize(record + 1);
  PositionResult& res = results_[record];
  JsonLine j;
  j.str("event", "summary").str("id", rec.id).str("symbol", rec.symbol);
  j.str("side", to_string(rec.position.side)).num("qty", rec.position.qty);
  j.num("entry_price", rec.position.entry);
  if (!res.started) {
    res.id = rec.id;
    res.symbol = rec.symbol;
    res.side = rec.position.side;
    j.str("status", "not_started");
  } else if (!has_data(rec.position.symbol)) {
    j.str("status", "no_market_data");
  } else {
    const PositionState& pos = engine_->position(static_cast<std::uint32_t>(record));
    j.str("status", pos.closed ? "flat" : "open").num("remaining", pos.remaining);
    if (!pos.closed) {
      if (pos.levels == LevelState::kNone)
        j.raw("sl", "null");
      else
        j.num("sl", pos.sl);
    }
  }
  j.money("realized_pnl", res.realized_pnl).money("fees", res.fees);
  std::string exits = "{";
  for (std::size_t r = 0; r < kExitReasonCount; ++r) {
    if (r) exits += ',';
    exits += JsonLine::quote(to_string(static_cast<ExitReason>(r))) + ":" +
             std::to_string(res.exits_by_reason[r]);
  }
  j.raw("exits", exits + "}");
  if (out_) *out_ << j.finish();
}

}  // namespace exitbrain
