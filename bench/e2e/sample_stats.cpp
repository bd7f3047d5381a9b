#include "bench/e2e/sample_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <stdexcept>

namespace exitbrain::bench {

SampleStats summarize(std::vector<double> values) {
  SampleStats s;
  s.count = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const auto rank = [&](double q) {
    const auto n = static_cast<double>(values.size());
    const auto k = static_cast<std::size_t>(std::max(1.0, std::ceil(q * n)));
    return values[std::min(k, values.size()) - 1];
  };
  s.min = values.front();
  s.max = values.back();
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.p99 = rank(0.99);
  if (values.size() >= 1000) s.p999 = rank(0.999);
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  return s;
}

std::string format_us(double us) {
  char buf[64];
  if (us < 100)
    std::snprintf(buf, sizeof buf, "%.1f", us);
  else
    std::snprintf(buf, sizeof buf, "%.0f", us);
  // Thousands separators for the large figures (the polling design's are in seconds).
  std::string text = buf;
  const auto dot = text.find('.');
  const std::size_t int_end = dot == std::string::npos ? text.size() : dot;
  for (std::size_t i = int_end; i > 3; i -= 3) text.insert(i - 3, ",");
  return text;
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace exitbrain::bench
