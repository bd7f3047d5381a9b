#pragma once
// The Prometheus text exposition format 0.0.4, written by the metrics scrape (never on the
// hot path). One family at a time: family() writes its # HELP and # TYPE lines, then its
// samples follow. Names follow Prometheus's rules (checked by `promtool check metrics` in
// the tests): an exitbrain_ prefix, base units in the name (_seconds, _bytes), counters
// ending in _total, histograms as _bucket{le} / _sum / _count.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "core/latency_histogram.hpp"

namespace exitbrain {

enum class MetricType : std::uint8_t { kCounter, kGauge, kHistogram };

using Label = std::pair<std::string_view, std::string_view>;

class PrometheusText {
 public:
  void family(std::string_view name, MetricType type, std::string_view help);
  // A counter or gauge sample of the current family.
  void sample(std::initializer_list<Label> labels, double value);
  void sample(double value) { sample({}, value); }
  // A histogram sample of the current family, from nanoseconds to seconds: cumulative
  // buckets at the fixed bounds below (each counts the values in the HDR buckets wholly
  // under the bound, so within 0.8 % of it), _sum and _count.
  void histogram_seconds(std::initializer_list<Label> labels, const LatencyHistogram& h);

  const std::string& text() const noexcept { return out_; }

  // Seconds: 1 µs to 10 s, roughly 1-2.5-5 per decade.
  static constexpr double kBounds[] = {1e-6,   2.5e-6, 5e-6, 1e-5,   2.5e-5, 5e-5, 1e-4,
                                       2.5e-4, 5e-4,   1e-3, 2.5e-3, 5e-3,   1e-2, 2.5e-2,
                                       5e-2,   0.1,    0.25, 0.5,    1.0,    2.5,  10.0};

 private:
  void labels(std::initializer_list<Label> ls, std::string_view extra_key = {},
              std::string_view extra_value = {});
  void value(double v);

  std::string out_;
  std::string name_;
};

// A label value as the format wants it: backslash, quote and newline escaped.
std::string escape_label_value(std::string_view v);

}  // namespace exitbrain
