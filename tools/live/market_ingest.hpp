#pragma once
// The md stage: market frames in, MarketEvents out to `out` (the ring to the state stage in
// the hot pipeline; the state and decide steps themselves when one thread runs them all).
// Frames come from the market source (the exchange's WebSocket feeds, or the benchmark's
// memory); each event carries its frame's receive time and its parse time, and the parse hop
// is recorded here, on the md thread. Malformed frames and the feed's connection life are
// written to the event log (rare paths).
#include <array>
#include <atomic>
#include <cstdint>

#include "core/latency_histogram.hpp"
#include "core/sink_ref.hpp"
#include "core/symbol_table.hpp"
#include "net/binance_message_parser.hpp"
#include "net/ws_handler.hpp"
#include "tools/common/event_log.hpp"

namespace exitbrain {

class MarketIngest final : public WsHandler {
 public:
  // `out` must outlive the ingest.
  MarketIngest(SymbolTable& symbols, SinkRef<MarketEvent> out, EventLog& event_log);

  // `received` 0: not timed (the benchmark's warm-up): no hop is recorded for it.
  void on_frame(const char* data, std::size_t len, std::size_t capacity,
                MonoNs received) noexcept override;
  void on_status(const WsStatus& st) override;

  // received -> parsed, per event. Written by the md thread; the metrics scrape may read it
  // meanwhile (single-writer relaxed atomics).
  const LatencyHistogram& parse_hop() const noexcept { return parse_hop_; }
  // When the last event of `s` was parsed (monotonic ns; 0: none yet).
  MonoNs last_event_ns(SymbolId s) const noexcept {
    return s < last_event_ns_.size() ? last_event_ns_[s].load(std::memory_order_relaxed) : 0;
  }
  // The latest connection status said frames flow (connected, fresh, rotated).
  bool feed_up() const noexcept { return feed_up_.load(std::memory_order_relaxed); }

  std::atomic<std::uint64_t> frames{0}, events{0}, malformed{0}, reconnects{0}, stale{0};

 private:
  BinanceMessageParser parser_;
  SinkRef<MarketEvent> out_;
  EventLog& event_log_;
  LatencyHistogram parse_hop_;
  std::array<std::atomic<MonoNs>, SymbolTable::kMaxSymbols> last_event_ns_{};
  std::atomic<bool> feed_up_{false};
};

}  // namespace exitbrain
