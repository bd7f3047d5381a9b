// The order sender's share of the account's conditional-order limit (order_gateway.hpp):
// Binance holds at most 200 open conditional orders per account (-4045 "Reached the max
// stop-order limit" beyond), ours and everyone else's. The HardStopManager counts our stops
// against the capacity left; when more positions want a stop than it has room for, the
// stops go to the positions that need them most (strategies/hard_stop_ranking.hpp) and the
// others are withheld, alerted and counted in positions_without_hard_stop(). A -4045 is
// never retried as it was: it teaches the capacity, and the stops are shared out again.
#include <algorithm>
#include <map>
#include <utility>

#include "strategies/hard_stop_ranking.hpp"
#include "tools/common/json_line.hpp"
#include "tools/common/number_text.hpp"
#include "tools/live/order_gateway.hpp"

namespace exitbrain {

namespace {
constexpr RequestCost kPositionRiskCost{5, 0};
constexpr RequestCost kOpenAlgoOrdersCost{40, 0};  // without a symbol
}  // namespace

void OrderGateway::set_other_algo_orders(std::size_t n) noexcept {
  others_ = n;
  apply_capacity();
}

void OrderGateway::apply_capacity() noexcept {
  const std::size_t limit = settings_.max_conditional_orders;
  hard_.set_capacity(limit > others_ ? limit - others_ : 0);
}

bool OrderGateway::wants_hard_stop(std::uint32_t position) const noexcept {
  const PositionInfo& p = positions_[position];
  return settings_.hard_stops && p.known && !p.engine_flat && !p.stop_cancel_sent &&
         p.engine_stop.is_positive();
}

std::size_t OrderGateway::positions_without_hard_stop() const noexcept {
  std::size_t n = 0;
  for (std::uint32_t i = 0; i < positions_.size(); ++i)
    n += wants_hard_stop(i) && !hard_.protected_now(i);
  return n;
}

std::size_t OrderGateway::withheld_positions() const noexcept {
  std::size_t n = 0;
  for (std::uint32_t i = 0; i < positions_.size(); ++i)
    n += wants_hard_stop(i) && hard_.withheld(i);
  return n;
}

void OrderGateway::request_share_out() {
  if (sharing_out_) return;  // the share-out in progress offers the stops again itself
  const MonoNs now = mono_now_ns();
  const MonoNs next = last_share_out_ns_ + settings_.share_out_interval_ms * 1'000'000;
  if (last_share_out_ns_ == 0 || now >= next)
    share_out();
  else if (share_out_due_ns_ == 0)
    share_out_due_ns_ = next;
}

void OrderGateway::on_stop_limit(const HardStopCommand& c, int code) {
  ++stop_limit_refusals_;
  // The account is full: everything beyond our own stops (without the refused one) is
  // someone else's.
  const std::size_t ours = hard_.live_stops() - 1;
  const std::size_t limit = settings_.max_conditional_orders;
  others_ = std::max(others_, limit > ours ? limit - ours : 0);
  apply_capacity();
  hard_.on_no_room(c.position, c.stop_seq);
  alert(c.position, "hard_stop_limit", ErrorAction::kRejected, code);
  // Others may free theirs: count again now and then while anyone goes without.
  recount_due_ns_ = mono_now_ns() + settings_.recount_interval_ms * 1'000'000;
  request_share_out();
}

void OrderGateway::recount_algo_orders() {
  recount_due_ns_ = 0;
  const RequestTiming t = timing();
  query_.clear();
  query_.add("recvWindow", t.recv_window).add("timestamp", t.timestamp).sign(signer_);
  const RestReply& r = send(HttpMethod::kGet, "/fapi/v1/openAlgoOrders", kOpenAlgoOrdersCost);
  int code = 0;
  std::vector<AlgoOrderAnswer> open;
  if (r.outcome == RestReply::Outcome::kAnswered && classify(r, code) == ErrorAction::kNone &&
      parser_.parse_open_algo_orders(r.body, open)) {
    const std::size_t ours = hard_.live_stops();
    const std::size_t before = hard_.capacity();
    set_other_algo_orders(open.size() > ours ? open.size() - ours : 0);
    event_log_.text(R"("event":"algo_orders_counted","open":)" + std::to_string(open.size()) +
                    R"(,"ours":)" + std::to_string(ours) + R"(,"others":)" +
                    std::to_string(others_));
    if (hard_.capacity() > before && withheld_positions() > 0) request_share_out();
  }
  if (withheld_positions() > 0)
    recount_due_ns_ = mono_now_ns() + settings_.recount_interval_ms * 1'000'000;
}

void OrderGateway::withheld_line(std::uint32_t position, const char* what, std::size_t rank,
                                 double need) {
  const PositionInfo& p = positions_[position];
  event_log_.text(
      std::string(R"("event":"alert","alert":")") + what + R"(","position":)" +
      std::to_string(position) + R"(,"symbol":")" + std::string(symbols_.name(p.symbol)) +
      R"(","side":")" + std::string(to_string(p.side)) + R"(","rank":)" + std::to_string(rank) +
      R"(,"need":)" + shortest_text(need) + R"(,"protect_limit":)" +
      std::to_string(hard_.protect_limit()) +
      R"(,"note":"the account's conditional-order limit leaves no stop for this position: the engine still manages its exits, but nothing protects it if exitbrain stops")");
}

void OrderGateway::share_out() {
  share_out_due_ns_ = 0;
  last_share_out_ns_ = mono_now_ns();
  // What each position is worth and how close it is to liquidation: the exchange's word.
  const RequestTiming t = timing();
  query_.clear();
  query_.add("recvWindow", t.recv_window).add("timestamp", t.timestamp).sign(signer_);
  const RestReply& r = send(HttpMethod::kGet, "/fapi/v3/positionRisk", kPositionRiskCost);
  int code = 0;
  if (r.outcome != RestReply::Outcome::kAnswered || classify(r, code) != ErrorAction::kNone ||
      !parser_.parse_positions(r.body, risk_, true)) {
    share_out_due_ns_ = last_share_out_ns_ + settings_.share_out_interval_ms * 1'000'000;
    return;  // tried again later; nothing is taken from anyone meanwhile
  }
  std::map<std::pair<SymbolId, Side>, const PositionRisk*> by_key;
  for (const PositionRisk& pr : risk_)
    if (const auto s = symbols_.find(pr.symbol)) by_key[{*s, side_of(pr)}] = &pr;

  std::vector<HardStopCandidate> candidates;
  for (std::uint32_t i = 0; i < positions_.size(); ++i) {
    if (!wants_hard_stop(i)) continue;
    const PositionInfo& p = positions_[i];
    HardStopCandidate c;
    c.position = i;
    c.must_keep = p.held;
    if (auto it = by_key.find({p.symbol, p.side}); it != by_key.end()) {
      const PositionRisk& pr = *it->second;
      const double mark = pr.mark_price.to_double();
      const double amount = std::abs(pr.amount.to_double());
      c.notional = amount * mark;
      if (mark > 0 && pr.liquidation_price.is_positive())
        c.liquidation_distance = std::abs(mark - pr.liquidation_price.to_double()) / mark;
    }
    candidates.push_back(c);
  }
  std::map<std::uint32_t, double> need;
  for (const HardStopCandidate& c : candidates)
    need[c.position] = hard_stop_need(c.notional, c.liquidation_distance);
  const std::vector<std::uint32_t> ranked = rank_for_hard_stops(candidates);
  const std::size_t granted = std::min(ranked.size(), hard_.protect_limit());

  sharing_out_ = true;
  // Winners first while there is room (the spare too: a loser gives its stop up right
  // after), then the losers give theirs up, then the rest of the winners.
  for (std::size_t k = 0; k < granted; ++k) {
    hard_.grant(ranked[k]);
    positions_[ranked[k]].withheld_alerted = false;
    if (!hard_.protected_now(ranked[k])) offer_engine_stop(ranked[k], granted < ranked.size());
  }
  std::size_t withdrawn = 0;
  for (std::size_t k = granted; k < ranked.size(); ++k) {
    const std::uint32_t i = ranked[k];
    const bool had = hard_.protected_now(i);
    run_stops(hard_.withhold(i));
    if (had) ++withdrawn;
    if (had || !positions_[i].withheld_alerted)
      withheld_line(i, had ? "hard_stop_withdrawn" : "hard_stop_withheld", k + 1, need[i]);
    positions_[i].withheld_alerted = true;
  }
  for (std::size_t k = 0; k < granted; ++k)
    if (!hard_.protected_now(ranked[k])) offer_engine_stop(ranked[k]);
  sharing_out_ = false;

  const std::size_t without = positions_without_hard_stop();
  event_log_.text(
      R"("event":"hard_stop_budget","limit":)" + std::to_string(settings_.max_conditional_orders) +
      R"(,"other_orders":)" + std::to_string(others_) + R"(,"our_stops":)" +
      std::to_string(hard_.live_stops()) + R"(,"wanting":)" + std::to_string(ranked.size()) +
      R"(,"granted":)" + std::to_string(granted) + R"(,"withdrawn":)" + std::to_string(withdrawn) +
      R"(,"without_hard_stop":)" + std::to_string(without));
  // A granted position still without room (a cancel pending) is offered again by the
  // timer; a refusal then asks for the next share-out.
  if (granted < ranked.size() && recount_due_ns_ == 0)
    recount_due_ns_ = last_share_out_ns_ + settings_.recount_interval_ms * 1'000'000;
}

}  // namespace exitbrain
