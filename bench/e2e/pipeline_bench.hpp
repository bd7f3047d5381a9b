#pragma once
// exitbrain-bench pipeline: the live hot path run in-process. It runs `exitbrain run`'s own
// HotPipeline (tools/live/hot_pipeline.hpp): the same stage objects (MarketIngest,
// PriceStateEngine, DecideStage with its ExitEngine and event log), the same rings, loops,
// wait strategies and pinning. Only the two edges differ: an in-memory frame source instead
// of the WebSocket feeds, and an order sink that stops at the written and signed exit
// query instead of sending it; a stand-in exchange reopens every position that closes.
//
// The source offers frames on a fixed schedule (`rate`). Every latency is measured from
// the frame's *scheduled* time, so a stall anywhere (source included) delays the frames
// behind it and shows in the figures: coordinated omission is corrected by construction.
#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "bench/e2e/recorded_frames.hpp"
#include "core/events.hpp"
#include "core/latency_histogram.hpp"
#include "core/wait_strategy.hpp"
#include "tools/settings/live_config.hpp"

namespace exitbrain::bench {

// The pipeline's threads, in order: Stage::kMd, kState, kDecide, kOrders.
inline constexpr int kBenchStages = 4;

struct PipelineOptions {
  double rate = 10'000;  // frames offered per second, after the warm-up
  double seconds = 10;   // how long frames are offered (capped by the frames there are)
  std::size_t warmup_frames = 5'000;  // sent unpaced first, not measured
  bool fused = false;                 // state and decide on one thread
  std::array<WaitStrategy, kBenchStages> wait{WaitStrategy::kBlock, WaitStrategy::kBlock,
                                              WaitStrategy::kBlock, WaitStrategy::kBlock};
  std::array<int, kBenchStages> cpu{-1, -1, -1, -1};  // -1: not pinned
  int positions_per_symbol = 10;
  // Each position's stop and target sit this far from its entry; a position that closes is
  // replaced by a new one at the current price, so exits keep coming at any rate.
  double level_bps = 3;
  TriggerSource trigger = TriggerSource::kMid;
  // Non-empty: the state journal writes behind the decide stage into this (emptied) folder,
  // as in `exitbrain run` (its own thread, sync "interval"), so its cost shows side by side.
  std::string journal_dir;
};

// What each histogram measures (all in ns, per frame or per order).
enum class Hop : std::uint8_t {
  kSourceLag,       // the source handed the frame over this late (its own stall)
  kParse,           // frame due -> event parsed (the source's lag included) [md]
  kToState,         // parsed -> price state updated (ring hop + state)   [state]
  kToDecision,      // state -> decision step done (ring hop + rules)     [decide]
  kToOrderBytes,    // decided -> exit query written and signed (ring hop + bytes) [orders]
  kTickToDecision,  // scheduled -> decision step done, every state update
  kTickToOrder,     // scheduled -> exit order bytes out, every exit a tick caused
};
inline constexpr int kHops = 7;
const char* to_string(Hop h) noexcept;

struct PipelineResult {
  std::array<LatencyHistogram, kHops> hops{};
  std::uint64_t frames_offered = 0;  // timed frames
  std::uint64_t events = 0;          // market events parsed from them
  std::uint64_t states = 0;          // price states that reached the decision stage
  std::uint64_t exit_orders = 0;     // written and signed, caused by a timed tick
  std::uint64_t stop_orders = 0;     // hard stops written and signed (stop moves), same;
                                     // counted, not in the histograms (exits only)
  std::uint64_t positions_replaced = 0;
  std::uint64_t replacements_refused = 0;  // position table full, or levels rejected
  std::uint64_t malformed = 0;
  std::uint64_t ring_full = 0;  // pushes that found a ring full and waited
  std::size_t symbols = 0;
  double seconds = 0;  // wall time of the timed part
  // With journal_dir: what the journal thread wrote.
  std::uint64_t journal_records = 0, journal_bytes = 0, journal_ring_full = 0;
};

// Runs the pipeline over `frames`. Throws std::runtime_error naming the problem when it
// cannot (no symbol in the frames, a thread cannot be pinned, too few frames).
std::unique_ptr<PipelineResult> run_pipeline(const FrameSet& frames, const PipelineOptions& o);

}  // namespace exitbrain::bench
