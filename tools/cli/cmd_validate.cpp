// exitbrain validate --config FILE: checks a live deployment, the seeds' verification
// checklist and more, one line per check (PASS / FAIL / SKIP and why), exit code 1 when
// any check fails. It only reads: the exchange (GET requests), the daemon (its control
// socket and /health) and Redis. Nothing is sent that changes anything.
//   config, secrets, exchange, clock, api_key, position_mode, hard_stop <symbol> <side>,
//   daemon, health, redis, intent_stream, intent_lag, intent_consumer, adaptive_levels,
//   ilf_metadata
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <thread>

#include "net/endpoint_url.hpp"
#include "net/loopback_address.hpp"
#include "net/redis_client.hpp"
#include "net/secrets.hpp"
#include "net/tls_context.hpp"
#include "tools/cli/commands.hpp"
#include "tools/intents/intent_consumer.hpp"
#include "tools/live/deployment_checks.hpp"
#include "tools/live/operations.hpp"
#include "tools/live/startup.hpp"
#include "tools/ops/control_socket.hpp"
#include "tools/settings/config.hpp"
#include "tools/settings/seed_environment.hpp"

namespace exitbrain::cli {
namespace {

// The adaptive levels' leverage must stay within the seeds' band.
constexpr int kMinLeverage = 5, kMaxLeverage = 80;

struct ValidateOptions {
  std::string config;
  int lag_wait_ms = 1000;
  bool config_only = false;
};

class Checklist {
 public:
  void add(CheckLine l) {
    failed_ = failed_ || l.verdict == Verdict::kFail;
    std::printf("%s  %-26s %s\n", to_string(l.verdict), l.name.c_str(), l.reason.c_str());
    std::fflush(stdout);
  }
  void pass(std::string name, std::string why) {
    add({Verdict::kPass, std::move(name), std::move(why)});
  }
  void fail(std::string name, std::string why) {
    add({Verdict::kFail, std::move(name), std::move(why)});
  }
  void skip(std::string name, std::string why) {
    add({Verdict::kSkip, std::move(name), std::move(why)});
  }
  bool failed() const { return failed_; }

