#pragma once
// The market source of `exitbrain run`: the exchange's WebSocket feeds, read on the md
// thread's own io_context. One combined-stream connection on the /market route for every
// symbol (marks, klines, and trades when a profile triggers on the last price), and one on
// /public for book tickers when a profile triggers on the mid. Each reconnects, rotates
// and watches for silence by itself (net/ws_client.hpp).
#include <memory>
#include <string>

#include "tools/live/pipeline_edges.hpp"
#include "tools/settings/config.hpp"

namespace boost::asio::ssl {
class context;
}

namespace exitbrain {

class ExchangeFeeds final : public MarketSource {
 public:
  // Returns an error text (empty: fine) in `error` when the configuration cannot be served.
  ExchangeFeeds(const Config& config, std::shared_ptr<boost::asio::ssl::context> tls,
                std::string& error);

  void run(WsHandler& ingest, WaitStrategy wait, const std::atomic<bool>& stop) override;
  // Stored every time the md thread's loop goes round (before run()).
  void set_heartbeat(std::atomic<std::int64_t>* beat) noexcept { heartbeat_ = beat; }

 private:
  const Config& config_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::string streams_;       // the /market connection's streams
  std::string book_streams_;  // the /public one's; empty: no such connection
  std::atomic<std::int64_t>* heartbeat_ = nullptr;
};

}  // namespace exitbrain
