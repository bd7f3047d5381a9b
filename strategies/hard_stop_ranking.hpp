#pragma once
// Who gets the hard stops when the account's conditional-order limit (200 on Binance) is
// smaller than the number of open positions. A hard stop only matters if exitbrain stops
// acting (a crash, a lost host, a lost lease): then an unprotected position rides until
// someone closes it, or until it is liquidated. So the stops go to the positions a crash
// would cost most:
//
//   need = notional / max(distance to liquidation, 0.1 %)
//
// the notional at the mark (USDT), divided by how far the mark is from the liquidation price
// as a fraction of the mark. $10,000 2 % from liquidation ranks with $50,000 10 % away: both
// lose about the same per 1 % the market moves against them relative to the room they have.
// A position without a liquidation price (Binance answers "0", e.g. a well-covered cross
// margin one) counts as 100 % away. Ties go to the lower position index (the older one), so
// the ranking is stable and stops do not flap between equals. Pure.
#include <cstdint>
#include <span>
#include <vector>

namespace exitbrain {

struct HardStopCandidate {
  std::uint32_t position = 0;
  double notional = 0;              // |amount| × mark, USDT
  double liquidation_distance = 1;  // |mark − liquidation| / mark; 1 when there is none
  bool must_keep = false;           // held by reconciliation: its stop is never taken away
};

double hard_stop_need(double notional, double liquidation_distance) noexcept;

// The candidates' positions, those that need a stop most first (must_keep ones before all).
std::vector<std::uint32_t> rank_for_hard_stops(std::span<const HardStopCandidate> candidates);

}  // namespace exitbrain
