#include "tools/live/reconcile.hpp"

#include <cmath>
#include <map>
#include <utility>

#include "tools/common/json_line.hpp"

namespace exitbrain {

namespace {

struct ExchangePosition {
  Qty amount{};  // absolute
  Price entry{};
  TimeMs update_time = 0;
  bool consumed = false;
};

// The stop the journal's trail says stands for position `i` is among the open algo orders.
bool stop_stands(const StartupState& startup, std::uint32_t i, const PositionTrail& t) {
  for (const AlgoOrderAnswer& a : startup.our_hard_stops)
    if (const auto parts = parse_client_id(a.client_algo_id.view());
        parts && parts->seq == t.stop_seq && parts->position_key == ((t.stop_run_key << 20) | i))
      return true;
  return false;
}

}  // namespace

ReconcileReport reconcile_at_start(const StartupState& startup, const SymbolTable& symbols,
                                   DecideStage& decide, OrderGateway& gateway,
                                   const OrderTrail& trail, const HardStopPolicy& policy,
                                   EventLog& event_log, TimeMs now) {
  ReconcileReport rep;
  std::map<std::pair<SymbolId, int>, ExchangePosition> on_exchange;
  for (const PositionRisk& pr : startup.positions) {
    const SymbolId s = *symbols.find(pr.symbol);
    ExchangePosition& e = on_exchange[{s, static_cast<int>(side_of(pr))}];
    e.amount = pr.amount.is_negative() ? -pr.amount : pr.amount;
    e.entry = pr.entry_price;
    e.update_time = pr.update_time;
  }
  auto alert = [&](std::uint32_t i, const char* what, const std::string& why) {
    const PositionState& pos = decide.engine().position(i);
    event_log.text(std::string(R"("event":"alert","alert":")") + what + R"(","position":)" +
                   std::to_string(i) + R"(,"symbol":")" + std::string(symbols.name(pos.symbol)) +
                   R"(","side":")" + std::string(to_string(pos.side)) + R"(","reason":)" +
                   JsonLine::quote(why));
  };

