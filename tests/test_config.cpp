#include <gtest/gtest.h>

#include "tests/support/paths.hpp"
#include "tools/common/input_error.hpp"
#include "tools/settings/config.hpp"

namespace exitbrain {
namespace {

std::string error_of(const std::string& toml) {
  try {
    load_config_text(toml, "cfg.toml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

// toml++ 3.3.0 (upstream issue #294) breaks its own assertion on these: compiled into a
// binary without NDEBUG (the fuzz build compiles it in; Debian's shared library is built
// with NDEBUG) that was an abort. Here, linked as every build links it, each is the parse
// error it is, naming the file and the line; fuzz/seeds/config holds them for the fuzz
// build, where tools/settings/toml_include.hpp keeps them from aborting.
TEST(Config, InputsThatBreakTomlPlusPlusAssumptionsAreErrorsNotAborts) {
  for (const char* bad : {"[\n\x1e", "[&", "[\n", "a = 1\n[ &]\n"}) {
    const std::string err = error_of(bad);
    EXPECT_NE(err.find("cfg.toml:"), std::string::npos) << err;
    EXPECT_NE(err.find("key"), std::string::npos) << err;
  }
}

TEST(Config, ShipsTheSeedAndRegimeProfiles) {
  const Config c = load_config_text("", "cfg.toml");
  for (const char* name : {"CHALLENGE_100", "RANGE", "TRENDING", "VOLATILE", "AUTO"})
    EXPECT_GE(c.find_profile(name), 0) << name;
  EXPECT_TRUE(c.profiles[static_cast<std::size_t>(c.find_profile("AUTO"))].by_regime);
  const Profile& ch = c.profiles[static_cast<std::size_t>(c.find_profile("CHALLENGE_100"))];
  EXPECT_EQ(ch.atr_period, 14);
  EXPECT_EQ(ch.atr_interval_ms, 300'000);
  EXPECT_DOUBLE_EQ(ch.atr_multiplier, 1.1);
  EXPECT_DOUBLE_EQ(ch.trail_offset, 0.003);
  EXPECT_EQ(ch.time_stop_sec, 7200);
  const Profile& range = c.profiles[static_cast<std::size_t>(c.find_profile("RANGE"))];
  EXPECT_DOUBLE_EQ(range.tp_r[0], 0.2);  // seed 002
  EXPECT_DOUBLE_EQ(range.tp_r[2], 0.7);
  EXPECT_DOUBLE_EQ(range.tp_fraction[2], 0.30);
  for (const Profile& p : c.profiles) EXPECT_FALSE(validate(p)) << p.name;
}

TEST(Config, ReadsTheContractKeysAndInheritsFromTheBase) {
  const Config c = load_config_text(R"(
default_profile = "MINE"
[profile.MINE]
base = "RANGE"
atr_period = 10
atr_interval = "15m"
atr_method = "wilder"
tp_r = [1, 2]
tp_fraction = [0.5, 0.5]
trigger_source = "mid"
time_stop_sec = 0
[symbols.btcusdt]
tick_size = "0.1"
step_size = "0.001"
[replay]
taker_fee = 0.0004
)",
                                    "cfg.toml");
  const Profile& p = c.profiles[static_cast<std::size_t>(c.find_profile("MINE"))];
  EXPECT_EQ(c.default_profile, "MINE");
  EXPECT_EQ(p.atr_period, 10);
  EXPECT_EQ(p.atr_interval_ms, 900'000);
  EXPECT_EQ(p.atr_method, AtrMethod::kWilder);
  EXPECT_EQ(p.tp_count, 2);
  EXPECT_EQ(p.trigger_source, TriggerSource::kMid);
  EXPECT_EQ(p.time_stop_sec, 0);
  EXPECT_DOUBLE_EQ(p.harvest_trigger, 0.004) << "inherited from RANGE";
  ASSERT_EQ(c.symbols.size(), 1u);
  EXPECT_EQ(to_string(*c.symbols[0].tick_size), "0.1");
  EXPECT_DOUBLE_EQ(c.fills.taker_fee, 0.0004);
}

TEST(Config, ErrorsNameTheTableAndKey) {
  EXPECT_EQ(error_of("[profile.X]\natr_perod = 3\n"),
            "cfg.toml: [profile.X] atr_perod: unknown key");
  EXPECT_EQ(error_of("[profile.X]\natr_period = 0\n"),
            "cfg.toml: [profile.X] atr_period: must be in [1, 512]");
  EXPECT_EQ(error_of("[profile.X]\natr_multiplier = -1.0\n"),
            "cfg.toml: [profile.X] atr_multiplier: must be in (0, 50]");
  EXPECT_EQ(error_of("[profile.X]\natr_multiplier = nan\n"),
            "cfg.toml: [profile.X] atr_multiplier: must be in (0, 50]");
  EXPECT_EQ(
      error_of("[profile.X]\natr_interval = \"7m\"\n"),
      "cfg.toml: [profile.X] atr_interval: must be one of 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d");
  EXPECT_EQ(error_of("[profile.X]\ntp_r = [1, 2]\n"),
            "cfg.toml: [profile.X] tp_fraction: tp_r and tp_fraction must be given together");
  EXPECT_EQ(error_of("[profile.X]\ntp_r = [2, 1]\ntp_fraction = [0.5, 0.5]\n"),
            "cfg.toml: [profile.X] tp_r: legs must be strictly increasing");
  EXPECT_EQ(error_of("[profile.X]\ntp_r = [1, 2]\ntp_fraction = [0.7, 0.5]\n"),
            "cfg.toml: [profile.X] tp_fraction: fractions must not sum above 1");
  EXPECT_EQ(error_of("[profile.X]\ntrigger_source = \"index\"\n"),
            "cfg.toml: [profile.X] trigger_source: must be \"mark\", \"last\" or \"mid\"");
  EXPECT_EQ(error_of("[profile.X]\nbase = \"NOPE\"\n"),
            "cfg.toml: [profile.X] base: no profile named \"NOPE\"");
  EXPECT_EQ(error_of("[profile.A]\nbase = \"B\"\n[profile.B]\nbase = \"A\"\n"),
            "cfg.toml: [profile.A] base: cycle of bases");
  EXPECT_EQ(error_of("default_profile = \"NOPE\"\n"),
            "cfg.toml: [(top level)] default_profile: no profile named \"NOPE\"");
  EXPECT_EQ(error_of("[symbols.BTCUSDT]\ntick_size = \"-0.1\"\n"),
            "cfg.toml: [symbols.BTCUSDT] tick_size: must be positive");
  EXPECT_EQ(error_of("[replay]\ntaker_fee = 0.5\n"),
            "cfg.toml: [replay] taker_fee: must be in [0, 0.01]");
  EXPECT_EQ(error_of("[kafka]\nurl = \"x\"\n"), "cfg.toml: [(top level)] kafka: unknown key");
  EXPECT_EQ(error_of("[profile.X\n").rfind("cfg.toml:1:", 0), 0u)
      << "TOML syntax errors carry the line";
}

TEST(LiveConfig, ReadsTheExchangeSymbolsThreadsAndRunTables) {
  const Config c = load_config_text(
      "[exchange]\nrest_url = \"http://127.0.0.1:9000\"\nws_market_url = "
      "\"ws://127.0.0.1:9000/market\"\napi_secret_env = \"MY_SECRET\"\nrecv_window_ms = 3000\n"
      "ca_file = \"/tmp/ca.pem\"\n"
      "[symbols]\nlist = [\"BTCUSDT\", \"ETHUSDT\"]\n[symbols.BTCUSDT]\ntick_size = \"0.1\"\n"
      "[threads]\nwait = \"spin\"\norders_wait = \"block\"\nmd_cpu = 1\nfused = true\n"
      "[run]\nforeign_positions = \"alert\"\nstale_after_ms = 2500\nhard_stop_buffer = 0.005\n",
      "cfg.toml");
  const LiveConfig& l = c.live;
  EXPECT_EQ(l.exchange.rest_url, "http://127.0.0.1:9000");
  EXPECT_EQ(l.exchange.ws_market_url, "ws://127.0.0.1:9000/market");
  EXPECT_EQ(l.exchange.ws_private_url, "wss://fstream.binance.com/private");  // default kept
  EXPECT_EQ(l.exchange.api_key_env, "BINANCE_API_KEY");
  EXPECT_EQ(l.exchange.api_secret_env, "MY_SECRET");
  EXPECT_EQ(l.exchange.recv_window_ms, 3000);
  EXPECT_EQ(l.exchange.ca_file, "/tmp/ca.pem");
  EXPECT_EQ(l.symbols, (std::vector<std::string>{"BTCUSDT", "ETHUSDT"}));
  ASSERT_EQ(c.symbols.size(), 1u);  // the per-symbol table still reads as before
  EXPECT_EQ(l.threads.wait[static_cast<int>(Stage::kMd)], WaitStrategy::kSpin);
  EXPECT_EQ(l.threads.wait[static_cast<int>(Stage::kOrders)], WaitStrategy::kBlock);
  EXPECT_EQ(l.threads.cpu[static_cast<int>(Stage::kMd)], 1);
  EXPECT_EQ(l.threads.cpu[static_cast<int>(Stage::kState)], -1);
  EXPECT_TRUE(l.threads.fused);
  EXPECT_EQ(l.run.foreign_positions, ForeignPolicy::kAlert);
  EXPECT_EQ(l.run.stale_after_ms, 2500);
  EXPECT_DOUBLE_EQ(l.run.hard_stop_policy.buffer, 0.005);
}

TEST(LiveConfig, ErrorsNameTheTableAndKey) {
  EXPECT_EQ(
      error_of("[exchange]\napi_secret = \"abc\"\n")
          .rfind("cfg.toml: [exchange] api_secret: secrets are never read from the config file", 0),
      0u);
  EXPECT_EQ(error_of("[exchange]\nrest_url = \"wss://x\"\n"),
            "cfg.toml: [exchange] rest_url: must be an http:// or https:// URL");
  EXPECT_EQ(error_of("[exchange]\nws_market_url = \"https://x\"\n"),
            "cfg.toml: [exchange] ws_market_url: must be a ws:// or wss:// URL");
  EXPECT_EQ(error_of("[exchange]\nrecv_window_ms = 70000\n"),
            "cfg.toml: [exchange] recv_window_ms: must be in [1, 60000]");
  EXPECT_EQ(error_of("[symbols]\nlist = [\"btcusdt\"]\n"),
            "cfg.toml: [symbols] list: each entry must be an upper-case symbol name such as "
            "\"BTCUSDT\"");
  EXPECT_EQ(error_of("[symbols]\nlist = [\"BTCUSDT\", \"BTCUSDT\"]\n"),
            "cfg.toml: [symbols] list: \"BTCUSDT\" is listed twice");
  EXPECT_EQ(error_of("[threads]\nwait = \"sleep\"\n"),
            "cfg.toml: [threads] wait: must be \"spin\", \"spin-yield\" or \"block\"");
  EXPECT_EQ(error_of("[threads]\nmd_cpu = -2\n"),
            "cfg.toml: [threads] md_cpu: must be a CPU number (or -1: not pinned)");
  EXPECT_EQ(error_of("[threads]\nio_cpu = 1\n"), "cfg.toml: [threads] io_cpu: unknown key");
  EXPECT_EQ(error_of("[run]\nforeign_positions = \"close\"\n"),
            "cfg.toml: [run] foreign_positions: must be \"adopt\", \"ignore\" or \"alert\"");
  EXPECT_EQ(error_of("[run]\nhard_stop_buffer = 0.5\n"),
            "cfg.toml: [run] hard_stop_buffer: must be in [0, 0.2]");
}

TEST(RedisConfig, ReadsTheRedisTable) {
  const Config none = load_config_text("", "cfg.toml");
  EXPECT_FALSE(none.redis.has_value()) << "no [redis]: no intent thread";
  const Config c = load_config_text(
      "[redis]\nurl = \"redis://10.0.0.5:6380/2\"\npassword_env = \"REDIS_PW\"\n"
      "group = \"eb\"\nconsumer = \"eb-7\"\nentries = \"execute\"\nsize_basis = \"notional\"\n"
      "intent_max_age_ms = 15000\nmax_order_notional_usd = 500\nmax_total_notional_usd = 2000\n"
      "dead_letter_stream = \"dlq\"\n",
      "cfg.toml");
  ASSERT_TRUE(c.redis.has_value());
  const RedisSettings& r = *c.redis;
  EXPECT_EQ(r.url, "redis://10.0.0.5:6380/2");
  EXPECT_EQ(r.password_env, "REDIS_PW");
  EXPECT_EQ(r.group, "eb");
  EXPECT_EQ(r.consumer, "eb-7");
  EXPECT_EQ(r.policy.entries, EntryMode::kExecute);
  EXPECT_EQ(r.policy.size_basis, SizeBasis::kNotional);
  EXPECT_EQ(r.policy.max_age_ms, 15000);
  EXPECT_DOUBLE_EQ(r.policy.max_order_notional_usd, 500);
  EXPECT_DOUBLE_EQ(r.max_total_notional_usd, 2000);
  EXPECT_EQ(r.dead_letter_stream, "dlq");
  EXPECT_EQ(r.intent_stream, "quantum:stream:trade.intent");  // the seeds' names by default
  EXPECT_EQ(r.levels_stream, "quantum:stream:exitbrain.adaptive_levels");
  EXPECT_EQ(r.metadata_prefix, "quantum:ilf:metadata:");
  EXPECT_EQ(RedisSettings{}.policy.entries, EntryMode::kObserve) << "observe unless told";
}

TEST(RedisConfig, ErrorsNameTheKey) {
  EXPECT_EQ(error_of("[redis]\nentries = \"yolo\"\n"),
            "cfg.toml: [redis] entries: must be \"observe\" or \"execute\"");
  EXPECT_EQ(
      error_of("[redis]\nurl = \"rediss://x\"\n").rfind("cfg.toml: [redis] url: only redis://", 0),
      0u);
  EXPECT_EQ(error_of("[redis]\nurl = \"redis://:pw@x:6379\"\n"),
            "cfg.toml: [redis] url: must not carry a password: use password_env");
  EXPECT_EQ(
      error_of("[redis]\npassword = \"pw\"\n")
          .rfind("cfg.toml: [redis] password: secrets are never read from the config file", 0),
      0u);
  EXPECT_EQ(error_of("[redis]\nurl = \"redis://x:99999\"\n"),
            "cfg.toml: [redis] url: port must be in [1,65535]");
  EXPECT_EQ(error_of("[redis]\nintent_max_age_ms = 0\n"),
            "cfg.toml: [redis] intent_max_age_ms: must be in [100, 86400000]");
  EXPECT_EQ(error_of("[redis]\nmax_order_notional_usd = -5\n"),
            "cfg.toml: [redis] max_order_notional_usd: must be in (0, 1e9]");
  EXPECT_EQ(error_of("[redis]\nmax_order_notional_usd = 900\nmax_total_notional_usd = 800\n"),
            "cfg.toml: [redis] max_total_notional_usd: must be in [max_order_notional_usd, 1e10]");
  EXPECT_EQ(error_of("[redis]\ngroup = \"a b\"\n"),
            "cfg.toml: [redis] group: must not contain spaces or control characters");
  EXPECT_EQ(error_of("[redis]\napplied_ttl_s = 60\nintent_max_age_ms = 120000\n"),
            "cfg.toml: [redis] applied_ttl_s: must be longer than intent_max_age_ms");
  EXPECT_EQ(error_of("[redis]\nblock = 5\n"), "cfg.toml: [redis] block: unknown key");
}

TEST(Config, TheShippedExampleLoads) {
  const Config c = load_config((testing::source_dir() / "config/exitbrain.example.toml").string());
  EXPECT_GE(c.find_profile("SWING"), 0);
  EXPECT_EQ(c.profiles[static_cast<std::size_t>(c.find_profile("SWING"))].atr_interval_ms, 900'000);
}

TEST(Config, BaseMayComeLaterInTheFile) {
  const Config c =
      load_config_text("[profile.A]\nbase = \"B\"\n[profile.B]\natr_period = 7\n", "cfg.toml");
  EXPECT_EQ(c.profiles[static_cast<std::size_t>(c.find_profile("A"))].atr_period, 7);
}

}  // namespace
}  // namespace exitbrain

namespace exitbrain {
namespace {

// [ops] listens on loopback only: control and metrics never face the network. The
// automatic limits are checked like every other key.
TEST(OpsConfig, TheEndpointIsLoopbackOnlyAndTheLimitsAreChecked) {
  const Config d = load_config_text("", "cfg.toml");
  EXPECT_EQ(d.live.ops.listen, "127.0.0.1:9464") << "on by default, on localhost";
  EXPECT_EQ(d.live.run.max_consecutive_errors, 10);
  EXPECT_EQ(d.live.run.daily_loss_limit, 0.0) << "no loss limit unless set";
  const Config c = load_config_text(
      "[ops]\nlisten = \"[::1]:9100\"\nmax_clock_offset_ms = 250\n[run]\ndaily_loss_limit = 150\n"
      "max_consecutive_errors = 3\nflatten_on_limit = true\n",
      "cfg.toml");
  EXPECT_EQ(c.live.ops.listen, "[::1]:9100");
  EXPECT_EQ(c.live.ops.max_clock_offset_ms, 250);
  EXPECT_DOUBLE_EQ(c.live.run.daily_loss_limit, 150);
  EXPECT_EQ(c.live.run.max_consecutive_errors, 3);
  EXPECT_TRUE(c.live.run.flatten_on_limit);
  EXPECT_EQ(load_config_text("[ops]\nlisten = \"\"\n", "cfg.toml").live.ops.listen, "")
      << "\"\" turns the endpoint off";
  EXPECT_EQ(load_config_text("[ops]\nlisten = \"localhost:0\"\n", "cfg.toml").live.ops.listen,
            "localhost:0");

  EXPECT_EQ(error_of("[ops]\nlisten = \"0.0.0.0:9464\"\n"),
            "cfg.toml: [ops] listen: 0.0.0.0 is not a loopback address: the operations endpoint "
            "never faces the network (\"\" turns the endpoint off)");
  EXPECT_EQ(error_of("[ops]\nlisten = \"10.1.2.3:9464\"\n").rfind("cfg.toml: [ops] listen: ", 0),
            0u);
  EXPECT_EQ(error_of("[ops]\nlisten = \"127.0.0.1\"\n"),
            "cfg.toml: [ops] listen: expected host:port, e.g. 127.0.0.1:9464 (\"\" turns the "
            "endpoint off)");
  EXPECT_EQ(error_of("[ops]\nlisten = \"127.0.0.1:99999\"\n"),
            "cfg.toml: [ops] listen: port must be a number in [0, 65535] (\"\" turns the "
            "endpoint off)");
  EXPECT_EQ(error_of("[ops]\nport = 1\n"), "cfg.toml: [ops] port: unknown key");
  EXPECT_EQ(error_of("[run]\ndaily_loss_limit = -1\n"),
            "cfg.toml: [run] daily_loss_limit: must be in [0, 1e12] (quote asset; 0: no limit)");
  EXPECT_EQ(error_of("[run]\ndaily_loss_limit = nan\n"),
            "cfg.toml: [run] daily_loss_limit: must be in [0, 1e12] (quote asset; 0: no limit)");
  EXPECT_EQ(error_of("[run]\nmax_consecutive_errors = -2\n"),
            "cfg.toml: [run] max_consecutive_errors: must be in [0, 1000000] (0: no limit)");
  EXPECT_EQ(error_of("[ops]\nmax_clock_offset_ms = 0\n"),
            "cfg.toml: [ops] max_clock_offset_ms: must be in [1, 600000]");
}

}  // namespace
}  // namespace exitbrain
