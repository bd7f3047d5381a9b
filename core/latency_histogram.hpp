#pragma once
// A fixed-size log-linear latency histogram (the HdrHistogram layout, 7 significant bits:
// every value is kept within 0.8 %). Recording is an array increment, so a stage thread
// records its own hops on the hot path without allocating or waiting; a report merges them
// once the writers are done. One writer per histogram.
//
// Every field is a relaxed atomic that only its one writer changes (a plain load, add and
// store: no locked instruction on the hot path), so another thread — the metrics scrape —
// may read a histogram while it is being written: each value it reads is one the writer
// stored, though a scrape may see a record in one field and not yet in another.
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>

namespace exitbrain {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;  // exact below 128 ns, then 64 buckets per octave
  static constexpr std::size_t kBuckets = 64 * 48;  // up to ~2^46 ns (19 hours)

  LatencyHistogram() noexcept = default;
  LatencyHistogram(const LatencyHistogram& o) noexcept { *this = o; }
  LatencyHistogram& operator=(const LatencyHistogram& o) noexcept;

  void record(std::int64_t ns) noexcept {
    const std::uint64_t v = ns < 0 ? 0 : static_cast<std::uint64_t>(ns);
    bump(counts_[index_of(v)], 1);
    bump(count_, 1);
    bump(sum_, v);
    if (v < min_.load(std::memory_order_relaxed)) min_.store(v, std::memory_order_relaxed);
    if (v > max_.load(std::memory_order_relaxed)) max_.store(v, std::memory_order_relaxed);
  }
  void merge(const LatencyHistogram& o) noexcept;

  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  std::uint64_t sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  std::uint64_t min() const noexcept { return count() ? min_.load(std::memory_order_relaxed) : 0; }
  std::uint64_t max() const noexcept { return max_.load(std::memory_order_relaxed); }
  std::uint64_t bucket(std::size_t i) const noexcept {
    return counts_[i].load(std::memory_order_relaxed);
  }
  // The smallest recorded value v with at least `fraction` of all values <= v (up to the
  // bucket's width; the top of the bucket is returned, never an underestimate). 1.0: max.
  std::uint64_t percentile(double fraction) const noexcept;

  static std::size_t index_of(std::uint64_t v) noexcept {
    if (v < (1u << kSubBits)) return static_cast<std::size_t>(v);
    const int msb = 63 - std::countl_zero(v);
    const int shift = msb - (kSubBits - 1);
    const std::size_t i = static_cast<std::size_t>(shift) * 64 + (v >> shift);
    return i < kBuckets ? i : kBuckets - 1;
  }
  // The largest value that lands in bucket `i`.
  static std::uint64_t highest_in(std::size_t i) noexcept {
    if (i < (1u << kSubBits)) return i;
    const int shift = static_cast<int>(i / 64) - 1;
    const std::uint64_t m = i - static_cast<std::uint64_t>(shift) * 64;
    return ((m + 1) << shift) - 1;
  }

 private:
  using Cell = std::atomic<std::uint64_t>;
  static void bump(Cell& c, std::uint64_t by) noexcept {
    c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }

  std::array<Cell, kBuckets> counts_{};
  Cell count_{0};
  Cell sum_{0};
  Cell min_{UINT64_MAX};
  Cell max_{0};
};

}  // namespace exitbrain
