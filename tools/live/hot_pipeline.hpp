#pragma once
// The hot path of `exitbrain run` (DESIGN.md §2): its stages, its rings and its threads,
// between two edges (tools/live/pipeline_edges.hpp):
//
//   [md]     MarketSource -> MarketIngest (parse) ------------------------ q_md -->
//   [state]  PriceStateEngine ----------------------------------------- q_state -->
//   [decide] DecideStage (exit engine; account, entries, adjustments) -- q_orders -->
//   [orders] OrderSink (the order gateway live; the signed bytes only in the benchmark)
//
// Side rings feed it from the other threads: positions (account stream) and entries and
// adjustments (intents) into decide, our orders' updates into orders. Fused mode runs
// state and decide on one thread. Every thread may be pinned and waits by its own
// strategy. Each stage records its own hop (parse, to_state, to_decision, exit order
// bytes) into a histogram of its thread: no lock, no allocation, nothing shared.
//
// `exitbrain run` (tools/live/pipeline.hpp), exitbrain-bench pipeline and the tests drive
// this one object; only the edges differ.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "core/latency_histogram.hpp"
#include "core/price_state_engine.hpp"
#include "core/spsc_queue.hpp"
#include "core/symbol_table.hpp"
#include "core/wait_strategy.hpp"
#include "strategies/cross_exchange.hpp"
#include "tools/common/event_log.hpp"
#include "tools/live/decide_stage.hpp"
#include "tools/live/exit_latency.hpp"
#include "tools/live/market_ingest.hpp"
#include "tools/live/pipeline_edges.hpp"
#include "tools/settings/config.hpp"

namespace exitbrain {

class HotPipeline {
 public:
  // The stage objects, sized for `max_positions`, with the ATRs the profiles need.
  HotPipeline(const Config& config, SymbolTable& symbols, EventLog& event_log,
              ThreadSettings threads, std::int64_t shutdown_grace_ms, std::size_t max_positions);
  ~HotPipeline();
  HotPipeline(const HotPipeline&) = delete;
  HotPipeline& operator=(const HotPipeline&) = delete;

  // Before start(): candles backfilled into the state stage, positions into decide.
  PriceStateEngine& state() noexcept { return *state_; }
  DecideStage& decide() noexcept { return decide_; }
  const AtrPlan& plan() const noexcept { return plan_; }
  // The rings other threads feed (each has one producer).
  SpscQueue<AccountChange>& account_in() noexcept { return q_account_; }
  SpscQueue<UserEvent>& order_updates_in() noexcept { return q_user_orders_; }
  SpscQueue<EntryOrder>& entries_in() noexcept { return q_entries_; }
  SpscQueue<cross_exchange::Adjustments>& adjustments_in() noexcept { return q_adjust_; }
  SpscQueue<ControlCommand>& control_in() noexcept { return q_control_; }
  // When each stage's loop last went round (monotonic ns; 0: not started): the watchdog's
  // proof that the threads are alive. A blocked-waiting loop still goes round every 100 ms.
  MonoNs heartbeat(Stage s) const noexcept {
    return heartbeat_[static_cast<int>(s)].load(std::memory_order_relaxed);
  }
  std::atomic<MonoNs>& heartbeat_cell(Stage s) noexcept { return heartbeat_[static_cast<int>(s)]; }
  // Where the order sink records its exit orders' hops (orders thread).
  ExitLatency& exit_latency() noexcept { return exit_latency_; }

  // Starts the md (runs `source`), state, decide (unless fused) and orders (drives `sink`)
  // threads. `source` returns once `stop` is set or its frames are done.
  void start(MarketSource& source, OrderSink& sink, const std::atomic<bool>& stop);
  // Waits for the source to return, then drains: state and decide finish their rings, the
  // sink its in-flight work (until idle() or shutdown_grace_ms), and every thread ends.
  void join();
  // Every hot ring empty (the benchmark's source waits for it after its warm-up).
  bool drained() const noexcept;

  // After join().
  const MarketIngest& ingest() const noexcept { return ingest_; }
  const DecideStage& decide() const noexcept { return decide_; }
  const LatencyHistogram& to_state_hop() const noexcept { return to_state_; }
  const ExitLatency& exit_latency() const noexcept { return exit_latency_; }
  // Pushes that found a hot ring full and waited.
  std::uint64_t ring_full() const noexcept;
  // Why a stage's thread could not be pinned ("" if it was, or was not asked to be).
  const std::string& pin_error(Stage s) const noexcept { return pin_errors_[static_cast<int>(s)]; }

  // Names the calling thread eb-<stage> and pins it per the settings; a pin is written to
  // the event log (with its error, if any). Also for the threads beside the pipeline.
  static std::string start_thread(Stage stage, const ThreadSettings& threads, EventLog& event_log);

 private:
  WaitStrategy wait(Stage s) const noexcept { return threads_.wait[static_cast<int>(s)]; }
  void enter(Stage s);
  void beat(Stage s) noexcept {
    heartbeat_[static_cast<int>(s)].store(mono_now_ns(), std::memory_order_relaxed);
  }
  void drain_side_rings();
  void state_loop();
  void decide_loop();
  void orders_loop(OrderSink& sink);

  const ThreadSettings threads_;
  const std::int64_t shutdown_grace_ms_;
  EventLog& event_log_;

  Doorbell state_bell_, decide_bell_, orders_bell_;
  SpscQueue<MarketEvent> q_md_;
  SpscQueue<PriceState> q_state_;
  SpscQueue<OrderWork> q_orders_;
  SpscQueue<AccountChange> q_account_;
  SpscQueue<UserEvent> q_user_orders_;
  SpscQueue<EntryOrder> q_entries_;
  SpscQueue<cross_exchange::Adjustments> q_adjust_;
  SpscQueue<ControlCommand> q_control_;
  std::array<std::atomic<MonoNs>, kStageCount> heartbeat_{};

  // The md and decide stages' outputs: their rings.
  PushInto<MarketEvent> md_out_{&q_md_};
  PushInto<OrderWork> decide_out_{&q_orders_};

  const AtrPlan plan_;  // the ATRs of the default profile and those it hands positions to
  std::unique_ptr<PriceStateEngine> state_;
  MarketIngest ingest_;
  DecideStage decide_;
  LatencyHistogram to_state_;
  ExitLatency exit_latency_;

  std::thread md_thread_, state_thread_, decide_thread_, orders_thread_;
  std::atomic<bool> md_done_{false}, state_done_{false}, decide_done_{false};
  std::array<std::string, kStageCount> pin_errors_{};
};

}  // namespace exitbrain
