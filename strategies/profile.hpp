#pragma once
// An exit profile: every parameter of the exit policy (DESIGN.md §3). Profiles are
// loaded once at start-up; the engine refers to them by index.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/atr.hpp"
#include "core/events.hpp"

namespace exitbrain {

struct Profile {
  std::string name;
  int atr_period = 14;
  std::int64_t atr_interval_ms = 5 * 60'000;
  AtrMethod atr_method = AtrMethod::kSma;
  double atr_multiplier = 1.1;           // initial stop distance in ATRs
  double high_vol_atr_multiplier = 1.5;  // ... when ATR/price > volatility_threshold
  double volatility_threshold = 0.02;
  std::array<double, kMaxTpLegs> tp_r{1.0, 1.5, 2.5};  // legs as multiples of R
  std::array<double, kMaxTpLegs> tp_fraction{0.40, 0.35, 0.25};
  std::uint8_t tp_count = 3;
  double harvest_trigger = 0.004;  // n-th harvest at n x this unrealised profit fraction
  double harvest_fraction = 0.2;
  int harvest_max = 1;
  bool trailing = true;
  double trail_offset = 0.003;
  double trail_activation = 0.0;  // profit fraction that must be exceeded before trailing
  std::int64_t time_stop_sec = 7200;
  TriggerSource trigger_source = TriggerSource::kMark;
  // Until the ATR is warm a position still gets a stop this far from entry (0 disables):
  // an unattended position is never left without one. Replaced by the ATR stop.
  double warmup_sl_pct = 0.01;
  // Set the levels with the profile named after the market's regime at that moment
  // (RANGE, TRENDING or VOLATILE; this profile's own values while the regime is unknown).
  // Seed 002's planner chose its TP profile this way. The shipped AUTO profile does this.
  bool by_regime = false;
};

// A rule violated by a profile: the TOML key and why.
struct ProfileError {
  std::string field;
  std::string reason;
};

// Checks every range and cross-field rule; nullopt when the profile is valid.
std::optional<ProfileError> validate(const Profile& p);

// The profiles exitbrain ships: CHALLENGE_100 (the seeds' defaults), the regime profiles
// RANGE (seed 002), TRENDING and VOLATILE (ours; see docs/profiles.md), and AUTO, which
// picks one of the three by regime.
std::vector<Profile> builtin_profiles();
const char* to_string(TriggerSource s) noexcept;
std::optional<AtrMethod> parse_atr_method(std::string_view s) noexcept;
std::optional<TriggerSource> parse_trigger_source(std::string_view s) noexcept;

}  // namespace exitbrain
