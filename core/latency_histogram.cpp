#include "core/latency_histogram.hpp"

#include <algorithm>
#include <cmath>

namespace exitbrain {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
}

LatencyHistogram& LatencyHistogram::operator=(const LatencyHistogram& o) noexcept {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i].store(o.bucket(i), kRelaxed);
  count_.store(o.count_.load(kRelaxed), kRelaxed);
  sum_.store(o.sum_.load(kRelaxed), kRelaxed);
  min_.store(o.min_.load(kRelaxed), kRelaxed);
  max_.store(o.max_.load(kRelaxed), kRelaxed);
  return *this;
}

void LatencyHistogram::merge(const LatencyHistogram& o) noexcept {
  for (std::size_t i = 0; i < kBuckets; ++i) bump(counts_[i], o.bucket(i));
  bump(count_, o.count());
  bump(sum_, o.sum());
  min_.store(std::min(min_.load(kRelaxed), o.min_.load(kRelaxed)), kRelaxed);
  max_.store(std::max(max(), o.max()), kRelaxed);
}

std::uint64_t LatencyHistogram::percentile(double fraction) const noexcept {
  const std::uint64_t n = count();
  if (n == 0) return 0;
  const std::uint64_t lo = min_.load(kRelaxed), hi = max();
  if (fraction >= 1.0) return hi;
  const double wanted = std::ceil(fraction * static_cast<double>(n));
  const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(wanted));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += bucket(i);
    if (seen >= rank) return std::clamp(highest_in(i), std::min(lo, hi), hi);
  }
  return hi;
}

}  // namespace exitbrain
