#pragma once
// The two edges of the hot pipeline (tools/live/hot_pipeline.hpp): where frames come from
// and where order work goes. `exitbrain run` plugs in the exchange (its WebSocket feeds,
// its signed REST orders: ExchangeFeeds and OrderGateway); exitbrain-bench plugs in an
// in-memory frame source and a sink that stops at the signed order bytes. The stages and
// the loops between the two edges are the same objects in both.
#include <atomic>

#include "core/wait_strategy.hpp"
#include "net/user_data_parser.hpp"
#include "net/ws_handler.hpp"
#include "tools/live/messages.hpp"

namespace exitbrain {

class MarketSource {
 public:
  virtual ~MarketSource() = default;
  // On the md thread: hands every frame to `ingest` until `stop` is set or the source has
  // no more frames, then returns; the pipeline drains behind it. `wait` is the md thread's
  // wait strategy.
  virtual void run(WsHandler& ingest, WaitStrategy wait, const std::atomic<bool>& stop) = 0;
};

class OrderSink {
 public:
  virtual ~OrderSink() = default;
  // On the orders thread, in ring order: decisions (levels, stop moves, exits), positions
  // closed outside, entries.
  virtual void on_work(const OrderWork& w) = 0;
  // Our orders' updates from the user-data stream.
  virtual void on_user_event(const UserEvent& e) = 0;
  // Every 100 ms: deferred work that is due (retries, lookups, throttled stop moves).
  virtual void on_timer() = 0;
  // Nothing in flight and nothing deferred: a stop may finish.
  virtual bool idle() const = 0;
};

}  // namespace exitbrain
