#pragma once
// Which ATRs the state stage keeps: replay, backtest and `exitbrain run` size their
// PriceStateEngine from the profiles in use, so it is decided here, from the settings.
#include <cstdint>
#include <vector>

#include "core/price_state_engine.hpp"
#include "tools/settings/config.hpp"

namespace exitbrain {

// The ATR specs the used profiles need (default profile first: it drives the regime), and
// for every profile the index of its spec. Throws InputError past kMaxAtrSpecs.
struct AtrPlan {
  std::vector<AtrSpec> specs;
  std::vector<std::uint8_t> spec_of_profile;
};
AtrPlan plan_atr_specs(const Config& config, const std::vector<int>& used_profiles);

}  // namespace exitbrain
