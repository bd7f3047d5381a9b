#pragma once
// exitbrain-sim's network face: one port serving the REST API (SimExchange) and the
// WebSocket streams on Binance's routed paths, plain TCP or TLS, on one io thread.
//  - /market/ws/<s1>/<s2>, /market/stream?streams=<s1>/<s2> (combined), same under /public;
//    a stream is only delivered on its route (binance-api.md §1.2), and a connection without
//    a routed path only gets /public data, as on the real exchange since 2026-04-23;
//  - live {"method":"SUBSCRIBE"|"UNSUBSCRIBE"|"LIST_SUBSCRIPTIONS"} on any market socket;
//  - /private/ws/<listenKey> or /private/ws?listenKey=<key>: the user-data stream;
//  - the market feed is paced by its event times (x speed); its first `history_ms` go
//    into the exchange's klines only; recorded event times are moved to the wall clock
//    so that a recording from 2023 plays as today;
//  - <symbol>@kline_1m is synthesised from the mark prices for symbols whose feed has no
//    klines;
//  - fault switches (SimExchange::faults): drop the market sockets, go silent, delay.
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "tools/sim/market_feed.hpp"
#include "tools/sim/sim_exchange.hpp"

namespace exitbrain::sim {

struct SimServerOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port
  std::string tls_cert;    // PEM chain; empty: plain TCP
  std::string tls_key;
  double speed = 1.0;           // feed seconds per wall second
  std::int64_t history_ms = 0;  // fed to the exchange (klines) before streaming starts
  bool shift_times = true;      // move event times so that streaming starts at "now"
  bool verbose = false;
  // Positions a trader opens when streaming starts: "SYMBOL:LONG|SHORT:QTY".
  std::vector<std::string> open_at_start;
};

struct SimServerStats {
  std::uint64_t market_messages = 0;  // feed messages streamed (after history)
  std::uint64_t http_requests = 0;
  std::uint64_t ws_sessions = 0;
  bool feed_done = false;
};

class SimServer {
 public:
  // `prefetched`: feed messages read ahead (to learn the symbols) that come first.
  SimServer(SimServerOptions options, std::unique_ptr<MarketFeed> feed,
            std::deque<FeedMessage> prefetched, SimExchange& exchange);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  // Binds and listens. Returns the port, or throws std::runtime_error (bad cert, port busy).
  std::uint16_t listen();
  // Runs the io loop on the calling thread until stop().
  void run();
  // Thread-safe.
  void stop();
  SimServerStats stats() const;

  struct Impl;  // the sessions in the .cpp reach the server through it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace exitbrain::sim
