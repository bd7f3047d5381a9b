#pragma once
// One monotonic clock for every latency stamp. steady_clock reads CLOCK_MONOTONIC
// through the vDSO: no syscall on the hot path.
#include <chrono>
#include <cstdint>

#include "core/types.hpp"

namespace exitbrain {

using MonoNs = std::int64_t;

inline MonoNs mono_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The wall clock in ms: event lines, order timestamps, intent ages. Not for latencies
// (it may step); clock_gettime(CLOCK_REALTIME) is a vDSO call too.
inline TimeMs wall_clock_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Stamps that travel with an event from the frame to the order bytes. Zero = not taken.
struct LatencyStamps {
  MonoNs frame_in = 0;
  MonoNs parsed = 0;
  MonoNs state = 0;
  MonoNs decided = 0;
  MonoNs order_out = 0;
};

}  // namespace exitbrain
