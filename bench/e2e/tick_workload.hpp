#pragma once
// One thread, frame after frame, through the stage objects of `exitbrain run`'s hot
// pipeline (tools/live/hot_pipeline.hpp), each stage's output wired straight into the next
// instead of into a ring: the md step (MarketIngest: parse, stamp), the state step
// (PriceStateEngine), the decide step (DecideStage: the exit engine, decisions out and into
// the event log). No threads, no rings, no waits: exitbrain-bench instructions counts what
// it executes per tick under callgrind, the compute floor of a tick.
#include <cstdint>
#include <cstdio>
#include <memory>

#include "bench/e2e/recorded_frames.hpp"
#include "core/price_state_engine.hpp"
#include "core/sink_ref.hpp"
#include "core/symbol_table.hpp"
#include "tools/common/event_log.hpp"
#include "tools/live/decide_stage.hpp"
#include "tools/live/market_ingest.hpp"
#include "tools/settings/config.hpp"

namespace exitbrain::bench {

// How far each frame goes.
enum class TickDepth : std::uint8_t { kParse, kState, kDecision };

class TickWorkload {
 public:
  // `positions` on the frames' first symbol, half LONG and half SHORT, following the mark,
  // with levels far enough (±5 %) that every tick walks every rule and none closes.
  // Throws std::runtime_error when the frames have no markPrice of a known symbol.
  TickWorkload(const FrameSet& frames, int positions);
  ~TickWorkload();

  // Frames [from, to) as deep as `depth`. Returns the price states that were decided (or,
  // for kParse / kState, that would have been).
  std::uint64_t run(std::size_t from, std::size_t to, TickDepth depth);
  // Order work the decide step handed on (decisions).
  std::uint64_t decisions() const noexcept { return decisions_; }

 private:
  const FrameSet& frames_;
  SymbolTable symbols_;
  Config config_;
  // Never started: its records stay queued (or are counted as dropped), so no second
  // thread runs beside the counted one.
  std::FILE* devnull_ = nullptr;
  std::unique_ptr<EventLog> event_log_;
  // The md step's output: the state step, and (at kDecision) the decide step.
  struct ToState {
    TickWorkload* w;
    void operator()(const MarketEvent& ev) const noexcept { w->on_event(ev); }
  };
  struct CountOrders {
    std::uint64_t* n;
    void operator()(const OrderWork&) const noexcept { ++*n; }
  };
  void on_event(const MarketEvent& ev) noexcept;

  ToState to_state_{this};
  CountOrders to_orders_{&decisions_};
  TickDepth depth_ = TickDepth::kDecision;
  std::uint64_t ticks_ = 0;
  PriceState st_;
  std::unique_ptr<PriceStateEngine> state_;
  std::unique_ptr<MarketIngest> ingest_;
  std::unique_ptr<DecideStage> decide_;
  std::uint64_t decisions_ = 0;
};

}  // namespace exitbrain::bench
