#pragma once
// The environment variables of the stack we replace (field reports 001-003), as DESIGN.md
// §6 promises: a deployment that still sets them starts the same way. Each maps to its
// setting, or is accepted with a warning that says why it no longer applies:
//   EXIT_EXECUTOR_MODE          LIVE -> [run] mode "live"; SHADOW / PAPER / DRY_RUN -> "shadow"
//   EXIT_BRAIN_V3_LIVE_ROLLOUT  ENABLED -> "live"; DISABLED -> "shadow"
//   EXIT_BRAIN_PROFILE          -> default_profile (must name a profile)
//   CROSS_EXCHANGE_ENABLED      true / false -> [redis] cross_exchange
//   EXIT_MODE                   EXIT_BRAIN_V3: accepted (exitbrain is the one exit system;
//                               any other value would mean running another one: an error)
//   EXIT_BRAIN_V3_ENABLED       true: accepted; false: an error (exitbrain would not run)
//   EXIT_BRAIN_CHECK_INTERVAL_SEC  accepted with a warning: there is no polling interval,
//                               every mark price is evaluated as it streams
// A variable that disagrees with the config file (the key set there to something else),
// or with another variable, is an error naming both. Values are case-insensitive.
#include <functional>
#include <string>
#include <vector>

#include "tools/settings/config.hpp"

namespace exitbrain {

// The variable's value, or null when unset (std::getenv in the daemon; a map in tests).
using EnvLookup = std::function<const char*(const char* name)>;

// Applies the variables to `config` (read from `source`). Returns the warnings to print
// (variables that no longer apply, and a note per variable applied). Throws InputError.
std::vector<std::string> apply_seed_environment(Config& config, const std::string& source,
                                                const EnvLookup& env);

}  // namespace exitbrain
