#pragma once
// Exact order statistics of a few thousand samples (every value kept and sorted: the
// loopback mode takes one sample per breach, so there are never many), and the small
// helpers the modes share to report them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace exitbrain::bench {

struct SampleStats {
  std::size_t count = 0;
  double min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
  std::optional<double> p999;  // only from 1000 samples up: below that it is the max
};

// Nearest-rank percentiles (the smallest value with at least q of the samples at or below
// it: a value that was measured, never an interpolation).
SampleStats summarize(std::vector<double> values);

// "12.3" / "4,560" style: microseconds for a table.
std::string format_us(double us);

// Writes `text` to `path` (replacing it). Throws std::runtime_error naming the file.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace exitbrain::bench
