#include "tools/replay/backtest_stats.hpp"

#include <algorithm>
#include <cmath>

namespace exitbrain {

GroupStats summarize(std::vector<TradeOutcome> trades) {
  GroupStats s;
  s.trades = static_cast<int>(trades.size());
  if (trades.empty()) return s;
  std::stable_sort(trades.begin(), trades.end(), [](const TradeOutcome& a, const TradeOutcome& b) {
    return a.closed_at < b.closed_at;
  });
  double margin = 0, peak = 0, equity = 0, sum_r = 0, sum_r2 = 0, lev = 0;
  int wins = 0;
  for (const TradeOutcome& t : trades) {
    equity += t.pnl;
    peak = std::max(peak, equity);
    s.max_drawdown = std::max(s.max_drawdown, peak - equity);
    margin += t.margin;
    wins += t.pnl > 0;
    const double r = t.margin > 0 ? t.pnl / t.margin : 0;
    sum_r += r;
    sum_r2 += r * r;
    lev += t.leverage;
    s.liquidations += t.liquidated;
  }
  const double n = static_cast<double>(trades.size());
  s.pnl = equity;
  s.win_rate = wins / n;
  s.return_on_margin = margin > 0 ? equity / margin : 0;
  s.avg_leverage = lev / n;
  if (trades.size() > 1) {
    const double mean = sum_r / n;
    const double var = (sum_r2 - n * mean * mean) / (n - 1);
    s.sharpe = var > 0 ? mean / std::sqrt(var) : 0;
  }
  return s;
}

}  // namespace exitbrain
