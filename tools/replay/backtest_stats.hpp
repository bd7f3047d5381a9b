#pragma once
// Comparison figures of a backtest group (one profile in one leverage mode).
#include <string>
#include <vector>

namespace exitbrain {

struct TradeOutcome {
  double pnl = 0;     // USDT, after fees; a liquidation loses the margin
  double margin = 0;  // USDT put up for the trade
  double leverage = 1;
  long long closed_at = 0;  // ms; trades still open at the end are marked at the last price
  bool liquidated = false;
};

struct GroupStats {
  int trades = 0;
  double win_rate = 0;          // share of trades with pnl > 0
  double pnl = 0;               // USDT
  double return_on_margin = 0;  // pnl / sum of margins
  double max_drawdown = 0;      // USDT, peak to trough of cumulative pnl in closing order
  double sharpe = 0;            // per trade: mean / sample std of pnl / margin
  double avg_leverage = 0;
  int liquidations = 0;
};

GroupStats summarize(std::vector<TradeOutcome> trades);

}  // namespace exitbrain
