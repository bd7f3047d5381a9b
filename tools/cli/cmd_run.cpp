// exitbrain run: manage the exits of live positions (issue 3). Start-up over REST, then the
// pipeline threads until SIGINT / SIGTERM (or --duration-s), then a summary.
#include <algorithm>
#include <boost/asio/ssl/context.hpp>
#include <csignal>
#include <cstdio>
#include <memory>

#include "net/endpoint_url.hpp"
#include "net/secrets.hpp"
#include "net/tls_context.hpp"
#include "tools/cli/commands.hpp"
#include "tools/common/json_line.hpp"
#include "tools/live/pipeline.hpp"
#include "tools/live/startup.hpp"
#include "tools/settings/atr_plan.hpp"
#include "tools/settings/config.hpp"
#include "tools/settings/seed_environment.hpp"
#include "tools/state/state_lock.hpp"

namespace exitbrain::cli {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<EventLog*> g_event_log{nullptr};

extern "C" void request_stop(int) {
  g_stop.store(true);
}

// logrotate's postrotate (or systemctl reload): the events file is opened again.
extern "C" void request_reopen(int) {
  if (EventLog* log = g_event_log.load()) log->request_reopen();
}

struct RunOptions {
  std::string config;
  std::string events;  // JSON lines; empty: stdout
  double duration_s = 0;
};

Secret secret_or_fail(const std::string& env, const std::string& file, const char* what) {
  SecretResult r = load_secret(env, file);
  if (!r.ok()) throw InputError(std::string("[exchange] ") + what + ": " + r.error);
  return std::move(r.secret);
}

void print_summary(const LiveSummary& s, const EventLog& j) {
  std::fprintf(stderr,
               "exitbrain run: %llu market frames (%llu malformed), %llu decisions, %llu exits "
               "decided, %llu exit orders sent, %llu filled, %llu requests, %llu feed "
               "connections, %llu stale alerts, %llu alerts, %llu positions adopted\n",
               static_cast<unsigned long long>(s.market_frames),
               static_cast<unsigned long long>(s.malformed_frames),
               static_cast<unsigned long long>(s.decisions),
               static_cast<unsigned long long>(s.exits_decided),
               static_cast<unsigned long long>(j.exits_sent()),
               static_cast<unsigned long long>(j.exits_filled()),
               static_cast<unsigned long long>(s.requests),
               static_cast<unsigned long long>(s.feed_reconnects),
               static_cast<unsigned long long>(s.stale_alerts),
               static_cast<unsigned long long>(j.alerts()),
               static_cast<unsigned long long>(s.positions_adopted));
  std::fprintf(stderr,
               "hard stops: %llu open positions without one, %llu refused for the account's "
               "conditional-order limit (-4045), %llu other algo orders on the account\n",
               static_cast<unsigned long long>(s.positions_without_hard_stop),
               static_cast<unsigned long long>(s.stop_limit_refusals),
               static_cast<unsigned long long>(s.other_algo_orders));
  if (s.intents_enabled) {
    const IntentStats& i = s.intents;
    std::fprintf(
        stderr,
        "intents: %llu read, %llu executed, %llu observed, %llu expired, %llu refused, "
        "%llu dead-lettered, %llu duplicates, %llu trimmed, %llu replayed, %llu reclaimed, "
        "%llu redis "
        "errors; entries: %llu requested, %llu refused, %llu positions opened; "
        "trade.closed: %llu published, %llu dropped\n",
        static_cast<unsigned long long>(i.read), static_cast<unsigned long long>(i.executed),
        static_cast<unsigned long long>(i.observed), static_cast<unsigned long long>(i.expired),
        static_cast<unsigned long long>(i.refused),
        static_cast<unsigned long long>(i.dead_lettered),
        static_cast<unsigned long long>(i.duplicates), static_cast<unsigned long long>(i.trimmed),
        static_cast<unsigned long long>(i.replayed), static_cast<unsigned long long>(i.reclaimed),
        static_cast<unsigned long long>(i.redis_errors),
        static_cast<unsigned long long>(s.entries_requested),
        static_cast<unsigned long long>(s.entries_refused),
        static_cast<unsigned long long>(s.positions_opened),
        static_cast<unsigned long long>(i.closed_published),
        static_cast<unsigned long long>(i.closed_dropped + s.closed_not_queued));
  }
  std::vector<std::int64_t> lat = j.exit_latencies_ns();
  if (!lat.empty()) {
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double q) {
      return static_cast<double>(
                 lat[static_cast<std::size_t>(q * static_cast<double>(lat.size() - 1))]) /
             1000.0;
    };
    std::fprintf(stderr,
                 "tick-to-order (frame in -> exit order bytes out), %zu exits: min %.1f us, "
                 "p50 %.1f us, p99 %.1f us, max %.1f us\n",
                 lat.size(), pct(0), pct(0.5), pct(0.99), pct(1.0));
  }
  std::string hops;
  for (const HopFigures& h : s.hops) {
    if (h.count == 0) continue;
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s%s %.1f / %.1f", hops.empty() ? "" : ", ", h.name,
                  static_cast<double>(h.p50) / 1000.0, static_cast<double>(h.p99) / 1000.0);
    hops += buf;
  }
  if (!hops.empty())
    std::fprintf(stderr, "pipeline hops, p50 / p99 in us (exits only from to_order_bytes on): %s\n",
                 hops.c_str());
  if (s.shadow.on)
    std::fprintf(stderr,
                 "shadow mode: nothing was sent; it would have sent %llu exits, placed %llu hard "
                 "stops, moved %llu, cancelled %llu, and %llu entries\n",
                 static_cast<unsigned long long>(s.shadow.exits),
                 static_cast<unsigned long long>(s.shadow.stop_placements),
                 static_cast<unsigned long long>(s.shadow.stop_moves),
                 static_cast<unsigned long long>(s.shadow.stop_cancels),
                 static_cast<unsigned long long>(s.shadow.entries));
  std::fprintf(stderr,
               "state journal: %llu records, %llu bytes, %llu snapshots, %llu write errors, "
               "%llu waits for a full ring\n",
               static_cast<unsigned long long>(s.journal_records),
               static_cast<unsigned long long>(s.journal_bytes),
               static_cast<unsigned long long>(s.journal_snapshots),
               static_cast<unsigned long long>(s.journal_errors),
               static_cast<unsigned long long>(s.journal_ring_full));
  if (j.dropped_records())
    std::fprintf(stderr, "warning: %llu event log records dropped (its queue was full)\n",
                 static_cast<unsigned long long>(j.dropped_records()));
}

