#pragma once
// One thread, frame after frame: parse -> price state -> decision, with the very stage
// objects of the live pipeline (no rings, no threads). exitbrain-bench instructions counts
// what it executes per tick under callgrind.
#include <cstdint>
#include <memory>

#include "bench/e2e/recorded_frames.hpp"
#include "core/price_state_engine.hpp"
#include "core/symbol_table.hpp"
#include "net/binance_message_parser.hpp"
#include "strategies/exit_engine.hpp"

namespace exitbrain::bench {

// How far each frame goes.
enum class TickDepth : std::uint8_t { kParse, kState, kDecision };

class TickWorkload {
 public:
  // `positions` on the frames' first symbol, half LONG and half SHORT, following the mark,
  // with levels far enough (±5 %) that every tick walks every rule and none closes.
  // Throws std::runtime_error when the frames have no markPrice of a known symbol.
  TickWorkload(const FrameSet& frames, int positions);

  // Frames [from, to) as deep as `depth`. Returns the price states that were decided (or,
  // for kParse / kState, that would have been).
  std::uint64_t run(std::size_t from, std::size_t to, TickDepth depth);
  std::uint64_t decisions() const noexcept { return decisions_; }

 private:
  const FrameSet& frames_;
  SymbolTable symbols_;
  std::unique_ptr<PriceStateEngine> state_;
  std::unique_ptr<ExitEngine> engine_;
  std::unique_ptr<BinanceMessageParser> parser_;
  std::uint64_t decisions_ = 0;
};

}  // namespace exitbrain::bench
