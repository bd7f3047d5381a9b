#pragma once
// The order sink's hops of every exit order a timed tick caused: decided -> order bytes
// out, and frame in -> order bytes out (tick to order). The live order gateway stamps the
// moment its request's bytes left for the socket; the benchmark's sink, the moment the
// signed query was written. Written by the orders thread only; the metrics scrape reads it
// while it runs (the histograms' fields are single-writer relaxed atomics).
#include "core/clock.hpp"
#include "core/latency_histogram.hpp"

namespace exitbrain {

struct ExitLatency {
  LatencyHistogram to_order_bytes;  // decided -> order bytes out
  LatencyHistogram tick_to_order;   // frame in -> order bytes out

  // Stamps with no frame (a retry, an untimed warm-up tick) or no bytes out are not
  // recorded.
  void record(const LatencyStamps& s) noexcept {
    if (!s.frame_in || !s.order_out) return;
    if (s.decided) to_order_bytes.record(s.order_out - s.decided);
    tick_to_order.record(s.order_out - s.frame_in);
  }
};

}  // namespace exitbrain
