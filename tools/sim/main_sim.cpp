// exitbrain-sim: a local Binance USD-M compatible exchange on loopback, for tests, the demo
// and fault injection. REST and WebSocket on one port, plain or TLS. See sim_server.hpp.
#include <pthread.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "core/clock.hpp"
#include "core/symbol_table.hpp"
#include "net/exchange_info.hpp"
#include "tools/common/build_version.hpp"
#include "tools/sim/kline_feed.hpp"
#include "tools/sim/market_feed.hpp"
#include "tools/sim/sim_exchange.hpp"
#include "tools/sim/sim_server.hpp"
#include "tools/sim/test_certificates.hpp"

namespace {

using namespace exitbrain;
using namespace exitbrain::sim;

struct Options {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;
  std::string port_file;
  std::string tls_generate;
  std::string tls_cert, tls_key;
  std::vector<std::string> feed_files;
  std::vector<std::string> kline_files;
  std::string synthetic;  // "BTCUSDT:60000,ETHUSDT:3000"
  std::uint64_t seed = 1;
  bool synthetic_book = false, synthetic_trades = false;
  double speed = 1.0;
  double history_minutes = 0;
  double duration_s = 0;
  bool hedge = false;
  std::string api_key_env = "BINANCE_API_KEY";
  std::string api_secret_env = "BINANCE_API_SECRET";
  std::string exchange_info;
  double taker_fee = 0.0004;
  std::size_t max_algo_orders = 200;
  std::vector<std::string> open;  // SYMBOL:LONG|SHORT:QTY
  bool verbose = false;
};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "error: %s\n", what.c_str());
  std::exit(2);
}

std::string env_or_fail(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v || !*v) fail("environment variable " + name + " is not set (the sim checks signatures)");
  return v;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from <= s.size()) {
    const auto comma = s.find(',', from);
    const std::string item = s.substr(from, comma - from);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return out;
}

