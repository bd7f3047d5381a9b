#pragma once
// What the order sender shows the operations thread (/metrics, /health, the automatic
// limits): relaxed atomics the orders thread stores on its 100 ms timer and on each
// answer, read by the scrape whenever it comes. Nothing waits for anyone.
#include <atomic>
#include <cstdint>

namespace exitbrain {

struct GatewayGauges {
  std::atomic<std::uint64_t> positions_without_hard_stop{0};
  std::atomic<std::uint64_t> withheld_positions{0};
  std::atomic<std::uint64_t> other_algo_orders{0};
  std::atomic<std::uint64_t> stop_limit_refusals{0};
  std::atomic<std::uint64_t> requests{0};
  // From the exchange's rate-limit headers (-1: not seen yet).
  std::atomic<std::int64_t> used_weight_1m{-1};
  std::atomic<std::int64_t> order_count_10s{-1};
  std::atomic<std::int64_t> order_count_1m{-1};
  // Order answers that were errors since the last one that was not (exits, hard stops,
  // entries): the max-consecutive-errors limit reads it.
  std::atomic<std::uint64_t> consecutive_errors{0};
  // Realised PnL of the exits and hard stops filled on the current UTC day (quote asset,
  // before fees), and that day (days since the epoch).
  std::atomic<double> realised_pnl_today{0};
  std::atomic<std::int64_t> pnl_day{0};
  // The server clock's offset (server - local, ms) as last sampled.
  std::atomic<std::int64_t> clock_offset_ms{0};
};

}  // namespace exitbrain
