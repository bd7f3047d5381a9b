// exitbrain intents: the trade-intent consumer group from the command line.
//   --drain   handles what is in the stream with the same code `exitbrain run` uses, then
//             exits with a summary (read, expired, dead-lettered, ..., lag after). It never
//             executes an entry (no exchange connection): fresh intents are observed.
//   --status  the group's lag and pending count, and each consumer's heartbeat (whether
//             its thread is alive, when it last handled an intent).
// Also what the seeds' verification checklist asks for (seeds 000 and 004).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

#include "core/symbol_table.hpp"
#include "net/redis_client.hpp"
#include "tools/cli/commands.hpp"
#include "tools/common/event_log.hpp"
#include "tools/intents/intent_consumer.hpp"
#include "tools/settings/config.hpp"

namespace exitbrain::cli {
namespace {

struct IntentsOptions {
  std::string redis_url;
  std::string config;
  std::string symbols;  // comma-separated
  std::string group;
  std::string consumer;
  std::int64_t max_age_ms = -1;
  bool drain = false;
  bool status = false;
};

RedisSettings settings_from(const IntentsOptions& o, const Config* config) {
  RedisSettings s = config && config->redis ? *config->redis : RedisSettings{};
  if (!o.redis_url.empty()) {
    const RedisUrlResult u = parse_redis_url(o.redis_url);
    if (!u.error.empty()) throw InputError("--redis: " + u.error + ", got '" + o.redis_url + "'");
    s.url = o.redis_url;
  } else if (!config || !config->redis) {
    throw InputError("--redis URL (or a --config with a [redis] table) is required");
  }
  if (!o.group.empty()) s.group = o.group;
  if (!o.consumer.empty()) s.consumer = o.consumer;
  if (o.max_age_ms >= 0) s.policy.max_age_ms = o.max_age_ms;
  return s;
}

// The symbols an intent may name: --symbols, else the config's [symbols] list.
void load_symbols(const IntentsOptions& o, const Config* config, SymbolTable& table) {
  std::vector<std::string> names;
  if (!o.symbols.empty()) {
    std::stringstream ss(o.symbols);
    for (std::string s; std::getline(ss, s, ',');)
      if (!s.empty()) names.push_back(s);
  } else if (config) {
    names = config->live.symbols;
  }
  if (names.empty())
    throw InputError(
        "--drain needs the symbols intents may name: --symbols BTCUSDT,ETHUSDT or a --config "
        "with [symbols] list (an intent for any other symbol is dead-lettered)");
  for (const std::string& n : names)
    if (!table.intern(n)) throw InputError("--symbols: not a symbol name: '" + n + "'");
}

std::string password_of(const RedisSettings& s) {
  if (s.password_env.empty()) return {};
  const char* v = std::getenv(s.password_env.c_str());
  if (!v || !*v) throw InputError("[redis] password_env: " + s.password_env + " is not set");
  return v;
}

TimeMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void print_group(const IntentGroupStatus& g, const RedisSettings& s, TimeMs now) {
  std::printf("stream %s: %s, %lld entries\n", s.intent_stream.c_str(),
              g.stream_exists ? "exists" : "missing", g.stream_length);
  if (!g.group_exists) {
    std::printf("group %s: missing (no consumer has read this stream)\n", s.group.c_str());
    return;
  }
  std::printf("group %s: lag %s, pending %lld, consumers %lld, last delivered %s\n",
              s.group.c_str(), g.lag < 0 ? "unknown" : std::to_string(g.lag).c_str(), g.pending,
              g.consumers, g.last_delivered_id.c_str());
  for (const auto& c : g.heartbeats) {
    if (!c.alive) {
      std::printf("consumer %s: no heartbeat (its thread is not running)\n", c.name.c_str());
      continue;
    }
    std::printf("consumer %s: alive, heartbeat %.1f s ago, last intent %s\n", c.name.c_str(),
                static_cast<double>(now - c.heartbeat_ms) / 1000.0,
                c.last_intent_ms > 0 ? iso_utc(c.last_intent_ms).c_str() : "none yet");
  }
}

int run_intents(const IntentsOptions& o) {
  if (o.drain == o.status) throw InputError("give one of --drain or --status");
  std::unique_ptr<Config> config;
  if (!o.config.empty()) config = std::make_unique<Config>(load_config(o.config));
  RedisSettings settings = settings_from(o, config.get());
  // No exchange connection here: nothing is ever executed.
  settings.policy.entries = EntryMode::kObserve;
  SymbolTable symbols;
  if (o.drain) load_symbols(o, config.get(), symbols);

  const RedisUrl url = parse_redis_url(settings.url).url;
  const std::string password = password_of(settings);
  if (o.status) {
    RedisOptions ro;
    ro.url = url;
    if (!password.empty()) ro.url.password = password;
    RedisConnection c(ro);
    if (std::string err = c.connect(); !err.empty()) {
      std::fprintf(stderr, "error: redis %s: %s\n", url.redacted().c_str(), err.c_str());
      return 1;
    }
    const IntentGroupStatus g = read_group_status(c, settings);
    if (!g.error.empty()) {
      std::fprintf(stderr, "error: %s\n", g.error.c_str());
      return 1;
    }
    print_group(g, settings, now_ms());
    return 0;
  }

  EventLog event_log(symbols, stderr);
  IntentLinks links;
  links.event_log = &event_log;
  IntentConsumer consumer(settings, symbols, password, links);
  event_log.start();
  if (std::string err = consumer.connect(); !err.empty()) {
    event_log.stop();
    std::fprintf(stderr, "error: redis %s: %s\n", url.redacted().c_str(), err.c_str());
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  int empty_rounds = 0;
  while (empty_rounds < 2) {  // the second empty round has read past the end of the stream
    const int n = consumer.step(now_ms(), false);
    if (n < 0) {
      event_log.stop();
      std::fprintf(stderr, "error: redis %s: connection lost while draining\n",
                   url.redacted().c_str());
      return 1;
    }
    empty_rounds = n == 0 && consumer.caught_up() ? empty_rounds + 1 : 0;
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const IntentGroupStatus g = consumer.group_status();
  event_log.stop();
  const IntentStats& s = consumer.stats();
  std::printf("intents drained from %s (group %s, consumer %s)\n", settings.intent_stream.c_str(),
              settings.group.c_str(), settings.consumer.c_str());
  std::printf("  read            %llu\n", static_cast<unsigned long long>(s.read));
  std::printf("  observed        %llu   (fresh; --drain never executes)\n",
              static_cast<unsigned long long>(s.observed));
  std::printf("  expired         %llu   (older than %lld ms: levels published, not executed)\n",
              static_cast<unsigned long long>(s.expired),
              static_cast<long long>(settings.policy.max_age_ms));
  std::printf("  dead-lettered   %llu   (-> %s)\n",
              static_cast<unsigned long long>(s.dead_lettered),
              settings.dead_letter_stream.c_str());
  std::printf("  duplicates      %llu\n", static_cast<unsigned long long>(s.duplicates));
  std::printf("  trimmed         %llu   (gone from the stream before they were handled)\n",
              static_cast<unsigned long long>(s.trimmed));
  std::printf("  replayed        %llu\n", static_cast<unsigned long long>(s.replayed));
  std::printf("  reclaimed       %llu\n", static_cast<unsigned long long>(s.reclaimed));
  std::printf("  redis errors    %llu\n", static_cast<unsigned long long>(s.redis_errors));
  std::printf("  lag after       %s\n", g.lag < 0 ? "unknown" : std::to_string(g.lag).c_str());
  std::printf("  pending after   %lld\n", g.pending);
  std::printf("  elapsed         %.1f ms (%.0f intents/s)\n", ms,
              ms > 0 ? static_cast<double>(s.read) * 1000.0 / ms : 0.0);
  return s.redis_errors == 0 ? 0 : 1;
}

}  // namespace

void add_intents_command(CLI::App& root, int& exit_code) {
  auto o = std::make_shared<IntentsOptions>();
  CLI::App* cmd = root.add_subcommand(
      "intents", "The trade-intent consumer group: drain the stream, or show lag and pending");
  cmd->add_option("--redis", o->redis_url,
                  "redis://host:port[/db] (password: [redis] password_env)");
  cmd->add_option("--config", o->config, "Config file: [redis] settings and [symbols] list");
  cmd->add_option("--symbols", o->symbols, "Symbols intents may name, comma-separated");
  cmd->add_option("--group", o->group, "Consumer group (default: [redis] group, exitbrain)");
  cmd->add_option("--consumer", o->consumer, "Consumer name (default: [redis] consumer)");
  cmd->add_option("--max-age-ms", o->max_age_ms, "Intents older than this are expired");
  cmd->add_flag("--drain", o->drain, "Handle what is in the stream, print a summary, exit");
  cmd->add_flag("--status", o->status, "Print the group's lag and pending, and heartbeats");
  cmd->callback([o, &exit_code] { exit_code = run_intents(*o); });
}

}  // namespace exitbrain::cli
