#include "strategies/hard_stop_ranking.hpp"

#include <algorithm>
#include <cmath>

namespace exitbrain {

namespace {
constexpr double kMinDistance = 0.001;
}

double hard_stop_need(double notional, double liquidation_distance) noexcept {
  if (!std::isfinite(notional) || notional <= 0) return 0;
  double d = std::isfinite(liquidation_distance) ? liquidation_distance : 1.0;
  d = std::clamp(d, kMinDistance, 1.0);
  return notional / d;
}

std::vector<std::uint32_t> rank_for_hard_stops(std::span<const HardStopCandidate> candidates) {
  std::vector<const HardStopCandidate*> order;
  order.reserve(candidates.size());
  for (const HardStopCandidate& c : candidates) order.push_back(&c);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    if (a->must_keep != b->must_keep) return a->must_keep;
    const double na = hard_stop_need(a->notional, a->liquidation_distance);
    const double nb = hard_stop_need(b->notional, b->liquidation_distance);
    if (na != nb) return na > nb;
    return a->position < b->position;
  });
  std::vector<std::uint32_t> out;
  out.reserve(order.size());
  for (const HardStopCandidate* c : order) out.push_back(c->position);
  return out;
}

}  // namespace exitbrain
