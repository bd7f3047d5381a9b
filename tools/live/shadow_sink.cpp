#include "tools/live/shadow_sink.hpp"

#include <cmath>

#include "tools/common/json_line.hpp"

namespace exitbrain {

ShadowSink::ShadowSink(const SymbolTable& symbols, EventLog& event_log, bool hard_stops,
                       HardStopPolicy policy, std::size_t max_positions)
    : symbols_(symbols),
      event_log_(event_log),
      hard_stops_(hard_stops),
      policy_(policy),
      trigger_(max_positions) {}

void ShadowSink::on_work(const OrderWork& w) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  const Decision& d = w.decision;
  JsonLine j;
  j.str("event", "shadow");
  if (w.kind == OrderWorkKind::kEntry) {
    entries.fetch_add(1, kRelaxed);
    const EntryOrder& e = w.entry;
    j.str("would", "enter").str("symbol", symbols_.name(e.symbol)).str("side", to_string(e.side));
    j.num("qty", e.qty).num("leverage", e.leverage);
    j.str("intent_id", std::to_string(e.intent_ms) + "-" + std::to_string(e.intent_seq));
    write(j);
    return;
  }
  // The stop's cancel was said with the full exit already.
  if (w.kind == OrderWorkKind::kReleaseStop || d.position >= trigger_.size()) return;
  j.str("symbol", symbols_.name(d.symbol)).str("side", to_string(d.side));
  j.num("position", d.position);
  Price& held = trigger_[d.position];
  const Price tick = symbols_.filters(d.symbol).tick_size;
  if (w.kind == OrderWorkKind::kClosedOutside) {
    if (!held.is_positive()) return;
    held = Price{};
    stop_cancels.fetch_add(1, kRelaxed);
    j.str("would", "cancel_hard_stop").str("why", "the position was closed outside exitbrain");
  } else if (d.kind == DecisionKind::kExit) {
    exits.fetch_add(1, kRelaxed);
    j.str("would", "exit").str("order", "MARKET reduce-only").num("qty", d.qty);
    j.str("reason", to_string(d.exit_reason)).num("price", d.price);
    if (!d.remaining.is_positive() && held.is_positive()) {
      held = Price{};
      stop_cancels.fetch_add(1, kRelaxed);
      j.boolean("then_cancel_hard_stop", true);
    }
  } else {
    // Levels or a stop move: the hard stop live mode would hold beyond the engine's stop.
    if (!hard_stops_ || !d.sl.is_positive()) return;
    const Price t = hard_stop_trigger(d.side, d.sl, policy_.buffer, tick);
    if (held.is_positive()) {
      const double moved = std::abs((t - held).to_double()) / held.to_double();
      if (moved < policy_.min_move) return;
      stop_moves.fetch_add(1, kRelaxed);
      j.str("would", "move_hard_stop").num("from", held).num("trigger", t);
    } else {
      stop_placements.fetch_add(1, kRelaxed);
      j.str("would", "place_hard_stop").num("trigger", t);
    }
    held = t;
  }
  write(j);
}

void ShadowSink::write(JsonLine& j) {
  const std::string line = j.finish();
  // JsonLine writes a whole object and its newline; the event log wants its inside.
  event_log_.text(line.substr(1, line.size() - 3));
}

}  // namespace exitbrain
