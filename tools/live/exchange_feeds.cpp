#include "tools/live/exchange_feeds.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cctype>

#include "net/endpoint_url.hpp"
#include "net/ws_client.hpp"
#include "tools/live/io_loop.hpp"

namespace exitbrain {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The profiles positions can end up with: the default one and, for a by-regime default,
// the profiles it hands positions to.
std::vector<Profile> profiles_in_use(const Config& config) {
  std::vector<Profile> out;
  const int def = config.find_profile(config.default_profile);
  if (def < 0) return out;
  out.push_back(config.profiles[static_cast<std::size_t>(def)]);
  if (out.back().by_regime)
    for (const char* name : {"RANGE", "TRENDING", "VOLATILE"})
      if (const int i = config.find_profile(name); i >= 0)
        out.push_back(config.profiles[static_cast<std::size_t>(i)]);
  return out;
}

WsTarget ws_target(const EndpointUrl& u, const std::string& streams) {
  return WsTarget{u.tls, u.host, std::to_string(u.port), u.path + "/stream?streams=" + streams};
}

}  // namespace

ExchangeFeeds::ExchangeFeeds(const Config& config, std::shared_ptr<boost::asio::ssl::context> tls,
                             std::string& error)
    : config_(config), tls_(std::move(tls)) {
  const LiveConfig& live = config.live;
  if (live.symbols.size() > 340) {
    error = "more than 340 symbols need several connections";
    return;
  }
  bool need_last = false, need_mid = false;
  for (const Profile& pf : profiles_in_use(config)) {
    need_last = need_last || pf.trigger_source == TriggerSource::kLast;
    need_mid = need_mid || pf.trigger_source == TriggerSource::kMid;
  }
  for (const std::string& name : live.symbols) {
    const std::string sym = lower(name);
    if (!streams_.empty()) streams_ += '/';
    streams_ += sym + "@" + live.run.mark_stream;
    if (live.run.kline_stream) streams_ += "/" + sym + "@kline_1m";
    if (need_last) streams_ += "/" + sym + "@aggTrade";
    if (need_mid) book_streams_ += (book_streams_.empty() ? "" : "/") + sym + "@bookTicker";
  }
}

void ExchangeFeeds::run(WsHandler& ingest, WaitStrategy wait, const std::atomic<bool>& stop) {
  const ExchangeSettings& ex = config_.live.exchange;
  boost::asio::io_context io;
  WsClientOptions mo;
  mo.where = ws_target(parse_endpoint_url(ex.ws_market_url).url, streams_);
  mo.stale_after_ms = config_.live.run.stale_after_ms;
  WsClient market(io, tls_, mo, ingest);
  std::unique_ptr<WsClient> book;
  if (!book_streams_.empty()) {
    WsClientOptions bo = mo;
    bo.where = ws_target(parse_endpoint_url(ex.ws_public_url).url, book_streams_);
    bo.jitter_seed = 0xb00c;
    book = std::make_unique<WsClient>(io, tls_, bo, ingest);
  }
  market.start();
  if (book) book->start();
  run_io(io, wait, stop, heartbeat_);
  market.stop();
  if (book) book->stop();
}

}  // namespace exitbrain
