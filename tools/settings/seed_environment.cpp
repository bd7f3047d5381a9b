#include "tools/settings/seed_environment.hpp"

#include <cctype>

#include "tools/common/input_error.hpp"

namespace exitbrain {

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The value of `name` (trimmed, upper case), or "" when unset or empty.
std::string value_of(const EnvLookup& env, const char* name) {
  const char* v = env(name);
  if (!v) return {};
  std::string s(v);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return upper(s.substr(i));
}

[[noreturn]] void fail(const std::string& what) {
  throw InputError("environment: " + what);
}

// Sets a setting from a variable, once: a second source that disagrees is an error.
struct Source {
  std::string name;   // "EXIT_EXECUTOR_MODE=LIVE" or "<file>: [run] mode"
  std::string value;  // as the setting reads it
};

}  // namespace

std::vector<std::string> apply_seed_environment(Config& config, const std::string& source,
                                                const EnvLookup& env) {
  std::vector<std::string> notes;

  // [run] mode, from up to two variables and the file.
  std::vector<Source> mode;
  if (config.keys_in_file.count("run.mode"))
    mode.push_back({source + ": [run] mode", to_string(config.live.run.mode)});
  if (const std::string v = value_of(env, "EXIT_EXECUTOR_MODE"); !v.empty()) {
    if (v == "LIVE")
      mode.push_back({"EXIT_EXECUTOR_MODE=" + v, "live"});
    else if (v == "SHADOW" || v == "PAPER" || v == "DRY_RUN")
      mode.push_back({"EXIT_EXECUTOR_MODE=" + v, "shadow"});
    else
      fail("EXIT_EXECUTOR_MODE=" + v + ": must be LIVE or SHADOW (PAPER, DRY_RUN)");
  }
  if (const std::string v = value_of(env, "EXIT_BRAIN_V3_LIVE_ROLLOUT"); !v.empty()) {
    if (v == "ENABLED")
      mode.push_back({"EXIT_BRAIN_V3_LIVE_ROLLOUT=" + v, "live"});
    else if (v == "DISABLED")
      mode.push_back({"EXIT_BRAIN_V3_LIVE_ROLLOUT=" + v, "shadow"});
    else
      fail("EXIT_BRAIN_V3_LIVE_ROLLOUT=" + v + ": must be ENABLED or DISABLED");
  }
  for (std::size_t i = 1; i < mode.size(); ++i)
    if (mode[i].value != mode[0].value)
      fail(mode[i].name + " (mode " + mode[i].value + ") conflicts with " + mode[0].name +
           " (mode " + mode[0].value + ")");
  if (!mode.empty() && !config.keys_in_file.count("run.mode")) {
    config.live.run.mode = mode[0].value == "shadow" ? RunMode::kShadow : RunMode::kLive;
    notes.push_back(mode[0].name + ": [run] mode = \"" + mode[0].value + "\"");
  }

  // default_profile.
  if (const char* raw = env("EXIT_BRAIN_PROFILE"); raw && *raw) {
    const std::string v(raw);  // profile names are case-sensitive
    if (config.find_profile(v) < 0) fail("EXIT_BRAIN_PROFILE=" + v + ": no profile of that name");
    if (config.keys_in_file.count("default_profile") && config.default_profile != v)
      fail("EXIT_BRAIN_PROFILE=" + v + " conflicts with " + source + ": default_profile = \"" +
           config.default_profile + "\"");
    config.default_profile = v;
    notes.push_back("EXIT_BRAIN_PROFILE=" + v + ": default_profile = \"" + v + "\"");
  }

  // [redis] cross_exchange.
  if (const std::string v = value_of(env, "CROSS_EXCHANGE_ENABLED"); !v.empty()) {
    if (v != "TRUE" && v != "FALSE" && v != "1" && v != "0")
      fail("CROSS_EXCHANGE_ENABLED=" + v + ": must be true or false");
    const bool on = v == "TRUE" || v == "1";
    if (!config.redis) {
      notes.push_back("CROSS_EXCHANGE_ENABLED=" + v +
                      ": ignored, the config has no [redis] table (no cross-exchange input)");
    } else {
      if (config.keys_in_file.count("redis.cross_exchange") && config.redis->cross_exchange != on)
        fail("CROSS_EXCHANGE_ENABLED=" + v + " conflicts with " + source +
             ": [redis] cross_exchange = " + (config.redis->cross_exchange ? "true" : "false"));
      config.redis->cross_exchange = on;
      notes.push_back("CROSS_EXCHANGE_ENABLED=" + v +
                      ": [redis] cross_exchange = " + (on ? "true" : "false"));
    }
  }

  // Switches of the old stack that exitbrain answers by being what it is.
  if (const std::string v = value_of(env, "EXIT_MODE"); !v.empty()) {
    if (v != "EXIT_BRAIN_V3")
      fail("EXIT_MODE=" + v +
           ": exitbrain is the one exit system of the account; EXIT_MODE names another one, "
           "and two exit systems must never run against one account");
    notes.push_back("EXIT_MODE=EXIT_BRAIN_V3: accepted (exitbrain is the exit system)");
  }
  if (const std::string v = value_of(env, "EXIT_BRAIN_V3_ENABLED"); !v.empty()) {
    if (v == "FALSE" || v == "0")
      fail("EXIT_BRAIN_V3_ENABLED=" + v +
           ": exitbrain would not manage exits; stop the service instead (systemctl stop "
           "exitbrain), or run it with [run] mode = \"shadow\"");
    if (v != "TRUE" && v != "1") fail("EXIT_BRAIN_V3_ENABLED=" + v + ": must be true or false");
    notes.push_back("EXIT_BRAIN_V3_ENABLED=" + v + ": accepted");
  }
  if (const std::string v = value_of(env, "EXIT_BRAIN_CHECK_INTERVAL_SEC"); !v.empty())
    notes.push_back("warning: EXIT_BRAIN_CHECK_INTERVAL_SEC=" + v +
                    " no longer applies: there is no polling interval, every mark price is "
                    "evaluated as it streams (markPrice@1s)");
  return notes;
}

}  // namespace exitbrain
