#include "strategies/profile.hpp"

#include <cmath>

namespace exitbrain {
namespace {

bool finite(double v) {
  return std::isfinite(v);
}

std::optional<ProfileError> check(bool ok, const char* field, std::string reason) {
  if (ok) return std::nullopt;
  return ProfileError{field, std::move(reason)};
}

}  // namespace

std::optional<ProfileError> validate(const Profile& p) {
  const std::optional<ProfileError> checks[] = {
      check(p.atr_period >= 1 && p.atr_period <= 512, "atr_period", "must be in [1, 512]"),
      check(p.atr_interval_ms >= 60'000 && p.atr_interval_ms % 60'000 == 0, "atr_interval",
            "must be a whole number of minutes"),
      check(finite(p.atr_multiplier) && p.atr_multiplier > 0 && p.atr_multiplier <= 50,
            "atr_multiplier", "must be in (0, 50]"),
      check(finite(p.high_vol_atr_multiplier) && p.high_vol_atr_multiplier > 0 &&
                p.high_vol_atr_multiplier <= 50,
            "high_vol_atr_multiplier", "must be in (0, 50]"),
      check(finite(p.volatility_threshold) && p.volatility_threshold > 0 &&
                p.volatility_threshold < 1,
            "volatility_threshold", "must be in (0, 1)"),
      check(p.tp_count >= 1 && p.tp_count <= kMaxTpLegs, "tp_r", "must have 1 to 4 legs"),
      check(finite(p.harvest_trigger) && p.harvest_trigger >= 0 && p.harvest_trigger < 1,
            "harvest_trigger", "must be in [0, 1)"),
      check(finite(p.harvest_fraction) && p.harvest_fraction >= 0 && p.harvest_fraction < 1,
            "harvest_fraction", "must be in [0, 1)"),
      check(p.harvest_max >= 0 && p.harvest_max <= 100, "harvest_max", "must be in [0, 100]"),
      check(p.harvest_max == 0 || (p.harvest_trigger > 0 && p.harvest_fraction > 0),
            "harvest_trigger", "harvesting needs harvest_trigger > 0 and harvest_fraction > 0"),
      check(finite(p.trail_offset) && p.trail_offset > 0 && p.trail_offset < 0.5, "trail_offset",
            "must be in (0, 0.5)"),
      check(finite(p.trail_activation) && p.trail_activation >= 0 && p.trail_activation < 1,
            "trail_activation", "must be in [0, 1)"),
      check(p.time_stop_sec >= 0 && p.time_stop_sec <= 365LL * 86400, "time_stop_sec",
            "must be in [0, 31536000]"),
      check(finite(p.warmup_sl_pct) && p.warmup_sl_pct >= 0 && p.warmup_sl_pct < 0.5,
            "warmup_sl_pct", "must be in [0, 0.5)"),
  };
  for (const auto& c : checks)
    if (c) return c;
  double sum = 0;
  for (std::size_t i = 0; i < p.tp_count; ++i) {
    if (!finite(p.tp_r[i]) || p.tp_r[i] <= 0 || p.tp_r[i] > 100)
      return ProfileError{"tp_r", "each leg must be in (0, 100]"};
    if (i > 0 && p.tp_r[i] <= p.tp_r[i - 1])
      return ProfileError{"tp_r", "legs must be strictly increasing"};
    if (!finite(p.tp_fraction[i]) || p.tp_fraction[i] <= 0 || p.tp_fraction[i] > 1)
      return ProfileError{"tp_fraction", "each fraction must be in (0, 1]"};
    sum += p.tp_fraction[i];
  }
  if (sum > 1.0 + 1e-9) return ProfileError{"tp_fraction", "fractions must not sum above 1"};
  return std::nullopt;
}

std::vector<Profile> builtin_profiles() {
  Profile challenge;
  challenge.name = "CHALLENGE_100";

  // Seed 002's aggressive RANGE ladder: small targets, taken often.
  Profile range = challenge;
  range.name = "RANGE";
  range.tp_r = {0.2, 0.4, 0.7};
  range.tp_fraction = {0.35, 0.35, 0.30};

  // TRENDING: let winners run. Far legs with most size on the last one, a looser trail
  // so ordinary pullbacks inside a trend do not end it, and no harvest (the ladder and the
  // trail already lock profit).
  Profile trending = challenge;
  trending.name = "TRENDING";
  trending.tp_r = {1.5, 3.0, 5.0};
  trending.tp_fraction = {0.25, 0.25, 0.50};
  trending.harvest_max = 0;
  trending.trail_offset = 0.006;
  trending.trail_activation = 0.003;
  trending.time_stop_sec = 4 * 3600;

  // VOLATILE: wide stop (noise would hit a 1.1 ATR stop), quick first targets with most
  // of the size, a wide trail, and a shorter time stop because volatility cuts both ways.
  Profile volatile_p = challenge;
  volatile_p.name = "VOLATILE";
  volatile_p.atr_multiplier = 1.5;
  volatile_p.high_vol_atr_multiplier = 2.0;
  volatile_p.tp_r = {0.5, 1.0, 2.0};
  volatile_p.tp_fraction = {0.50, 0.30, 0.20};
  volatile_p.harvest_trigger = 0.008;
  volatile_p.trail_offset = 0.008;
  volatile_p.time_stop_sec = 3600;

  Profile auto_p = challenge;
  auto_p.name = "AUTO";
  auto_p.by_regime = true;

  return {challenge, range, trending, volatile_p, auto_p};
}

const char* to_string(TriggerSource s) noexcept {
  return s == TriggerSource::kMark ? "mark" : s == TriggerSource::kLast ? "last" : "mid";
}

std::optional<AtrMethod> parse_atr_method(std::string_view s) noexcept {
  if (s == "sma") return AtrMethod::kSma;
  if (s == "wilder") return AtrMethod::kWilder;
  return std::nullopt;
}

std::optional<TriggerSource> parse_trigger_source(std::string_view s) noexcept {
  if (s == "mark") return TriggerSource::kMark;
  if (s == "last") return TriggerSource::kLast;
  if (s == "mid") return TriggerSource::kMid;
  return std::nullopt;
}

}  // namespace exitbrain