// Filters for a symbol the exchangeInfo does not list, from the price's magnitude:
// about five significant digits of tick, and a step worth a few dollars or less.
SimSymbol guess_filters(const std::string& name, Decimal price) {
  const double p = std::max(price.to_double(), 1e-8);
  const int mag = static_cast<int>(std::floor(std::log10(p)));
  SimSymbol s;
  s.name = name;
  s.tick_size = Decimal::from_double(std::pow(10.0, std::max(mag - 4, -8))).value_or(Decimal{});
  s.step_size =
      Decimal::from_double(std::pow(10.0, -std::clamp(mag - 1, 0, 3))).value_or(Decimal{});
  s.min_qty = s.step_size;
  s.min_notional = Decimal::from_int(5);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"exitbrain-sim: a local Binance USD-M compatible exchange (REST + WebSocket)"};
  app.set_version_flag("--version", exitbrain::version_line("exitbrain-sim"));
  app.add_option("--bind", o.bind, "address to listen on")->capture_default_str();
  app.add_option("--port", o.port, "port (0: any free port)")->capture_default_str();
  app.add_option("--port-file", o.port_file, "write the port here once listening");
  app.add_option("--tls-generate", o.tls_generate,
                 "serve TLS with a new test CA and certificate written into this directory "
                 "(clients trust DIR/ca.pem)");
  app.add_option("--tls-cert", o.tls_cert, "serve TLS with this PEM certificate chain");
  app.add_option("--tls-key", o.tls_key, "private key of --tls-cert");
  app.add_option("--feed", o.feed_files, "recorded market data (../shared/data/ws formats)");
  app.add_option("--klines", o.kline_files,
                 "recorded 1m kline CSVs (../shared/data/klines): each candle walked as marks");
  app.add_option("--synthetic", o.synthetic,
                 "synthetic market: SYMBOL:START_PRICE[,SYMBOL:START_PRICE...]");
  app.add_option("--seed", o.seed, "seed of the synthetic market")->capture_default_str();
  app.add_flag("--synthetic-book-ticker", o.synthetic_book,
               "the synthetic market also streams <symbol>@bookTicker (bid = mark - tick, ask = "
               "mark + tick)");
  app.add_flag("--synthetic-agg-trades", o.synthetic_trades,
               "the synthetic market also streams <symbol>@aggTrade at the bid or the ask");
  app.add_option("--speed", o.speed, "feed seconds per wall second (0: as fast as possible)")
      ->capture_default_str();
  app.add_option("--history-minutes", o.history_minutes,
                 "the feed's first minutes go into klines only (for exitbrain's backfill)")
      ->capture_default_str();
  app.add_option("--duration-s", o.duration_s, "exit after this many wall seconds (0: never)");
  app.add_flag("--hedge", o.hedge, "start the account in hedge mode (default one-way)");
  app.add_option("--api-key-env", o.api_key_env, "variable holding the accepted API key")
      ->capture_default_str();
  app.add_option("--api-secret-env", o.api_secret_env, "variable holding the API secret")
      ->capture_default_str();
  app.add_option("--exchange-info", o.exchange_info, "saved exchangeInfo body for the filters");
  app.add_option("--taker-fee", o.taker_fee, "taker fee (fraction of notional)")
      ->capture_default_str();
  app.add_option("--max-algo-orders", o.max_algo_orders,
                 "open conditional orders the account may hold (-4045 beyond)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  app.add_option("--open", o.open,
                 "open a position when streaming starts, as a trader would: SYMBOL:LONG|SHORT:QTY");
  app.add_flag("-v,--verbose", o.verbose, "log connections and faults to stderr");
  CLI11_PARSE(app, argc, argv);

  if (int{!o.feed_files.empty()} + int{!o.kline_files.empty()} + int{!o.synthetic.empty()} != 1)
    fail("give exactly one of --feed FILE..., --klines FILE... or --synthetic SYMBOL:PRICE,...");
  if ((o.synthetic_book || o.synthetic_trades) && o.synthetic.empty())
    fail("--synthetic-book-ticker and --synthetic-agg-trades shape the --synthetic market only");

  // The market.
  std::unique_ptr<MarketFeed> feed;
  if (!o.feed_files.empty()) {
    std::string error;
    feed = open_recorded_feed(o.feed_files, &error);
    if (!feed) fail("--feed: " + error);
  } else if (!o.kline_files.empty()) {
    std::string error;
    feed = open_kline_csv_feed(o.kline_files, &error);
    if (!feed) fail("--klines: " + error);
  } else {
    SyntheticFeedOptions so;
    for (const std::string& item : split_list(o.synthetic)) {
      const auto colon = item.find(':');
      double price = 0;
      if (colon != std::string::npos) price = std::atof(item.c_str() + colon + 1);
      if (colon == std::string::npos || !(price > 0))
        fail("--synthetic: '" + item + "' is not SYMBOL:START_PRICE with a positive price");
      so.symbols.emplace_back(item.substr(0, colon), price);
    }
    so.seed = o.seed;
    so.book_ticker = o.synthetic_book;
    so.agg_trades = o.synthetic_trades;
    so.start_ms = wall_clock_ms() - static_cast<TimeMs>(o.history_minutes * 60'000);
    feed = make_synthetic_feed(so);
  }

  // Read ahead to the first mark of every symbol: the filters are guessed from it when no
  // exchangeInfo lists the symbol.
  std::deque<FeedMessage> prefetched;
  std::map<std::string, Decimal> first_mark;
  const auto symbols = feed->symbols();
  while (first_mark.size() < symbols.size() && prefetched.size() < 200'000) {
    auto m = feed->next();
    if (!m) break;
    if (m->is_mark && !first_mark.count(m->symbol)) first_mark[m->symbol] = m->mark;
    prefetched.push_back(std::move(*m));
  }
  if (first_mark.empty()) fail("the feed has no price for any symbol");

  SimAccountConfig account;
  account.api_key = env_or_fail(o.api_key_env);
  account.api_secret = env_or_fail(o.api_secret_env);
  account.hedge_mode = o.hedge;
  account.taker_fee = o.taker_fee;
  account.max_algo_orders = o.max_algo_orders;
  SymbolTable table;
  if (!o.exchange_info.empty()) {
    ExchangeInfoOptions eo;
    eo.intern_all = true;
    const auto r = load_exchange_info_file(o.exchange_info, table, eo);
    if (!r.ok()) fail("--exchange-info " + o.exchange_info + ": " + r.message());
  }
  for (const auto& [name, mark] : first_mark) {
    SimSymbol s = guess_filters(name, mark);
    if (auto id = table.find(name)) {
      const SymbolFilters& f = table.filters(*id);
      s.tick_size = f.tick_size;
      s.step_size = f.step_size;
      if (f.min_qty.is_positive()) s.min_qty = f.min_qty;
      if (f.min_notional.is_positive()) s.min_notional = f.min_notional;
    }
    account.symbols.push_back(s);
    std::fprintf(stderr, "sim: %s tick %s step %s\n", name.c_str(), to_string(s.tick_size).c_str(),
                 to_string(s.step_size).c_str());
  }
  SimExchange exchange(account);

  SimServerOptions so;
  so.bind_address = o.bind;
  so.port = o.port;
  so.speed = o.speed;
  so.history_ms = static_cast<std::int64_t>(o.history_minutes * 60'000);
  so.shift_times = o.synthetic.empty();
  so.verbose = o.verbose;
  if (!o.tls_generate.empty()) {
    CertificatePaths paths;
    if (std::string err = generate_test_certificates(o.tls_generate, paths); !err.empty())
      fail("--tls-generate: " + err);
    so.tls_cert = paths.server_cert;
    so.tls_key = paths.server_key;
  } else if (!o.tls_cert.empty()) {
    so.tls_cert = o.tls_cert;
    so.tls_key = o.tls_key;
  }
  for (const std::string& spec : o.open) so.open_at_start.push_back(spec);

  SimServer server(so, std::move(feed), std::move(prefetched), exchange);
  std::uint16_t port = 0;
  try {
    port = server.listen();
  } catch (const std::exception& e) {
    fail(e.what());
  }
  std::printf("exitbrain-sim listening on %s:%u (%s)\n", o.bind.c_str(), port,
              so.tls_cert.empty() ? "plain" : "tls");
  std::fflush(stdout);
  if (!o.port_file.empty()) {
    const std::string tmp = o.port_file + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::rename(tmp.c_str(), o.port_file.c_str());  // readers never see a half-written file
  }
  // SIGINT / SIGTERM are taken by a thread of their own (sigwait), not by a handler: stopping
  // the io loop is not async-signal-safe.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::thread([&server, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.stop();
  }).detach();
  std::thread timer;
  if (o.duration_s > 0) {
    timer = std::thread([&server, d = o.duration_s] {
      std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(d * 1000)));
      server.stop();
    });
    timer.detach();
  }
  server.run();
  const auto st = server.stats();
  std::printf("exitbrain-sim: %llu market messages, %llu REST requests, %llu websocket sessions\n",
              static_cast<unsigned long long>(st.market_messages),
              static_cast<unsigned long long>(st.http_requests),
              static_cast<unsigned long long>(st.ws_sessions));
  return 0;
}
