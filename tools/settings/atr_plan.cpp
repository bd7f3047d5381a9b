#include "tools/settings/atr_plan.hpp"

#include <algorithm>

#include "tools/common/input_error.hpp"

namespace exitbrain {

AtrPlan plan_atr_specs(const Config& config, const std::vector<int>& used_profiles) {
  AtrPlan plan;
  plan.spec_of_profile.assign(config.profiles.size(), 0);
  std::vector<int> order{config.find_profile(config.default_profile)};
  order.insert(order.end(), used_profiles.begin(), used_profiles.end());
  // A by_regime profile may hand its positions to any regime profile.
  for (int index : used_profiles)
    if (index >= 0 && config.profiles[static_cast<std::size_t>(index)].by_regime)
      for (const char* name : {"RANGE", "TRENDING", "VOLATILE"})
        order.push_back(config.find_profile(name));
  for (int index : order) {
    if (index < 0) continue;
    const Profile& p = config.profiles[static_cast<std::size_t>(index)];
    const AtrSpec spec{p.atr_interval_ms, p.atr_period, p.atr_method};
    auto it = std::find(plan.specs.begin(), plan.specs.end(), spec);
    if (it == plan.specs.end()) {
      if (plan.specs.size() == kMaxAtrSpecs)
        throw InputError("profile " + p.name +
                         ": the profiles in use need more than 4 different ATR settings "
                         "(atr_interval, atr_period, atr_method)");
      plan.specs.push_back(spec);
      it = plan.specs.end() - 1;
    }
    plan.spec_of_profile[static_cast<std::size_t>(index)] =
        static_cast<std::uint8_t>(it - plan.specs.begin());
  }
  return plan;
}

}  // namespace exitbrain