 private:
  bool failed_ = false;
};

// The daemon's /health: the bound address it wrote into its state directory, else the
// configured one.
std::string health_address(const LiveConfig& live) {
  std::ifstream f(ops_address_path(live.run.state_dir));
  std::string a;
  if (f && std::getline(f, a) && !a.empty()) return a;
  return live.ops.listen;
}

void check_daemon(const LiveConfig& live, Checklist& c) {
  std::string error;
  const std::string status =
      control_request(control_socket_path(live.run.state_dir), "status", 5000, error);
  if (!error.empty())
    c.fail("daemon", error);
  else
    c.pass("daemon", "answers on " + control_socket_path(live.run.state_dir) + ": " +
                         status.substr(0, status.find(",\"health_detail\"")) + "}");

  if (live.ops.listen.empty()) {
    c.skip("health", "[ops] listen is \"\": the daemon serves no /health");
    return;
  }
  const LoopbackAddress a = parse_loopback_address(health_address(live));
  if (!a.error.empty() || a.port == 0) {
    c.fail("health", "no address for /health (is the daemon running?)");
    return;
  }
  RestClientOptions o;
  o.timeout_ms = 5000;
  RestClient http(HttpTarget{false, a.host, std::to_string(a.port)}, nullptr, o);
  const RestReply& r = http.request(HttpMethod::kGet, "/health", {}, false);
  if (r.outcome != RestReply::Outcome::kAnswered) {
    c.fail("health", a.host + ":" + std::to_string(a.port) + ": " + r.error);
    return;
  }
  const bool ok = r.body.find(R"("status":"ok")") != std::string::npos;
  std::string body = r.body;
  while (!body.empty() && body.back() == '\n') body.pop_back();
  if (ok)
    c.pass("health", "ok");
  else
    c.fail("health", body.substr(0, body.find(",\"numbers\"")) + "}");
}

void check_redis(const Config& config, const SymbolTable& symbols, int lag_wait_ms, Checklist& c) {
  if (!config.redis) {
    for (const char* n : {"redis", "intent_stream", "intent_lag", "intent_consumer",
                          "adaptive_levels", "ilf_metadata"})
      c.skip(n, "no [redis] table: no intents, levels or metadata");
    return;
  }
  const RedisSettings& rs = *config.redis;
  RedisOptions ro;
  ro.url = parse_redis_url(rs.url).url;
  if (!rs.password_env.empty())
    if (const char* v = std::getenv(rs.password_env.c_str())) ro.url.password = v;
  RedisConnection redis(ro);
  const std::string where = ro.url.redacted();
  if (std::string err = redis.connect(); !err.empty()) {
    c.fail("redis", where + ": " + err);
    for (const char* n :
         {"intent_stream", "intent_lag", "intent_consumer", "adaptive_levels", "ilf_metadata"})
      c.fail(n, "not checked: Redis is not reachable");
    return;
  }
  const RedisReply ping = redis.command({"PING"});
  if (!ping.ok() || ping.value().text() != "PONG") {
    c.fail("redis", where + ": PING: " + ping.error());
    return;
  }
  c.pass("redis", where + " answers PING");

  const IntentGroupStatus g1 = read_group_status(redis, rs);
  if (!g1.error.empty()) {
    c.fail("intent_stream", g1.error);
  } else if (!g1.stream_exists || !g1.group_exists) {
    c.fail("intent_stream",
           rs.intent_stream +
               (g1.stream_exists ? " exists, but not group " + rs.group : " does not exist"));
  } else {
    c.pass("intent_stream", rs.intent_stream + " (" + std::to_string(g1.stream_length) +
                                " entries) with group " + rs.group);
  }
  if (g1.group_exists) {
    std::this_thread::sleep_for(std::chrono::milliseconds(lag_wait_ms));
    const IntentGroupStatus g2 = read_group_status(redis, rs);
    const std::string figures = "lag " + std::to_string(g1.lag) + " then " +
                                std::to_string(g2.lag) + " after " + std::to_string(lag_wait_ms) +
                                " ms, " + std::to_string(g2.pending) + " pending";
    if (g2.lag == 0 || (g2.lag > 0 && g2.lag < g1.lag))
      c.pass("intent_lag", figures);
    else
      c.fail("intent_lag", figures + (g2.lag < 0 ? " (Redis cannot tell the lag)" : ""));
    std::string alive;
    for (const auto& h : g2.heartbeats)
      if (h.alive) alive += (alive.empty() ? "" : ", ") + h.name;
    if (!alive.empty())
      c.pass("intent_consumer", "alive: " + alive);
    else
      c.fail("intent_consumer", std::to_string(g2.consumers) +
                                    " consumers in the group, none with a recent heartbeat");
  } else {
    c.fail("intent_lag", "not checked: no group");
    c.fail("intent_consumer", "not checked: no group");
  }

  // The latest adaptive levels.
  std::vector<std::string> leverage, with_levels;
  const RedisReply levels = redis.command({"XREVRANGE", rs.levels_stream, "+", "-", "COUNT", "50"});
  for (std::size_t i = 0; levels.ok() && i < levels.value().size(); ++i) {
    const RedisValue fields = levels.value()[i][1];
    for (std::size_t k = 0; k + 1 < fields.size(); k += 2) {
      if (fields[k].text() == "target_leverage") leverage.emplace_back(fields[k + 1].text());
      if (fields[k].text() == "symbol") with_levels.emplace_back(fields[k + 1].text());
    }
  }
  CheckLine l = check_levels_leverage(leverage, kMinLeverage, kMaxLeverage);
  l.reason = rs.levels_stream + ": " + l.reason;
  c.add(l);

  // The per-symbol metadata hash the rest of the seeds' stack reads.
  std::vector<std::string> managed, present;
  for (SymbolId s = 0; s < symbols.size(); ++s) {
    managed.emplace_back(symbols.name(s));
    const RedisReply e = redis.command({"EXISTS", rs.metadata_prefix + managed.back()});
    if (e.ok() && e.value().integer() == 1) present.push_back(managed.back());
  }
  c.add(check_ilf_metadata(rs.metadata_prefix, managed, present, with_levels));
}

int run_validate(const ValidateOptions& o) {
  Checklist c;
  Config config = load_config(o.config);  // a bad config is an InputError: exit 2
  const std::vector<std::string> notes =
      apply_seed_environment(config, o.config, [](const char* n) { return std::getenv(n); });
  const LiveConfig& live = config.live;
  c.pass(
      "config",
      o.config + ": " + std::to_string(live.symbols.size()) + " symbols, profile " +
          config.default_profile + ", mode " + to_string(live.run.mode) +
          (notes.empty() ? "" : ", " + std::to_string(notes.size()) + " seed variables applied"));
  if (o.config_only) return 0;
  const ExchangeSettings& ex = live.exchange;
  SecretResult key = load_secret(ex.api_key_env, ex.api_key_file);
  SecretResult secret = load_secret(ex.api_secret_env, ex.api_secret_file);
  if (!key.ok() || !secret.ok()) {
    c.fail("secrets", !key.ok() ? "api key: " + key.error : "api secret: " + secret.error);
  } else {
    c.pass("secrets", "api key and secret from " + (std::getenv(ex.api_key_env.c_str())
                                                        ? ex.api_key_env
                                                        : ex.api_key_file + " (0600)"));
  }

  // The exchange, as `exitbrain run` starts: only GET requests.
  bool exchange_ok = false;
  StartupState st;
  SymbolTable symbols;
  for (const std::string& name : live.symbols) (void)symbols.intern(name);
  if (key.ok() && secret.ok()) {
    const EndpointUrl url = parse_endpoint_url(ex.rest_url).url;
    std::shared_ptr<boost::asio::ssl::context> tls;
    std::string err;
    if (url.tls) tls = make_client_tls_context(ex.ca_file, err);
    RestClientOptions ro;
    ro.api_key = std::string(key.secret.reveal());
    ro.timeout_ms = ex.timeout_ms;
    RestClient rest(HttpTarget{url.tls, url.host, std::to_string(url.port)}, tls, ro);
    const HmacSha256Signer signer(secret.secret.reveal());
    ServerClock clock;
    if (url.tls && !tls) {
      c.fail("exchange", "[exchange] ca_file: " + err);
    } else if (err = rest.connect(); !err.empty()) {
      c.fail("exchange", ex.rest_url + ": " + err);
    } else {
      try {
        st = run_startup(rest, signer, clock, symbols, live, 0);
        exchange_ok = true;
        c.pass("exchange", ex.rest_url + " answers; every symbol of [symbols] list is listed");
        const std::int64_t off = clock.offset_ms();
        if (std::llabs(off) <= live.ops.max_clock_offset_ms)
          c.pass("clock", "server clock " + std::to_string(off) + " ms from ours (limit " +
                              std::to_string(live.ops.max_clock_offset_ms) + " ms)");
        else
          c.fail("clock", "server clock " + std::to_string(off) + " ms from ours (limit " +
                              std::to_string(live.ops.max_clock_offset_ms) + " ms): sync NTP");
        c.pass("api_key",
               "signed requests accepted (position mode, positions, algo orders, brackets); "
               "withdrawal rights are not visible to USD-M endpoints: give the key none");
        c.pass("position_mode", st.mode == PositionMode::kHedge ? "hedge (dual side)" : "one-way");
      } catch (const std::exception& e) {
        c.fail("exchange", e.what());
      }
    }
  }
  if (!exchange_ok)
    for (const char* n : {"clock", "api_key", "position_mode", "hard_stops"})
      c.fail(n, "not checked: the exchange did not answer");
  else
    for (CheckLine& l : check_hard_stops(st)) c.add(std::move(l));

  check_daemon(live, c);
  check_redis(config, symbols, o.lag_wait_ms, c);
  return c.failed() ? 1 : 0;
}

}  // namespace

void add_validate_command(CLI::App& root, int& exit_code) {
  auto o = std::make_shared<ValidateOptions>();
  CLI::App* cmd = root.add_subcommand(
      "validate",
      "Check a live deployment: exchange, clock, key, position mode, one hard stop per "
      "position, the daemon's health, Redis, intents, levels (PASS/FAIL per check)");
  cmd->add_option("--config", o->config, "the deployment's config file")->required();
  cmd->add_option("--lag-wait-ms", o->lag_wait_ms,
                  "between the two reads of the intent group's lag")
      ->capture_default_str()
      ->check(CLI::Range(0, 60'000));
  cmd->add_flag("--config-only", o->config_only,
                "only load and check the config (and the seeds' variables): before a restart");
  cmd->callback([o, &exit_code] { exit_code = run_validate(*o); });
}

}  // namespace exitbrain::cli
