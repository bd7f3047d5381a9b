#pragma once
// Shadow mode's order sink ([run] mode = "shadow"): the hot pipeline's decisions arrive
// here instead of at the order gateway, and each becomes an event line saying what live
// mode would have sent — the exit (reduce-only MARKET, its quantity and reason), the hard
// stop it would have placed or moved (the same trigger and min_move rule as live), the
// entry — and nothing is sent. The real account and market still feed the engine, so a
// trader can run it beside the exit system in use and compare (seeds 001, 002).
#include <atomic>
#include <cstdint>
#include <vector>

#include "core/symbol_table.hpp"
#include "strategies/hard_stop_manager.hpp"
#include "tools/common/event_log.hpp"
#include "tools/common/json_line.hpp"
#include "tools/live/pipeline_edges.hpp"

namespace exitbrain {

class ShadowSink final : public OrderSink {
 public:
  ShadowSink(const SymbolTable& symbols, EventLog& event_log, bool hard_stops,
             HardStopPolicy policy, std::size_t max_positions);

  void on_work(const OrderWork& w) override;
  void on_user_event(const UserEvent&) override {}
  void on_timer() override {}
  bool idle() const override { return true; }

  // What would have been sent (any thread).
  std::atomic<std::uint64_t> exits{0}, stop_placements{0}, stop_moves{0}, stop_cancels{0},
      entries{0};

 private:
  void write(JsonLine& j);

  const SymbolTable& symbols_;
  EventLog& event_log_;
  const bool hard_stops_;
  const HardStopPolicy policy_;
  std::vector<Price> trigger_;  // per position: the stop live mode would hold (0: none)
};

}  // namespace exitbrain
