#pragma once
// The user-data stream keeper ([user] thread, binance-api.md §4): creates the listenKey
// (POST /fapi/v1/listenKey), keeps it alive every 30 minutes (PUT), recreates it on -1125
// or a listenKeyExpired event, and holds the WebSocket on <ws_private_url>/ws/<key> open
// with the same reconnecting client as the market feed. Events go to their consumers:
// positions to the decision stage, our order and algo updates to the order sender,
// foreign orders on managed symbols to the event_log.
//
// Events sent while the connection was down are gone (Binance does not replay them). So
// once every connection is open (the first too: start-up read the positions a moment
// before) the keeper asks for the positions (GET /fapi/v3/positionRisk) and
// passes on each one that differs from the last it passed on, as if its ACCOUNT_UPDATE had
// come. Found by the fault soak: an intent's entry that filled while the stream was down
// stayed unknown, and so without a hard stop, until the next restart (53 s in one run).
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/spsc_queue.hpp"
#include "core/symbol_table.hpp"
#include "net/endpoint_url.hpp"
#include "net/hmac_signer.hpp"
#include "net/rest_client.hpp"
#include "net/rest_responses.hpp"
#include "net/user_data_parser.hpp"
#include "net/ws_client.hpp"
#include "tools/common/event_log.hpp"
#include "tools/live/messages.hpp"

namespace exitbrain {

struct UserStreamSettings {
  EndpointUrl private_url;
  std::int64_t keepalive_ms = 30 * 60'000;
  std::int64_t stale_after_ms = 0;  // 0: never stale (account events are rare)
  // Signs the positions query after a reconnect; none: no catching up (tests of the stream).
  const HmacSha256Signer* signer = nullptr;
  std::int64_t recv_window_ms = 5000;
};

class UserStream final : public WsHandler {
 public:
  UserStream(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls,
             RestClient& rest, SymbolTable& symbols, EventLog& event_log,
             SpscQueue<AccountChange>& to_decide, SpscQueue<UserEvent>& to_orders,
             UserStreamSettings settings);
  ~UserStream() override;

  // Creates the listenKey and connects. Returns an error text (empty on success).
  std::string start();
  void stop();

  void on_frame(const char* data, std::size_t len, std::size_t capacity,
                MonoNs received) noexcept override;
  void on_status(const WsStatus& status) override;

  std::uint64_t events() const noexcept { return events_; }
  // The latest connection status (any thread): up after connected / fresh / rotated, down
  // after disconnected / stale, and which it was.
  bool up() const noexcept { return up_.load(std::memory_order_relaxed); }
  WsStatusKind last_status() const noexcept {
    return static_cast<WsStatusKind>(last_status_.load(std::memory_order_relaxed));
  }

 private:
  std::string create_key();
  void connect();
  void keepalive();
  void arm_keepalive();
  // After a reconnect: the positions from REST, passed on where they differ from the last
  // ones the stream passed on.
  void catch_up_positions();
  void pass_on(const AccountChange& c, int position_side);

  boost::asio::io_context& io_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  RestClient& rest_;
  SymbolTable& symbols_;
  EventLog& event_log_;
  SpscQueue<AccountChange>& to_decide_;
  SpscQueue<UserEvent>& to_orders_;
  UserStreamSettings settings_;
  UserDataParser parser_;
  RestResponseParser rest_parser_;
  std::unique_ptr<WsClient> ws_;
  boost::asio::steady_timer keepalive_timer_;
  boost::asio::steady_timer catch_up_timer_;  // a failed catch-up is tried again
  std::string listen_key_;
  bool stopping_ = false;
  // (symbol, positionSide as PositionSideField) -> the last change passed on to decide.
  std::map<std::pair<SymbolId, int>, AccountChange> passed_on_;
  std::uint64_t events_ = 0;
  std::atomic<bool> up_{false};
  std::atomic<std::uint8_t> last_status_{static_cast<std::uint8_t>(WsStatusKind::kDisconnected)};
};

}  // namespace exitbrain