  // 1. The plans the journal restored.
  const ExitEngine& engine = decide.engine();
  const std::uint32_t restored = static_cast<std::uint32_t>(engine.position_count());
  std::vector<bool> held(restored, false), waiting(restored, false);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> followed;  // (exited, what it left)
  for (std::uint32_t i = 0; i < restored; ++i) {
    const PositionState& pos = engine.position(i);
    if (pos.closed) {
      // Exited in full, the exchange not yet seen flat (a kill between the two): its stop
      // stays ours until the decide stage releases it (found by the fault soak: left to
      // nobody, it fired and its fill was never published).
      if (decide.awaiting_flat(i)) {
        waiting[i] = true;
        gateway.restore_position(i, pos.symbol, pos.side, pos.entry, pos.sl, true, true);
        continue;
      }
      // Exited in full, what the exit left managed as a new position, and a kill before the
      // old stop went (S14: its first levels take a price): the old stop stays ours, and
      // goes once the new position's stands. Gone while down, it may have fired: looked up.
      const PositionTrail& t = trail.of(i);
      const auto next = engine.find_open(pos.symbol, pos.side);
      if (t.stop_seq == 0 || t.stop_fill_seen || !next || *next < i) continue;
      waiting[i] = true;
      followed.emplace_back(i, *next);
      gateway.restore_position(i, pos.symbol, pos.side, pos.entry, pos.sl, true, true);
      if (!stop_stands(startup, i, t)) {
        ++rep.lookups;
        gateway.find_stop_fill_at_start(i, t.stop_run_key, t.stop_seq);
      }
      continue;
    }
    ++rep.restored_open;
    gateway.restore_position(i, pos.symbol, pos.side, pos.entry, pos.sl, false);
    const PositionTrail& t = trail.of(i);
    Qty executed = t.executed;
    bool unknown = false;
    for (std::uint8_t k = 0; k < t.in_flight_count; ++k) {
      ++rep.lookups;
      const auto lk = gateway.lookup_earlier_exit(i, t.in_flight[k].run_key, t.in_flight[k].seq);
      if (!lk.answered || lk.status == LookupStatus::kOpen) unknown = true;
      if (lk.status == LookupStatus::kFinal) executed += lk.executed;
    }
    ExchangePosition none;
    auto it = on_exchange.find({pos.symbol, static_cast<int>(pos.side)});
    ExchangePosition& ex = it != on_exchange.end() ? it->second : none;
    ex.consumed = true;
    if (unknown) {
      held[i] = true;
      ++rep.held;
      gateway.hold(i);
      alert(i, "position_held",
            "an exit sent before the restart has no known outcome yet: not traded on, its hard "
            "stop kept; check the position and restart");
      continue;
    }
    const Qty remaining = pos.remaining;
    if (ex.amount < remaining && t.stop_seq != 0 && !t.stop_fill_seen &&
        !stop_stands(startup, i, t)) {
      // Its stop may have fired while exitbrain was down: gone from the open stops, its
      // fill is looked up (and published once).
      ++rep.lookups;
      gateway.find_stop_fill_at_start(i, t.stop_run_key, t.stop_seq);
    }
    if (ex.amount < remaining) {
      // Reduced or closed while down: the plan follows the exchange.
      AccountChange c;
      c.symbol = pos.symbol;
      c.side = pos.side;
      c.amount = ex.amount;
      c.entry = ex.entry;
      c.time = now;
      decide.on_account(c, now, true);
      ++(ex.amount.is_positive() ? rep.reduced : rep.closed);
      if (!ex.amount.is_positive())
        gateway.restore_position(i, pos.symbol, pos.side, pos.entry, pos.sl, true);
    } else if (remaining < ex.amount) {
      const Qty gap = ex.amount - remaining;
      const Qty unconfirmed = t.decided - executed;
      if (gap <= unconfirmed) {
        ++rep.owed_exits;
        event_log.text(R"("event":"exit_owed","position":)" + std::to_string(i) + R"(,"qty":)" +
                       to_string(gap) +
                       R"(,"note":"decided before the restart, never executed: sent now")");
        gateway.exit_owed(i, gap);
      } else if (!unconfirmed.is_positive()) {
        // Nothing of ours can explain it: a trader added while exitbrain was down. Managed
        // on as when that happens while it runs: the plan exits its own size, the hard stop
        // (closePosition) protects all, and what is left after a full exit is managed as a
        // position of its own (the fault soak found these held, and their stops, still
        // standing, forgotten by the next restart).
        ++rep.grown;
        alert(i, "position_grown_outside",
              "the exchange shows " + to_string(ex.amount) + ", the journal's plan " +
                  to_string(remaining) +
                  ": managed on, what is left after its exits as a new position");
      } else {
        held[i] = true;
        ++rep.held;
        gateway.hold(i);
        alert(i, "position_held",
              "the exchange shows " + to_string(ex.amount) + ", the journal's plan " +
                  to_string(remaining) + " with " + to_string(unconfirmed) +
                  " decided and unconfirmed: not traded on, its hard stop kept");
      }
    }
  }

  // 2. Positions the journal does not know (opened while down, or before the journal).
  for (auto& [key, ex] : on_exchange) {
    if (ex.consumed || !ex.amount.is_positive()) continue;
    AccountChange c;
    c.symbol = key.first;
    c.side = static_cast<Side>(key.second);
    c.amount = ex.amount;
    c.entry = ex.entry;
    c.time = ex.update_time > 0 ? ex.update_time : now;
    decide.on_account(c, now, true);
    ++rep.adopted_new;
  }

