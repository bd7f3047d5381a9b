#pragma once
// The loopback fixture of the live tests (test_live_loopback.cpp, test_operations.cpp):
// exitbrain-sim and `exitbrain run` as separate processes on real sockets, the sim's own
// record of every order to check against, and a real redis-server when a scenario asks.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "net/redis_client.hpp"
#include "net/rest_client.hpp"
#include "net/tls_context.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_files.hpp"
#include "tools/process/child_process.hpp"

namespace exitbrain::live_test {

using testing::read_file;
using testing::wait_for_line;

inline constexpr int kWaitMs = 30'000;

// 100 minutes of one-second marks around 100 (a slow swing plus a sawtooth, so the ATR is
// neither zero nor large). The sim plays the first 90 minutes as history (klines for the
// backfill) and streams the rest in real time.
inline void write_feed(const std::string& path) {
  std::ofstream out(path);
  const long long t0 = 1'771'000'000'000;
  for (int s = 0; s < 100 * 60; ++s) {
    const double p = 100.0 + 0.4 * std::sin(s / 300.0) + 0.05 * (s % 60) / 60.0;
    char price[32];
    std::snprintf(price, sizeof price, "%.2f", p);
    out << R"({"e":"markPriceUpdate","E":)" << t0 + s * 1000LL << R"(,"s":"TESTUSDT","p":")"
        << price << R"(","i":")" << price << R"(","P":")" << price
        << R"(","r":"0.00010000","T":1771027200000})"
        << "\n";
  }
}