int run_live(const RunOptions& o) {
  // From the first instant: SIGHUP's default would end the process.
  struct sigaction hup {};
  hup.sa_handler = request_reopen;
  sigemptyset(&hup.sa_mask);
  hup.sa_flags = SA_RESTART;
  sigaction(SIGHUP, &hup, nullptr);
  Config config = load_config(o.config);
  // The seeds' variables (EXIT_EXECUTOR_MODE, EXIT_BRAIN_PROFILE, ...): mapped or warned.
  const std::vector<std::string> env_notes =
      apply_seed_environment(config, o.config, [](const char* n) { return std::getenv(n); });
  for (const std::string& n : env_notes) std::fprintf(stderr, "exitbrain run: %s\n", n.c_str());
  const LiveConfig& live = config.live;
  if (live.symbols.empty())
    throw InputError(o.config + ": [symbols] list: no symbol to manage (list = [\"BTCUSDT\"])");
  const ExchangeSettings& ex = live.exchange;
  const Secret key = secret_or_fail(ex.api_key_env, ex.api_key_file, "api key");
  const Secret secret = secret_or_fail(ex.api_secret_env, ex.api_secret_file, "api secret");

  // One owner per account: the state directory's lock first, before anything is asked of
  // the exchange, let alone traded. Held until this process ends (the kernel drops it).
  StateLock lock;
  if (std::string err = lock.acquire(live.run.state_dir); !err.empty())
    throw InputError("[run] " + err);

  std::shared_ptr<boost::asio::ssl::context> tls;
  const EndpointUrl rest_url = parse_endpoint_url(ex.rest_url).url;
  for (const std::string* u : {&ex.rest_url, &ex.ws_market_url, &ex.ws_private_url}) {
    if (!parse_endpoint_url(*u).url.tls || tls) continue;
    std::string err;
    tls = make_client_tls_context(ex.ca_file, err);
    if (!tls) throw InputError("[exchange] ca_file: " + err);
  }

  SymbolTable symbols;
  for (const std::string& name : live.symbols) (void)symbols.intern(name);
  for (const auto& s : config.symbols) {
    const auto id = symbols.find(s.name);
    if (!id) continue;
    if (s.tick_size) {
      symbols.filters(*id).tick_size = *s.tick_size;
      symbols.filters(*id).tick_known = true;
    }
    if (s.step_size) {
      symbols.filters(*id).step_size = *s.step_size;
      symbols.filters(*id).step_known = true;
    }
  }

  // Start-up.
  RestClientOptions ro;
  ro.api_key = std::string(key.reveal());
  ro.timeout_ms = ex.timeout_ms;
  RestClient rest(HttpTarget{rest_url.tls, rest_url.host, std::to_string(rest_url.port)}, tls, ro);
  if (std::string err = rest.connect(); !err.empty())
    throw std::runtime_error("start-up, connect to " + ex.rest_url + ": " + err);
  const HmacSha256Signer signer(secret.reveal());
  ServerClock clock;
  const int profile = config.find_profile(config.default_profile);
  const AtrPlan plan = plan_atr_specs(config, {profile});
  std::int64_t longest_ms = 60'000;
  int longest_period = 1;
  for (const AtrSpec& a : plan.specs) {
    longest_ms = std::max(longest_ms, a.interval_ms);
    longest_period = std::max(longest_period, a.period);
  }
  const StartupState startup =
      run_startup(rest, signer, clock, symbols, live,
                  live.run.kline_stream ? backfill_minutes(longest_ms, longest_period) : 0);

  std::FILE* out = stdout;
  if (!o.events.empty()) {
    out = std::fopen(o.events.c_str(), "w");
    if (!out) throw InputError("--events " + o.events + ": cannot open for writing");
  }
  EventLog event_log(symbols, out);
  if (out != stdout) event_log.own_file(o.events);
  event_log.start();
  g_event_log = &event_log;
  for (const std::string& n : env_notes)
    event_log.text(R"("event":"environment","note":)" + JsonLine::quote(n));
  event_log.text(R"("event":"started","server_offset_ms":)" + std::to_string(clock.offset_ms()) +
                 R"(,"mode":")" + (startup.mode == PositionMode::kHedge ? "hedge" : "one-way") +
                 R"(","positions":)" + std::to_string(startup.positions.size()));

  LivePipeline pipeline(config, symbols, event_log, std::string(key.reveal()), signer, tls);
  if (std::string err = pipeline.prepare(startup); !err.empty()) {
    event_log.stop();
    g_event_log = nullptr;
    throw InputError("[run] " + err);
  }

  struct sigaction sa {};
  sa.sa_handler = request_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::thread timer;
  if (o.duration_s > 0) {
    timer = std::thread([d = o.duration_s] {
      const auto until =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long>(d * 1000));
      while (!g_stop.load() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      g_stop = true;
    });
  }
  const std::string err = pipeline.run(g_stop, clock, startup.mode);
  g_stop = true;
  if (timer.joinable()) timer.join();
  event_log.stop();
  g_event_log = nullptr;
  if (!err.empty()) throw std::runtime_error(err);
  print_summary(pipeline.summary(), event_log);
  return 0;
}

}  // namespace

void add_run_command(CLI::App& root, int& exit_code) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = root.add_subcommand(
      "run", "Manage the exits of live positions (Binance USD-M futures, or exitbrain-sim)");
  cmd->add_option("--config", o->config,
                  "TOML config: [exchange], [symbols] list, [threads], "
                  "[run], profiles")
      ->required();
  cmd->add_option("--events", o->events, "write the JSON event lines here instead of stdout");
  cmd->add_option("--duration-s", o->duration_s, "stop by itself after this many seconds");
  cmd->callback([o, &exit_code] { exit_code = run_live(*o); });
}

}  // namespace exitbrain::cli
