#pragma once
// How exitbrain-bench shows a latency distribution: a table on the terminal (µs), the
// same figures as JSON, and a percentile plot (PNG, drawn by gnuplot) with a log axis of
// 1/(1-p), so the tail gets as much room as the median.
#include <string>
#include <vector>

#include "core/latency_histogram.hpp"

namespace exitbrain::bench {

struct NamedHistogram {
  std::string name;
  std::string what;  // one line: from where to where
  const LatencyHistogram* histogram = nullptr;
};

// The percentiles every report shows.
inline constexpr double kReportedPercentiles[] = {0.5, 0.9, 0.99, 0.999};

// A table: name, count, min, p50, p90, p99, p99.9, max (µs).
std::string latency_table(const std::vector<NamedHistogram>& rows);

// One JSON object per row: {"name", "what", "count", "min_us", "p50_us", ..., "max_us"}.
std::string latency_json(const std::vector<NamedHistogram>& rows);

// Draws `rows` (those with samples) into `png_path`. Throws InputError when gnuplot
// is missing or fails.
void write_percentile_plot(const std::vector<NamedHistogram>& rows, const std::string& title,
                           const std::string& png_path);

}  // namespace exitbrain::bench
