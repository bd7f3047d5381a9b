// Operating a running `exitbrain run` against exitbrain-sim over real sockets (issue 13):
// a real Prometheus scrapes /metrics; /health follows the feed and the hard stops; the
// kill switch (exitbrain ctl) halts and flattens; the automatic loss limit halts by
// itself; SIGHUP reopens the events file. What the exchange did is read from the sim's
// own record of every order, not from exitbrain's word.
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>

#include "tests/support/live_loopback.hpp"
#include "tests/support/prometheus_server.hpp"

namespace exitbrain {
namespace {

using namespace live_test;

struct HttpAnswer {
  int status = 0;
  std::string body;
};

class Operations : public LiveLoopback {
 protected:
  // The port of /metrics and /health, from the daemon's "ops" line.
  int ops_port() {
    const std::string line = wait_for_line(events_, {"\"event\":\"ops\"", "\"listen\""}, kWaitMs);
    EXPECT_FALSE(line.empty()) << read_file(events_);
    const std::string at = field(line, "listen");
    return at.empty() ? 0 : std::stoi(at.substr(at.rfind(':') + 1));
  }
  static HttpAnswer http_get(int port, const std::string& path) {
    RestClient c(HttpTarget{false, "127.0.0.1", std::to_string(port)}, nullptr,
                 RestClientOptions{});
    const RestReply& r = c.request(HttpMethod::kGet, path, {}, false);
    return HttpAnswer{r.status, r.body};
  }
  // Polls /health until its body holds every one of `needles`: that answer (a failure
  // and status 0 on timeout).
  HttpAnswer wait_for_health(int port, std::initializer_list<std::string> needles,
                             int timeout_ms = kWaitMs) {
    HttpAnswer last;
    for (int waited = 0; waited < timeout_ms; waited += 50) {
      last = http_get(port, "/health");
      bool all = true;
      for (const std::string& n : needles) all = all && last.body.find(n) != std::string::npos;
      if (all) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "health never showed what was awaited; last: " << last.body;
    return {};
  }
  // The amounts of every TESTUSDT position the sim holds (both sides in hedge mode).
  std::vector<double> amounts() {
    std::vector<double> out;
    const std::string body = sim_get("/sim/positions");
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    EXPECT_FALSE(parser.parse(body).get(doc)) << body;
    simdjson::dom::array arr;
    EXPECT_FALSE(doc["positions"].get(arr)) << body;
    for (auto p : arr) {
      std::string_view amount;
      if (!p["positionAmt"].get(amount)) out.push_back(std::stod(std::string(amount)));
    }
    return out;
  }
  // `exitbrain ctl <command>` against this test's daemon.
  testing::CommandResult ctl(const std::string& command) {
    return testing::run_command((testing::bin_dir() / "exitbrain").string() + " ctl " + command +
                                " --config " + dir_ + "/exitbrain.toml");
  }
  std::string add_intent(RedisConnection& redis, const char* side, const char* stop,
                         const char* target) {
    const std::string now = now_ms_text();
    const std::vector<std::string_view> args = {"XADD",
                                                "quantum:stream:trade.intent",
                                                "*",
                                                "symbol",
                                                "TESTUSDT",
                                                "side",
                                                side,
                                                "confidence",
                                                "0.72",
                                                "entry_price",
                                                "100",
                                                "stop_loss",
                                                stop,
                                                "take_profit",
                                                target,
                                                "position_size_usd",
                                                "100",
                                                "leverage",
                                                "1",
                                                "volatility_factor",
                                                "0.5513",
                                                "timestamp",
                                                now,
                                                "model",
                                                "ensemble",
                                                "reason",
                                                "operations test"};
    const RedisReply r = redis.command(args);
    EXPECT_TRUE(r.ok()) << r.error();
    return std::string(r.value().text());
  }
};

// A real Prometheus scrapes a running daemon: the exit counter after a stop-out and the
// tick-to-order histogram are there to query, and promtool finds nothing to complain
// about in the exposition.
TEST_F(Operations, APrometheusServerScrapesTheExitAndItsLatency) {
  if (testing::prometheus_binary().empty() || testing::promtool_binary().empty())
    GTEST_SKIP() << "prometheus / promtool not installed (tools/install-deps.sh installs them)";
  start("ops_prometheus", Scenario{});
  const double sl = wait_until_protected();
  const int port = ops_port();
  ASSERT_GT(port, 0);

  const HttpAnswer scrape = http_get(port, "/metrics");
  ASSERT_EQ(scrape.status, 200);
  EXPECT_NE(scrape.body.find("exitbrain_positions_without_hard_stop 0"), std::string::npos)
      << scrape.body;
  {
    std::ofstream f(dir_ + "/scrape.txt");
    f << scrape.body;
  }
  const auto lint =
      testing::run_command(testing::promtool_binary() + " check metrics < " + dir_ + "/scrape.txt");
  EXPECT_EQ(lint.exit_code, 0) << lint.output;
  EXPECT_EQ(lint.output, "") << "promtool's lint found problems";

  testing::PrometheusServer prom;
  ASSERT_EQ(prom.start(dir_, "127.0.0.1:" + std::to_string(port)), "");
  breach(sl);
  ASSERT_FALSE(wait_for_line(events_, {"\"event\":\"exit_done\"", "\"ok\":true"}, kWaitMs).empty())
      << read_file(events_);

  // Prometheus's own view, over its HTTP API.
  std::optional<double> exits, latency_count, p50;
  std::string body;
  for (int i = 0; i < 300 && !(exits == 1.0 && latency_count >= 1.0); ++i) {
    exits = prom.query(R"(exitbrain_exits_total{reason="stop_loss"})", &body);
    latency_count = prom.query("exitbrain_tick_to_order_seconds_count");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(exits, 1.0) << body << "\ntarget " << prom.target_health();
  EXPECT_EQ(latency_count, 1.0);
  p50 = prom.query("histogram_quantile(0.5, exitbrain_tick_to_order_seconds_bucket)", &body);
  ASSERT_TRUE(p50.has_value()) << body;
  EXPECT_GT(*p50, 0.0);
  EXPECT_LT(*p50, 1.0) << "a loopback exit within a second";
  EXPECT_EQ(prom.query(R"(exitbrain_order_records_total{record="exit_done",outcome="ok"})"), 1.0);
  EXPECT_EQ(prom.target_health(), "up");
  expect_clean_stop();
}

// /health follows what can cost money: the feed refused, the feed silent, a hard stop
// cancelled by hand on the exchange (and its replacement refused for a while); it says
// failing (HTTP 503) with the reason, and ok again once the fault is over.
TEST_F(Operations, HealthTurnsFailingOnAFeedOutageASilentFeedAndALostHardStopAndBack) {
  Scenario sc;
  sc.extra_run_toml = "stale_after_ms = 1500\nmax_consecutive_errors = 0\n";
  start("ops_health", sc);
  wait_until_protected();
  const int port = ops_port();
  ASSERT_GT(port, 0);
  EXPECT_EQ(wait_for_health(port, {R"("status":"ok")"}).status, 200);

  sim_post("/sim/faults", "refuse_market_ws_ms=3000");
  const HttpAnswer down = wait_for_health(port, {R"("status":"failing")", R"("code":"feed_)"});
  EXPECT_EQ(down.status, 503) << "failing is a 503, so a plain HTTP check sees it";
  wait_for_health(port, {R"("status":"ok")"});

  sim_post("/sim/faults", "silence_ms=4000");
  wait_for_health(port, {R"("status":"failing")", R"("code":"feed_stale")"});
  wait_for_health(port, {R"("status":"ok")"});

  // Someone cancels the stop on the exchange's web page; the new one is refused (503) for
  // as long as the fault lasts.
  sim_post("/sim/faults", "unavailable_503=100000");
  sim_post("/sim/cancel_algo", "symbol=TESTUSDT");
  ASSERT_FALSE(wait_for_line(events_, {"\"alert\":\"hard_stop_lost\""}, kWaitMs).empty())
      << read_file(events_);
  const HttpAnswer naked =
      wait_for_health(port, {R"("status":"failing")", R"("code":"position_without_hard_stop")"});
  EXPECT_NE(naked.body.find(R"("positions_without_hard_stop":1)"), std::string::npos) << naked.body;
  EXPECT_EQ(naked.status, 503);
  sim_post("/sim/faults", "unavailable_503=0");
  wait_for_health(port, {R"("status":"ok")", R"("positions_without_hard_stop":0)"});
  EXPECT_TRUE(wait_for_open_algo_orders(1)) << "exactly one hard stop stands again";
  expect_clean_stop();
}

// The kill switch: `halt` refuses a fresh intent, `flatten` exits every position once (and
// nothing else is sent), `status` and `resume` answer; every command is an event line.
TEST_F(Operations, FlattenExitsEveryPositionOnceAndHaltRefusesAFreshIntent) {
  Scenario sc;
  sc.hedge = true;
  sc.sim_args = {"--open", "TESTUSDT:SHORT:4"};
  sc.redis_toml =
      "entries = \"execute\"\nmax_order_notional_usd = 5000\nmax_total_notional_usd = 5000\n"
      "block_ms = 50\nstatus_interval_ms = 500\n";
  start("ops_flatten", sc);
  ASSERT_TRUE(wait_for_open_algo_orders(2)) << read_file(events_);
  ASSERT_FALSE(wait_for_line(events_, {"\"event\":\"redis\"", "connected"}, kWaitMs).empty());

  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/state/control.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the control socket is the daemon's user's only";

  auto r = ctl("halt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(R"("entries":"halted")"), std::string::npos) << r.output;
  RedisConnection redis(redis_options());
  ASSERT_EQ(redis.connect(), "");
  add_intent(redis, "BUY", "99.5", "101");
  const std::string refused =
      wait_for_line(events_, {"\"alert\":\"entry_refused\"", "halted"}, kWaitMs);
  EXPECT_FALSE(refused.empty()) << read_file(events_);

  const auto before = orders();
  EXPECT_TRUE(only(before, "POST /fapi/v1/order").empty()) << "no entry, no exit so far";

  r = ctl("flatten");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(R"("exits":2)"), std::string::npos) << r.output;
  for (int i = 0; i < kWaitMs / 50 && open_algo_orders() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(open_algo_orders(), 0) << "the hard stops go once the positions are flat";
  const std::vector<double> left = amounts();
  EXPECT_EQ(left.size(), 2u);
  for (double a : left) EXPECT_EQ(a, 0.0) << "flat on both sides";

  const auto all = orders();
  const auto exits = only(all, "POST /fapi/v1/order");
  ASSERT_EQ(exits.size(), 2u) << "one exit per position, nothing else";
  std::set<std::string> sides, ids;
  for (const OrderEntry& e : exits) {
    EXPECT_EQ(e.outcome, "FILLED");
    EXPECT_EQ(e.reduce_only, "") << "hedge mode: the position side closes, no reduceOnly";
    EXPECT_EQ(e.client_id.rfind("xbx-", 0), 0u) << e.client_id;
    sides.insert(e.position_side);
    ids.insert(e.client_id);
    EXPECT_EQ(e.quantity, e.position_side == "LONG" ? "10" : "4");
  }
  EXPECT_EQ(sides, (std::set<std::string>{"LONG", "SHORT"}));
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(only(all, "POST /fapi/v1/algoOrder").size(), 2u) << "no stop placed anew";
  // The event log writes its lines up to 50 ms late.
  for (int i = 0; i < 100 && count_events(R"("reason":"flatten")") < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(count_events(R"("event":"exit",)"), 2);
  EXPECT_EQ(count_events(R"("reason":"flatten")"), 2);

  r = ctl("status");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(R"("entries":"halted")"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(R"("halted_by":"operator")"), std::string::npos) << r.output;
  r = ctl("resume");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(R"("entries":"allowed")"), std::string::npos) << r.output;
  for (int i = 0; i < 100 && (count_events(R"("event":"control")") < 3 ||
                              count_events(R"("event":"ctl","command":"resume")") < 1);
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (const char* c : {"halt", "flatten", "status", "resume"})
    EXPECT_EQ(count_events(std::string(R"("event":"ctl","command":")") + c + "\""), 1) << c;
  EXPECT_EQ(count_events(R"("event":"control")"), 3);
  expect_clean_stop();
}

// The daily realised-loss limit halts entries by itself, with an alert, and a restart keeps
// the halt (the decide stage's state is journalled).
TEST_F(Operations, TheDailyLossLimitHaltsEntriesByItselfAndARestartKeepsIt) {
  Scenario sc;
  sc.extra_run_toml = "daily_loss_limit = 0.5\n";
  start("ops_loss_limit", sc);
  const double sl = wait_until_protected();
  const int port = ops_port();
  breach(sl);
  const std::string alert = wait_for_line(events_, {"\"alert\":\"daily_loss_limit\""}, kWaitMs);
  ASSERT_FALSE(alert.empty()) << read_file(events_);
  EXPECT_NE(alert.find(R"("action":"halt")"), std::string::npos) << alert;
  EXPECT_FALSE(
      wait_for_line(events_, {"\"event\":\"control\"", "\"source\":\"daily_loss_limit\""}, kWaitMs)
          .empty());
  wait_for_health(port, {R"("code":"entries_halted")", "daily_loss_limit"});
  const std::string before = field(ctl("status").output, "realised_pnl_today");
  ASSERT_FALSE(before.empty());
  EXPECT_LT(std::stod(before), -0.5);
  expect_clean_stop();

  // The restart restores both the halt and the day's realised PnL from the journal, and
  // does not fire the limit again.
  restart_run("after_restart");
  ASSERT_FALSE(wait_for_line(events_, {"\"event\":\"running\""}, kWaitMs).empty())
      << read_file(dir_ + "/after_restart.log");
  const auto r = ctl("status");
  EXPECT_NE(r.output.find(R"("halted_by":"daily_loss_limit")"), std::string::npos) << r.output;
  EXPECT_EQ(field(r.output, "realised_pnl_today"), before) << r.output;
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // limit ticks every 250 ms
  EXPECT_EQ(count_events("\"alert\":\"daily_loss_limit\""), 0) << "the restart's own log";
  expect_clean_stop();
}

// logrotate moves the events file away and sends SIGHUP: the daemon goes on in a new file
// at the same path, and nothing is lost between the two.
TEST_F(Operations, SighupReopensTheEventsFileAtItsPath) {
  start("ops_sighup", Scenario{});
  wait_until_protected();
  std::filesystem::rename(events_, events_ + ".1");
  ASSERT_EQ(::kill(run_.pid(), SIGHUP), 0);
  ASSERT_FALSE(wait_for_line(events_, {"\"event\":\"event_log_reopened\""}, kWaitMs).empty());
  EXPECT_NE(read_file(events_ + ".1").find("\"event\":\"hard_stop_placed\""), std::string::npos);
  const auto r = ctl("status");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(wait_for_line(events_, {"\"event\":\"ctl\""}, kWaitMs).empty())
      << "new lines go to the new file";
  expect_clean_stop();
}

// Shadow mode beside the exit system in use: the real account and market feed the engine,
// it decides, journals and says what it would have done, and the exchange receives no
// order at all, not even a hard stop. A seeds' variable that disagrees with the file stops
// the start, naming both.
TEST_F(Operations, ShadowModeDecidesAndSaysSoAndTheExchangeReceivesNothing) {
  Scenario sc;
  sc.extra_run_toml = "mode = \"shadow\"\n";
  start("ops_shadow", sc);
  const std::string levels =
      wait_for_line(events_, {"\"event\":\"levels\"", "\"provisional\":false"}, kWaitMs);
  ASSERT_FALSE(levels.empty()) << read_file(dir_ + "/run.log") << read_file(events_);
  const std::string would_stop =
      wait_for_line(events_, {"\"event\":\"shadow\"", "\"would\":\"place_hard_stop\""}, kWaitMs);
  ASSERT_FALSE(would_stop.empty()) << read_file(events_);
  EXPECT_LT(std::stod(field(would_stop, "trigger")), std::stod(field(levels, "sl")))
      << "a LONG's stop below the engine's";
  const int port = ops_port();
  const HttpAnswer m = http_get(port, "/metrics");
  EXPECT_NE(m.body.find("exitbrain_shadow_mode 1"), std::string::npos);
  EXPECT_NE(m.body.find(R"(mode="shadow")"), std::string::npos);
  EXPECT_NE(http_get(port, "/health").body.find(R"("mode":"shadow")"), std::string::npos);

  breach(std::stod(field(levels, "sl")));
  const std::string would_exit =
      wait_for_line(events_, {"\"event\":\"shadow\"", "\"would\":\"exit\""}, kWaitMs);
  ASSERT_FALSE(would_exit.empty()) << read_file(events_);
  EXPECT_EQ(field(would_exit, "qty"), "10");
  EXPECT_EQ(field(would_exit, "reason"), "stop_loss");
  expect_clean_stop();

  // The exchange's own record: no order, no algo order, no leverage change from exitbrain.
  for (const OrderEntry& o : orders())
    EXPECT_EQ(o.endpoint.rfind("SIM ", 0), 0u) << "sent in shadow mode: " << o.endpoint;
  EXPECT_EQ(open_algo_orders(), 0);
  EXPECT_DOUBLE_EQ(position_amount(), 10.0) << "the position is untouched";
  EXPECT_NE(read_file(dir_ + "/run.log")
                .find("shadow mode: nothing was sent; it would have sent 1 "
                      "exits, placed 1 hard stops"),
            std::string::npos)
      << read_file(dir_ + "/run.log");

  ::setenv("EXIT_EXECUTOR_MODE", "LIVE", 1);
  const int code = run_another(dir_ + "/exitbrain.toml", "env_conflict");
  ::unsetenv("EXIT_EXECUTOR_MODE");
  EXPECT_EQ(code, 2);
  EXPECT_NE(read_file(dir_ + "/env_conflict.log")
                .find("EXIT_EXECUTOR_MODE=LIVE (mode live) conflicts with " + dir_ +
                      "/exitbrain.toml: [run] mode (mode shadow)"),
            std::string::npos)
      << read_file(dir_ + "/env_conflict.log");
}

// `exitbrain validate` against a healthy deployment passes every check; with the hard stop
// cancelled by hand (its replacement refused) and Redis stopped, it names exactly those.
TEST_F(Operations, ValidatePassesAHealthyDeploymentAndNamesWhatIsBroken) {
  Scenario sc;
  sc.open_position = false;
  sc.redis_toml =
      "entries = \"execute\"\nmax_order_notional_usd = 5000\nmax_total_notional_usd = 5000\n"
      "block_ms = 50\nstatus_interval_ms = 500\n";
  sc.extra_run_toml = "max_consecutive_errors = 0\n";
  start("ops_validate", sc);
  ASSERT_FALSE(wait_for_line(events_, {"\"event\":\"redis\"", "connected"}, kWaitMs).empty());
  RedisConnection redis(redis_options());
  ASSERT_EQ(redis.connect(), "");
  add_intent(redis, "BUY", "99.5", "101");
  ASSERT_FALSE(wait_for_line(events_, {"\"event\":\"position_opened\""}, kWaitMs).empty())
      << read_file(events_);
  wait_until_protected();
  wait_for_health(ops_port(), {R"("status":"ok")"});
  // A heartbeat of the consumer after the intent, so it reads as alive.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));

  const std::string validate = (testing::bin_dir() / "exitbrain").string() +
                               " validate --lag-wait-ms 200 --config " + dir_ + "/exitbrain.toml";
  auto healthy = testing::run_command(validate);
  EXPECT_EQ(healthy.exit_code, 0) << healthy.output;
  EXPECT_EQ(healthy.output.find("FAIL"), std::string::npos) << healthy.output;
  for (const char* check : {"config", "secrets", "exchange", "clock", "api_key", "position_mode",
                            "hard_stop TESTUSDT LONG", "daemon", "health", "redis", "intent_stream",
                            "intent_lag", "intent_consumer", "adaptive_levels", "ilf_metadata"})
    EXPECT_NE(healthy.output.find(std::string("PASS  ") + check), std::string::npos)
        << check << "\n"
        << healthy.output;
  EXPECT_NE(healthy.output.find("one stop of ours, xbs-"), std::string::npos) << healthy.output;
  EXPECT_EQ(healthy.output.find("loopback-test-secret-never-printed"), std::string::npos);

  // Broken: the stop cancelled on the exchange's page (its replacement refused), Redis gone.
  sim_post("/sim/faults", "unavailable_503=100000");
  sim_post("/sim/cancel_algo", "symbol=TESTUSDT");
  ASSERT_TRUE(wait_for_open_algo_orders(0));
  redis_.stop();
  auto broken = testing::run_command(validate);
  EXPECT_EQ(broken.exit_code, 1) << broken.output;
  for (const char* check :
       {"FAIL  hard_stop TESTUSDT LONG", "FAIL  redis", "FAIL  intent_stream", "FAIL  health"})
    EXPECT_NE(broken.output.find(check), std::string::npos) << check << "\n" << broken.output;
  EXPECT_NE(broken.output.find("no hard stop of ours protects this position of 20"),
            std::string::npos)
      << broken.output;
  for (const char* still : {"PASS  exchange", "PASS  daemon", "PASS  position_mode"})
    EXPECT_NE(broken.output.find(still), std::string::npos) << still << "\n" << broken.output;
  sim_post("/sim/faults", "unavailable_503=0");
  EXPECT_TRUE(wait_for_open_algo_orders(1)) << "the stop is back once the exchange takes it";
  expect_clean_stop();
}

// systemd's notify protocol, with a notify socket of the test's own in place of systemd's:
// READY=1 once reconciled and streaming, WATCHDOG=1 at a quarter of WATCHDOG_USEC while the
// pipeline threads go round, STOPPING=1 on SIGTERM.
TEST_F(Operations, UnderSystemdItSaysReadyFeedsTheWatchdogAndSaysStopping) {
  const std::string sock_dir = testing::make_test_dir("live_loopback/ops_notify_socket");
  const std::string path = sock_dir + "/notify";
  std::filesystem::remove(path);
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "400000", 1);
  start("ops_notify", Scenario{});
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");

  // systemd reads every message at once; so does this reader (a full socket would block
  // the sender, as it would with systemd stuck).
  std::mutex mu;
  std::vector<std::string> messages;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[512];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      std::lock_guard<std::mutex> l(mu);
      if (n > 0) messages.emplace_back(buf, static_cast<std::size_t>(n));
    }
  });
  auto count = [&](const std::string& what) {
    std::lock_guard<std::mutex> l(mu);
    int n = 0;
    for (const std::string& m : messages) n += m.find(what) != std::string::npos;
    return n;
  };
  auto wait_for = [&](const std::string& what) {
    for (int i = 0; i < kWaitMs / 20 && count(what) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return count(what) > 0;
  };
  EXPECT_TRUE(wait_for("READY=1")) << read_file(events_);
  wait_until_protected();
  const int before = count("WATCHDOG=1");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_GE(count("WATCHDOG=1") - before, 3) << "a ping every 100 ms while the pipeline is alive";
  EXPECT_FALSE(
      wait_for_line(events_, {"\"event\":\"ready\"", "\"systemd\":true"}, kWaitMs).empty());
  EXPECT_FALSE(wait_for_line(events_, {"\"systemd_watchdog_ms\":400"}, kWaitMs).empty());
  expect_clean_stop();
  EXPECT_TRUE(wait_for("STOPPING=1"));
  done = true;
  reader.join();
  ::close(fd);
}

}  // namespace
}  // namespace exitbrain
