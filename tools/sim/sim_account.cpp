// The account's money as Binance reports it: GET /fapi/v2|v3/account, /fapi/v2|v3/balance
// (one USDT asset, cross margin, single-asset mode) and the fills of GET /fapi/v1/userTrades.
// Field names and types follow Binance's documentation and the response types of its own
// connector (tools/conformance checks the answers against them).
#include <algorithm>
#include <string>

#include "tools/sim/sim_exchange.hpp"
#include "tools/sim/sim_internal.hpp"

namespace exitbrain::sim {

using detail::abs;
using detail::mul_sat;
using detail::ps_name;

namespace {

constexpr std::int64_t kDefaultTrades = 500, kMaxTrades = 1000;
constexpr TimeMs kTradeWindowMs = 7LL * 24 * 60 * 60 * 1000;  // the widest startTime..endTime

}  // namespace

SimExchange::Margin SimExchange::position_margin(const SymbolState& s, const Position& p) const {
  Margin m;
  if (!s.has_mark) return m;
  m.notional = mul_sat(s.mark, p.amount);
  m.unrealized = mul_sat(s.mark - p.entry, p.amount);
  m.initial = Decimal::from_units(abs(m.notional).units() / std::max(1, s.leverage));
  m.maint = mul_sat(abs(m.notional), Decimal::from_units(400'000));  // 0.4 %
  return m;
}

SimExchange::Margin SimExchange::account_margin() const {
  Margin total;
  for (const SymbolState& s : symbols_)
    for (const Position& p : s.pos) {
      const Margin m = position_margin(s, p);
      total.notional += abs(m.notional);
      total.unrealized += m.unrealized;
      total.initial += m.initial;
      total.maint += m.maint;
      total.updated = std::max(total.updated, p.update_time);
    }
  return total;
}

namespace {

// The account's totals, named as the account endpoints name them.
struct Totals {
  Decimal wallet, unrealized, margin_balance, initial, maint, available, max_withdraw;
};

Totals totals_of(Decimal wallet, Decimal unrealized, Decimal initial, Decimal maint) {
  Totals t;
  t.wallet = wallet;
  t.unrealized = unrealized;
  t.margin_balance = wallet + unrealized;
  t.initial = initial;
  t.maint = maint;
  t.available = t.margin_balance - initial;
  // Only realised money can leave: never more than the wallet, never below zero.
  t.max_withdraw = std::max(Decimal{}, std::min(t.available, wallet));
  return t;
}

}  // namespace

HttpAnswer SimExchange::get_account(Ctx& c, int version) {
  (void)c;  // no parameters but the signature's
  const Margin sum = account_margin();
  const Totals t = totals_of(wallet_, sum.unrealized, sum.initial, sum.maint);
  JsonWriter w;
  w.obj();
  if (version == 2) {
    w.i("feeTier", 0).b("feeBurn", false).b("canTrade", true).b("canDeposit", true);
    w.b("canWithdraw", true).i("updateTime", 0).b("multiAssetsMargin", false);
    w.i("tradeGroupId", -1);
  }
  w.d("totalInitialMargin", t.initial).d("totalMaintMargin", t.maint);
  w.d("totalWalletBalance", t.wallet).d("totalUnrealizedProfit", t.unrealized);
  w.d("totalMarginBalance", t.margin_balance).d("totalPositionInitialMargin", t.initial);
  w.s("totalOpenOrderInitialMargin", "0").d("totalCrossWalletBalance", t.wallet);
  w.d("totalCrossUnPnl", t.unrealized).d("availableBalance", t.available);
  w.d("maxWithdrawAmount", t.max_withdraw);
  w.key("assets").arr().obj().s("asset", "USDT").d("walletBalance", t.wallet);
  w.d("unrealizedProfit", t.unrealized).d("marginBalance", t.margin_balance);
  w.d("maintMargin", t.maint).d("initialMargin", t.initial);
  w.d("positionInitialMargin", t.initial).s("openOrderInitialMargin", "0");
  w.d("crossWalletBalance", t.wallet).d("crossUnPnl", t.unrealized);
  w.d("availableBalance", t.available).d("maxWithdrawAmount", t.max_withdraw);
  if (version == 2) w.b("marginAvailable", true);
  w.i("updateTime", sum.updated).end_obj().end_arr();
  w.key("positions").arr();
  for (const SymbolState& s : symbols_) {
    for (int ps : {kBoth, kLong, kShort}) {
      if ((ps == kBoth) == hedge_) continue;
      const Position& p = s.pos[static_cast<std::size_t>(ps)];
      // V3 lists the positions that are open; V2 every symbol of the account.
      if (version == 3 && p.amount.is_zero()) continue;
      const Margin m = position_margin(s, p);
      w.obj().s("symbol", s.cfg.name);
      if (version == 3) {
        w.s("positionSide", ps_name(ps)).d("positionAmt", p.amount);
        w.d("unrealizedProfit", m.unrealized).s("isolatedMargin", "0").d("notional", m.notional);
        w.s("isolatedWallet", "0").d("initialMargin", m.initial).d("maintMargin", m.maint);
      } else {
        w.d("initialMargin", m.initial).d("maintMargin", m.maint);
        w.d("unrealizedProfit", m.unrealized).d("positionInitialMargin", m.initial);
        w.s("openOrderInitialMargin", "0").s("leverage", std::to_string(s.leverage));
        w.b("isolated", false).d("entryPrice", p.entry);
        w.s("maxNotional", std::to_string(100'000'000 / std::max(1, s.leverage)));
        w.s("bidNotional", "0").s("askNotional", "0").s("positionSide", ps_name(ps));
        w.d("positionAmt", p.amount);
      }
      w.i("updateTime", p.update_time).end_obj();
    }
  }
  w.end_arr().end_obj();
  return HttpAnswer{200, w.take(), {}};
}

HttpAnswer SimExchange::get_balance(Ctx& c) {
  (void)c;  // no parameters but the signature's
  const Margin sum = account_margin();
  const Totals t = totals_of(wallet_, sum.unrealized, sum.initial, sum.maint);
  JsonWriter w;
  w.arr().obj().s("accountAlias", "SimX").s("asset", "USDT").d("balance", t.wallet);
  w.d("crossWalletBalance", t.wallet).d("crossUnPnl", t.unrealized);
  w.d("availableBalance", t.available).d("maxWithdrawAmount", t.max_withdraw);
  w.b("marginAvailable", true).i("updateTime", sum.updated).end_obj().end_arr();
  return HttpAnswer{200, w.take(), {}};
}

HttpAnswer SimExchange::get_user_trades(Ctx& c) {
  const std::string* sym = c.params.get("symbol");
  if (!sym) return error_answer(missing("symbol"));
  const SymbolState* s = find_symbol(*sym);
  if (!s) return error_answer(Error{-1121, "Invalid symbol.", 400});
  const auto symbol_index = static_cast<std::size_t>(s - symbols_.data());
  auto number = [&](std::string_view name, std::int64_t fallback) -> std::optional<std::int64_t> {
    const std::string* v = c.params.get(name);
    return v ? parse_int(*v) : std::optional<std::int64_t>(fallback);
  };
  const auto limit = number("limit", kDefaultTrades);
  const auto from_id = number("fromId", -1);
  const auto order_id = number("orderId", -1);
  const auto start = number("startTime", -1);
  const auto end = number("endTime", -1);
  if (!limit) return error_answer(bad_value("limit"));
  if (!from_id) return error_answer(bad_value("fromId"));
  if (!order_id) return error_answer(bad_value("orderId"));
  if (!start) return error_answer(bad_value("startTime"));
  if (!end) return error_answer(bad_value("endTime"));
  if (*limit < 1 || *limit > kMaxTrades) return error_answer(bad_value("limit"));
  if (*from_id >= 0 && (*start >= 0 || *end >= 0))
    return error_answer(Error{-4000, "fromId cannot be sent with startTime or endTime.", 400});
  if (*start >= 0 && *end >= 0 && (*end < *start || *end - *start > kTradeWindowMs))
    return error_answer(
        Error{-4000, "The time between startTime and endTime can't be longer than 7 days.", 400});
  // No time given: the last 7 days (from startTime on when only that is given).
  TimeMs lo = *start, hi = *end;
  if (lo < 0 && hi < 0 && *from_id < 0) lo = c.server - kTradeWindowMs;
  if (lo >= 0 && hi < 0) hi = lo + kTradeWindowMs;
  if (hi >= 0 && lo < 0 && *from_id < 0) lo = hi - kTradeWindowMs;
  std::vector<const Trade*> hits;
  for (const Trade& t : trades_) {
    if (t.symbol != symbol_index) continue;
    if (*order_id >= 0 && t.order_id != *order_id) continue;
    if (*from_id >= 0 && t.id < *from_id) continue;
    if (lo >= 0 && t.time < lo) continue;
    if (hi >= 0 && t.time > hi) continue;
    hits.push_back(&t);
  }
  // fromId pages forward from the oldest; otherwise the most recent `limit` trades.
  const auto n = static_cast<std::size_t>(*limit);
  std::size_t first = 0, last = hits.size();
  if (hits.size() > n) {
    if (*from_id >= 0)
      last = n;
    else
      first = hits.size() - n;
  }
  JsonWriter w;
  w.arr();
  for (std::size_t k = first; k < last; ++k) {
    const Trade& t = *hits[k];
    w.obj().b("buyer", t.buy).d("commission", t.commission).s("commissionAsset", "USDT");
    w.i("id", t.id).b("maker", false).i("orderId", t.order_id).d("price", t.price);
    w.d("qty", t.qty).d("quoteQty", t.quote).d("realizedPnl", t.realized);
    w.s("side", t.buy ? "BUY" : "SELL").s("positionSide", ps_name(t.ps)).s("symbol", s->cfg.name);
    w.i("time", t.time).end_obj();
  }
  w.end_arr();
  return HttpAnswer{200, w.take(), {}};
}

}  // namespace exitbrain::sim
