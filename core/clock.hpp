#pragma once
// One monotonic clock for every latency stamp. steady_clock reads CLOCK_MONOTONIC
// through the vDSO: no syscall on the hot path.
#include <chrono>
#include <cstdint>

namespace exitbrain {

using MonoNs = std::int64_t;

inline MonoNs mono_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
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