  // 3. Our hard stops that stand. Until they are sorted out, every other algo order on the
  // account counts against the conditional-order limit.
  const std::size_t ours_found = startup.our_hard_stops.size();
  gateway.set_other_algo_orders(
      startup.open_algo_orders > ours_found ? startup.open_algo_orders - ours_found : 0);
  std::map<std::uint32_t, std::vector<const AlgoOrderAnswer*>> by_position;
  for (const AlgoOrderAnswer& a : startup.our_hard_stops) {
    const auto parts = parse_client_id(a.client_algo_id.view());
    const SymbolId s = *symbols.find(a.symbol.view());
    const auto p = static_cast<std::uint32_t>(parts->position_key & 0xFFFFF);
    if (p < restored && (!engine.position(p).closed || waiting[p]) &&
        engine.position(p).symbol == s) {
      by_position[p].push_back(&a);
      continue;
    }
    bool symbol_has_position = false;
    for (const auto& [key, ex] : on_exchange)
      if (key.first == s && ex.amount.is_positive()) symbol_has_position = true;
    if (symbol_has_position) {
      // It still protects a position we do not know it for: left, said.
      ++rep.stops_left;
      event_log.text(
          R"("event":"alert","alert":"old_hard_stop_left","client_algo_id":)" +
          JsonLine::quote(std::string(a.client_algo_id.view())) +
          R"(,"note":"an earlier run's stop on a position the journal does not know; cancel it by hand once the new stop stands")");
    } else if (gateway.cancel_algo_by_id(s, a.client_algo_id.view())) {
      ++rep.stops_cancelled;
      event_log.text(R"("event":"hard_stop_cancelled","client_algo_id":)" +
                     JsonLine::quote(std::string(a.client_algo_id.view())) +
                     R"(,"reason":"orphan: no position on its symbol")");
    }
  }
  for (auto& [p, stops] : by_position) {
    const PositionState& pos = engine.position(p);
    const Price expected = gateway.hard_stop_trigger_for(p);
    const AlgoOrderAnswer* best = stops.front();
    auto distance = [&](const AlgoOrderAnswer* a) {
      return std::abs((a->trigger_price - expected).to_double());
    };
    for (const AlgoOrderAnswer* a : stops)
      if (distance(a) < distance(best)) best = a;
    const bool fits =
        expected.is_positive() && distance(best) <= policy.min_move * expected.to_double();
    const auto bp = parse_client_id(best->client_algo_id.view());
    if (fits || held[p] || waiting[p] || !pos.sl.is_positive()) {
      gateway.adopt_hard_stop(p, bp->position_key >> 20, bp->seq, best->trigger_price);
      ++rep.stops_adopted;
      event_log.text(R"("event":"hard_stop_adopted","position":)" + std::to_string(p) +
                     R"(,"client_algo_id":)" +
                     JsonLine::quote(std::string(best->client_algo_id.view())) + R"(,"trigger":)" +
                     to_string(best->trigger_price));
    } else {
      // Make before break: the new stop stands before the old ones go.
      gateway.protect_now(p);
      if (!gateway.protected_now(p)) {
        gateway.adopt_hard_stop(p, bp->position_key >> 20, bp->seq, best->trigger_price);
        ++rep.stops_adopted;
      } else {
        ++rep.stops_replaced;
        best = nullptr;
      }
    }
    for (const AlgoOrderAnswer* a : stops) {
      if (a == best) continue;
      if (gateway.cancel_algo_by_id(pos.symbol, a->client_algo_id.view())) {
        ++rep.stops_cancelled;
        event_log.text(R"("event":"hard_stop_cancelled","position":)" + std::to_string(p) +
                       R"(,"client_algo_id":)" +
                       JsonLine::quote(std::string(a->client_algo_id.view())) +
                       R"(,"reason":"an earlier run's stop the new one replaces")");
      }
    }
  }
  for (const auto& [exited, next] : followed) gateway.on_release(exited, next);
  // What is left on the account beyond the stops this run now holds: others', and those of
  // ours that were left.
  const std::size_t gone = rep.stops_adopted + rep.stops_cancelled;
  gateway.set_other_algo_orders(startup.open_algo_orders > gone ? startup.open_algo_orders - gone
                                                                : 0);
  return rep;
}

}  // namespace exitbrain
