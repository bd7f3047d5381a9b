#include "core/latency_histogram.hpp"

#include <algorithm>
#include <cmath>

namespace exitbrain {

void LatencyHistogram::merge(const LatencyHistogram& o) noexcept {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

std::uint64_t LatencyHistogram::percentile(double fraction) const noexcept {
  if (count_ == 0) return 0;
  if (fraction >= 1.0) return max_;
  const double wanted = std::ceil(fraction * static_cast<double>(count_));
  const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(wanted));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(highest_in(i), min_, max_);
  }
  return max_;
}

}  // namespace exitbrain