// The value of a numeric field in a JSON line ("" if absent).
inline std::string field(const std::string& line, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  const auto at = line.find(k);
  if (at == std::string::npos) return {};
  auto end = line.find_first_of(",}", at + k.size());
  std::string v = line.substr(at + k.size(), end - at - k.size());
  if (!v.empty() && v.front() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

// One request in the sim's record of order-endpoint requests (GET /sim/orders).
struct OrderEntry {
  std::string endpoint, client_id, outcome, reduce_only, position_side, close_position, quantity,
      leverage;
  std::int64_t http_status = 0, code = 0;
};

struct Scenario {
  bool tls = false;
  bool hedge = false;
  std::string extra_run_toml;
  std::string top_toml;               // before the tables: default_profile, [profile.X] come after
  bool open_position = true;          // the sim opens TESTUSDT:LONG:10 before exitbrain starts
  std::string redis_toml;             // the [redis] table's keys (url added); empty: no [redis]
  std::vector<std::string> sim_args;  // more exitbrain-sim options
  std::string ops_toml;               // more [ops] keys
};

class LiveLoopback : public ::testing::Test {
 protected:
  void start(const std::string& name, const Scenario& sc) {
    // The daemon's control socket is <dir>/state/control.sock, and a Unix socket path has
    // 107 bytes: CI's checkout (/check/work/main/build-sanitize/...) leaves a name 28.
    ASSERT_LE(name.size(), 28u) << name << ": a shorter name, or the control socket won't bind";
    dir_ = testing::make_test_dir("live_loopback/" + name);
    ::setenv("BINANCE_API_KEY", "loopback-test-key", 1);
    ::setenv("BINANCE_API_SECRET", "loopback-test-secret-never-printed", 1);
    write_feed(dir_ + "/feed.jsonl");
    std::vector<std::string> sim = {(testing::bin_dir() / "exitbrain-sim").string(),
                                    "--feed",
                                    dir_ + "/feed.jsonl",
                                    "--history-minutes",
                                    "90",
                                    "--port-file",
                                    dir_ + "/port",
                                    "-v"};
    if (sc.open_position) {
      sim.push_back("--open");
      sim.push_back("TESTUSDT:LONG:10");
    }
    if (sc.hedge) sim.push_back("--hedge");
    sim.insert(sim.end(), sc.sim_args.begin(), sc.sim_args.end());
    if (sc.tls) {
      sim.push_back("--tls-generate");
      sim.push_back(dir_);
    }
    sim_.start(sim, dir_ + "/sim.log");
    if (sc.open_position)
      ASSERT_FALSE(wait_for_line(dir_ + "/sim.log", {"opened TESTUSDT"}, kWaitMs).empty())
          << read_file(dir_ + "/sim.log");
    else
      for (int i = 0; i < 500 && read_file(dir_ + "/port").empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    port_ = std::stoi(read_file(dir_ + "/port"));
    const std::string host = sc.tls ? "localhost" : "127.0.0.1";
    const std::string http = sc.tls ? "https://" : "http://";
    const std::string ws = sc.tls ? "wss://" : "ws://";
    const std::string at = host + ":" + std::to_string(port_);
    std::ofstream cfg(dir_ + "/exitbrain.toml");
    cfg << sc.top_toml << "[exchange]\nrest_url = \"" << http << at << "\"\nws_market_url = \""
        << ws << at << "/market\"\nws_public_url = \"" << ws << at
        << "/public\"\nws_private_url = \"" << ws << at << "/private\"\n";
    if (sc.tls) cfg << "ca_file = \"" << dir_ << "/ca.pem\"\n";
    cfg << "\n[symbols]\nlist = [\"TESTUSDT\"]\n\n[run]\nhard_stop_min_interval_ms = 0\n"
        << sc.extra_run_toml << "\n";
    // Tests run side by side: /metrics and /health on a free port each (the "ops" line).
    cfg << "[ops]\nlisten = \"127.0.0.1:0\"\n" << sc.ops_toml << "\n";
    if (!sc.redis_toml.empty()) {
      ASSERT_EQ(redis_.start(dir_), "");
      cfg << "[redis]\nurl = \"" << redis_.url() << "\"\n" << sc.redis_toml << "\n";
    }
    cfg.close();
    events_ = dir_ + "/events.jsonl";
    run_.start({(testing::bin_dir() / "exitbrain").string(), "run", "--config",
                dir_ + "/exitbrain.toml", "--events", events_},
               dir_ + "/run.log");
    std::string err;
    if (sc.tls) tls_ = make_client_tls_context(dir_ + "/ca.pem", err);
    control_ = std::make_unique<RestClient>(HttpTarget{sc.tls, host, std::to_string(port_)}, tls_,
                                            RestClientOptions{});
  }

  void TearDown() override {
    if (run_.running()) run_.stop();
    if (sim_.running()) sim_.stop();
    // Secrets never reach a log or the event lines.
    for (const char* f : {"/run.log", "/events.jsonl", "/sim.log"})
      EXPECT_EQ(read_file(dir_ + f).find("loopback-test-secret-never-printed"), std::string::npos)
          << f;
  }

  std::string sim_get(const std::string& path) {
    const RestReply& r = control_->request(HttpMethod::kGet, path, {}, false);
    EXPECT_EQ(r.status, 200) << path << ": " << r.error << r.body;
    return r.body;
  }
  // The take-profit prices of the levels line.
  std::vector<double> take_profits() const {
    std::vector<double> out;
    const auto at = levels_line_.find("\"tp\":[");
    if (at == std::string::npos) return out;
    std::string list = levels_line_.substr(at + 6, levels_line_.find(']', at) - at - 6);
    std::size_t from = 0;
    while (from < list.size()) {
      const auto comma = list.find(',', from);
      out.push_back(std::stod(list.substr(from, comma - from)));
      if (comma == std::string::npos) break;
      from = comma + 1;
    }
    return out;
  }
  // A mark that stands: the sim's streamed marks carry it from now on, so one arriving
  // between two steps of a test cannot undo a step (the feed sits just under the entry, where
  // it would hit a stop that the last step pulled up).
  void mark(double price) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", price);
    sim_post("/sim/mark", std::string("symbol=TESTUSDT&price=") + text + "&hold=1");
  }
  // Lines of the events file that contain `needle`.
  int count_events(const std::string& needle) const {
    const std::string all = read_file(events_);
    int n = 0;
    for (auto at = all.find(needle); at != std::string::npos; at = all.find(needle, at + 1)) ++n;
    return n;
  }

  void sim_post(const std::string& path, const std::string& query) {
    const RestReply& r = control_->request(HttpMethod::kPost, path, query, false);
    ASSERT_EQ(r.status, 200) << path << "?" << query << ": " << r.error << r.body;
  }

  // Waits for the engine's levels and the exchange-side stop behind them; returns the
  // engine's stop.
  double wait_until_protected() {
    const std::string levels =
        wait_for_line(events_, {"\"event\":\"levels\"", "\"provisional\":false"}, kWaitMs);
    levels_line_ = levels;
    EXPECT_FALSE(levels.empty()) << read_file(dir_ + "/run.log") << read_file(events_);
    const std::string placed =
        wait_for_line(events_, {"\"event\":\"hard_stop_placed\"", "\"ok\":true"}, kWaitMs);
    EXPECT_FALSE(placed.empty()) << read_file(events_);
    return levels.empty() ? 0.0 : std::stod(field(levels, "sl"));
  }

  // No position at the start; once running, the user stream is dropped (with `faults` too)
  // and a trader opens LONG 10. The drop and the opening reach the simulator in one
  // housekeeping turn or two: either way the opening's events go to no connection.
  void open_while_the_user_stream_drops(const std::string& name, const std::string& faults) {
    Scenario sc;
    sc.open_position = false;
    start(name, sc);
    ASSERT_FALSE(
        wait_for_line(events_, {"\"event\":\"user_stream\"", "\"state\":\"connected\""}, kWaitMs)
            .empty())
        << read_file(events_);
    ASSERT_FALSE(wait_for_line(events_, {"\"event\":\"running\""}, kWaitMs).empty())
        << read_file(events_);
    sim_post("/sim/faults", faults + "drop_user_ws=1");
    sim_post("/sim/open", "symbol=TESTUSDT&side=LONG&qty=10");
  }
  // Once the position is protected and its hard stop stands (journalled), exitbrain is
  // killed with SIGKILL; `trigger` is the stop's.
  void kill_behind_its_hard_stop(double& trigger) {
    wait_until_protected();
    const std::string placed =
        wait_for_line(events_, {"\"event\":\"hard_stop_placed\"", "\"ok\":true"}, kWaitMs);
    ASSERT_FALSE(placed.empty()) << read_file(events_);
    trigger = std::stod(field(placed, "price"));
    ASSERT_TRUE(wait_for_open_algo_orders(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the journal's last batch
    EXPECT_EQ(run_.kill(), -SIGKILL);
  }
  // The engine's 10 with 4 a trader added, exited in full (the engine exits its own size):
  // returns once the exit is done, the 4 left on the exchange.
  void exit_in_full_leaving_four() {
    const double sl = wait_until_protected();
    ASSERT_GT(sl, 0.0) << "no levels, no stop to breach";
    sim_post("/sim/open", "symbol=TESTUSDT&side=LONG&qty=4");
    ASSERT_DOUBLE_EQ(position_amount(), 14.0);
    breach(sl);
    ASSERT_FALSE(
        wait_for_line(events_, {"\"event\":\"exit_done\"", "\"ok\":true"}, kWaitMs).empty())
        << read_file(events_);
  }
  // The restart after a kill that left the exited position's stop standing: it is kept as
  // that position's (adopted, not left to nobody).
  void restart_keeping_the_exited_stop() {
    restart_run("events2");
    const std::string rec = wait_for_line(events_, {"\"event\":\"reconciled\""}, kWaitMs);
    ASSERT_FALSE(rec.empty()) << read_file(events_);
    EXPECT_EQ(field(rec, "stops_adopted"), "1") << rec;
    EXPECT_EQ(field(rec, "stops_left"), "0") << rec;
  }
  // A mark just through the engine's stop, above the hard stop's trigger.
  void breach(double sl) {
    char price[32];
    std::snprintf(price, sizeof price, "%.2f", sl - 0.01);
    sim_post("/sim/mark", std::string("symbol=TESTUSDT&price=") + price);
  }

  std::vector<OrderEntry> orders() {
    std::vector<OrderEntry> out;
    const std::string body = sim_get("/sim/orders");
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    EXPECT_FALSE(parser.parse(body).get(doc)) << body;
    simdjson::dom::array arr;
    EXPECT_FALSE(doc.get(arr)) << body;
    for (auto e : arr) {
      OrderEntry o;
      std::string_view sv;
      if (!e["endpoint"].get(sv)) o.endpoint = sv;
      if (!e["outcome"].get(sv)) o.outcome = sv;
      EXPECT_FALSE(e["http_status"].get(o.http_status));
      EXPECT_FALSE(e["code"].get(o.code));
      simdjson::dom::object params;
      if (!e["params"].get(params)) {
        if (!params["newClientOrderId"].get(sv)) o.client_id = sv;
        if (!params["clientAlgoId"].get(sv)) o.client_id = sv;
        if (!params["reduceOnly"].get(sv)) o.reduce_only = sv;
        if (!params["positionSide"].get(sv)) o.position_side = sv;
        if (!params["closePosition"].get(sv)) o.close_position = sv;
        if (!params["quantity"].get(sv)) o.quantity = sv;
        if (!params["leverage"].get(sv)) o.leverage = sv;
      }
      out.push_back(o);
    }
    return out;
  }
  static std::vector<OrderEntry> only(const std::vector<OrderEntry>& all, const char* endpoint) {
    std::vector<OrderEntry> out;
    for (const auto& o : all)
      if (o.endpoint == endpoint) out.push_back(o);
    return out;
  }

  // A client of the test's redis-server.
  RedisOptions redis_options() const {
    RedisOptions o;
    o.url.port = redis_.port();
    return o;
  }
  // A TESTUSDT intent on trade.intent, stamped now (margin 100 at 100): true if added.
  bool add_intent(const std::string& side, const std::string& stop) {
    RedisConnection redis(redis_options());
    if (!redis.connect().empty()) return false;
    const std::string now = now_ms_text();
    return redis
        .command({"XADD", "quantum:stream:trade.intent", "*", "symbol", "TESTUSDT", "side", side,
                  "confidence", "0.72", "entry_price", "100", "stop_loss", stop,
                  "position_size_usd", "100", "volatility_factor", "0.5513", "timestamp", now})
        .ok();
  }
  // The rows of trade.closed as field maps, once at least `at_least` are there (or kWaitMs
  // passed), and after `settle_ms` more for one that should not come.
  std::vector<std::map<std::string, std::string>> closed_trades(std::size_t at_least,
                                                                int settle_ms = 300) {
    RedisConnection redis(redis_options());
    EXPECT_EQ(redis.connect(), "");
    auto rows = [&] {
      return redis.command({"XRANGE", "quantum:stream:trade.closed", "-", "+"}).value().size();
    };
    for (int i = 0; i < kWaitMs / 20 && rows() < at_least; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::this_thread::sleep_for(std::chrono::milliseconds(settle_ms));
    std::vector<std::map<std::string, std::string>> out;
    const RedisReply all = redis.command({"XRANGE", "quantum:stream:trade.closed", "-", "+"});
    for (std::size_t r = 0; r < all.value().size(); ++r) {
      std::map<std::string, std::string> row;
      const RedisValue f = all.value()[r][1];
      for (std::size_t k = 0; k + 1 < f.size(); k += 2)
        row[std::string(f[k].text())] = std::string(f[k + 1].text());
      out.push_back(std::move(row));
    }
    return out;
  }
  // The wall clock in epoch ms, as a producer stamps an intent.
  static std::string now_ms_text() {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
  }

  void expect_clean_stop() { EXPECT_EQ(run_.stop(), 0) << read_file(dir_ + "/run.log"); }

  // The same `exitbrain run` again, on the same config and state directory, writing to a
  // new events file (the previous one stays readable as `previous`).
  void restart_run(const std::string& name) {
    previous_events_ = events_;
    events_ = dir_ + "/" + name + ".jsonl";
    run_.start({(testing::bin_dir() / "exitbrain").string(), "run", "--config",
                dir_ + "/exitbrain.toml", "--events", events_},
               dir_ + "/" + name + ".log");
  }
  // The engine's decision lines (levels, sl_moved, exit) of an events file, in order.
  static std::vector<std::string> decision_lines(const std::string& path) {
    std::vector<std::string> out;
    std::istringstream in(read_file(path));
    for (std::string line; std::getline(in, line);)
      if (line.find("\"event\":\"levels\"") != std::string::npos ||
          line.find("\"event\":\"sl_moved\"") != std::string::npos ||
          line.find("\"event\":\"exit\",") != std::string::npos)
        out.push_back(line);
    return out;
  }
  // `exitbrain replay --journal` over this test's state directory: its decision lines.
  std::vector<std::string> replayed_decisions() {
    const std::string out = dir_ + "/replay.jsonl";
    const auto r =
        testing::run_command((testing::bin_dir() / "exitbrain").string() + " replay --journal " +
                             dir_ + "/state --config " + dir_ + "/exitbrain.toml --out " + out);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return decision_lines(out);
  }
  // Protected, then the mark at the first target (after `fault`, if any, is switched on):
  // waits for the engine's leg-0 exit.
  void take_first_leg(const std::string& fault = "") {
    wait_until_protected();
    const std::vector<double> tp = take_profits();
    ASSERT_GE(tp.size(), 2u) << levels_line_;
    if (!fault.empty()) sim_post("/sim/faults", fault);
    mark(tp[0]);
    ASSERT_FALSE(wait_for_line(events_, {"\"event\":\"exit\"", "\"leg\":0,"}, kWaitMs).empty())
        << read_file(events_);
  }
  // Another `exitbrain run` on `config`, run until it ends by itself (within 10 s): its
  // exit code; its output is in <dir>/<name>.log.
  int run_another(const std::string& config, const std::string& name) {
    ChildProcess other("exitbrain run " + name);
    other.start({(testing::bin_dir() / "exitbrain").string(), "run", "--config", config, "--events",
                 dir_ + "/" + name + ".jsonl"},
                dir_ + "/" + name + ".log");
    for (int i = 0; i < 500 && other.running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(other.running()) << name << " did not end by itself";
    if (other.running()) other.kill();
    return other.exit_code();
  }
  // Replays the sim's record of stop placements and cancels: some stop of ours stood at
  // every moment after the first (each cancel left another standing). The stops standing at
  // the end; `cancels`: how many were cancelled.
  std::set<std::string> expect_a_stop_at_every_moment(int* cancels = nullptr) {
    std::set<std::string> standing;
    int n = 0;
    for (const auto& o : orders()) {
      if (o.endpoint == "POST /fapi/v1/algoOrder" && o.code == 0) standing.insert(o.client_id);
      if (o.endpoint == "DELETE /fapi/v1/algoOrder" && o.code == 0) {
        standing.erase(o.client_id);
        ++n;
        EXPECT_FALSE(standing.empty()) << "no stop left after cancelling " << o.client_id;
      }
    }
    if (cancels) *cancels = n;
    return standing;
  }
  // The sim's count of open algo orders (its own record, not exitbrain's word).
  int open_algo_orders() { return std::stoi(field(sim_get("/sim/positions"), "openAlgoOrders")); }
  // Polls the sim until it holds `n` open algo orders: true if it did within kWaitMs.
  bool wait_for_open_algo_orders(int n) {
    for (int i = 0; i < kWaitMs / 50; ++i) {
      if (open_algo_orders() == n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  // The sim's TESTUSDT position amount.
  double position_amount() {
    const std::string body = sim_get("/sim/positions");
    return std::stod(field(body.substr(body.find("TESTUSDT")), "positionAmt"));
  }

  std::string dir_, events_, levels_line_, previous_events_;
  int port_ = 0;
  ChildProcess sim_{"exitbrain-sim"}, run_{"exitbrain run"};
  testing::RedisServer redis_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<RestClient> control_;
};

}  // namespace exitbrain::live_test
