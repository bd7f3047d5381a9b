#pragma once
// The exitbrain configuration file (TOML): profiles, regime parameters, symbol filters,
// replay fill model. Read once at start-up; every error names the file, table and key.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/decimal.hpp"
#include "core/regime.hpp"
#include "strategies/profile.hpp"
#include "tools/settings/live_config.hpp"
#include "tools/settings/redis_settings.hpp"

namespace exitbrain {

struct SymbolSettings {
  std::string name;
  std::optional<Decimal> tick_size;
  std::optional<Decimal> step_size;
};

// How replay and backtest turn an exit decision into a simulated fill.
struct FillModel {
  double slippage_bps = 0.0;  // adverse, on every exit
  double taker_fee = 0.0;     // fraction of notional, e.g. 0.0004 for 4 bps
};

struct Config {
  std::vector<Profile> profiles = builtin_profiles();
  std::string default_profile = "CHALLENGE_100";
  RegimeParams regime{};
  std::vector<SymbolSettings> symbols;
  FillModel fills{};
  std::optional<std::string> exchange_info;  // path to a saved GET /fapi/v1/exchangeInfo body
  LiveConfig live;                           // [exchange], [symbols].list, [threads], [run]
  std::optional<RedisSettings> redis;        // [redis]: the intent thread and publishers
  // The keys the seeds' environment variables may also set, as the file set them
  // ("default_profile", "run.mode", "redis.cross_exchange"): a variable that disagrees with
  // one of these is an error naming both (tools/settings/seed_environment.hpp).
  std::set<std::string> keys_in_file;

  // Index of the profile with this name, or -1.
  int find_profile(std::string_view name) const;
};

// Built-in profiles overlaid with the file's. A [profile.X] table starts from its `base`
// (default CHALLENGE_100) so it lists only what differs. Throws InputError.
Config load_config(const std::string& path);
Config load_config_text(const std::string& text, const std::string& source_name);

}  // namespace exitbrain
