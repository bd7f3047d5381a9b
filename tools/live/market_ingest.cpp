#include "tools/live/market_ingest.hpp"

#include <string>

#include "tools/common/json_line.hpp"

namespace exitbrain {

MarketIngest::MarketIngest(SymbolTable& symbols, SinkRef<MarketEvent> out, EventLog& event_log)
    : parser_(symbols), out_(out), event_log_(event_log) {}

void MarketIngest::on_frame(const char* data, std::size_t len, std::size_t capacity,
                            MonoNs received) noexcept {
  frames.fetch_add(1, std::memory_order_relaxed);
  const ParseStatus s = parser_.parse(data, len, capacity, [&](const MarketEvent& parsed) {
    MarketEvent e = parsed;
    e.stamps.frame_in = received;
    e.stamps.parsed = mono_now_ns();
    if (received) parse_hop_.record(e.stamps.parsed - received);
    if (e.symbol < last_event_ns_.size())
      last_event_ns_[e.symbol].store(e.stamps.parsed, std::memory_order_relaxed);
    out_(e);
    events.fetch_add(1, std::memory_order_relaxed);
  });
  if (s == ParseStatus::kMalformed) {  // rare: the text is built off the normal path
    malformed.fetch_add(1, std::memory_order_relaxed);
    event_log_.text(R"("event":"alert","alert":"market_message_malformed","field":)" +
                    JsonLine::quote(parser_.last_error().field) + R"(,"reason":)" +
                    JsonLine::quote(parser_.last_error().reason));
  }
}

void MarketIngest::on_status(const WsStatus& st) {
  if (st.kind == WsStatusKind::kConnected) reconnects.fetch_add(1);
  if (st.kind == WsStatusKind::kStale) stale.fetch_add(1);
  if (st.kind == WsStatusKind::kConnected || st.kind == WsStatusKind::kFresh ||
      st.kind == WsStatusKind::kRotated)
    feed_up_.store(true, std::memory_order_relaxed);
  else if (st.kind == WsStatusKind::kDisconnected || st.kind == WsStatusKind::kStale)
    feed_up_.store(false, std::memory_order_relaxed);
  const bool alert = st.kind == WsStatusKind::kStale;
  event_log_.text(std::string(alert ? R"("event":"alert","alert":"market_feed_stale",)"
                                    : R"("event":"market_feed",)") +
                  R"("state":")" + to_string(st.kind) + R"(","connection":)" +
                  std::to_string(st.connection) + R"(,"detail":)" + JsonLine::quote(st.detail) +
                  (st.retry_in_ms ? R"(,"retry_in_ms":)" + std::to_string(st.retry_in_ms) : ""));
}

}  // namespace exitbrain
