#include "tools/ops/prometheus_text.hpp"

#include <cmath>
#include <cstdio>

namespace exitbrain {

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void PrometheusText::family(std::string_view name, MetricType type, std::string_view help) {
  name_ = name;
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  // HELP text: only backslash and newline need escaping.
  for (char c : help) {
    if (c == '\\')
      out_ += "\\\\";
    else if (c == '\n')
      out_ += "\\n";
    else
      out_ += c;
  }
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += type == MetricType::kCounter ? " counter\n"
          : type == MetricType::kGauge ? " gauge\n"
                                       : " histogram\n";
}

void PrometheusText::labels(std::initializer_list<Label> ls, std::string_view extra_key,
                            std::string_view extra_value) {
  if (ls.size() == 0 && extra_key.empty()) return;
  out_ += '{';
  bool first = true;
  auto one = [&](std::string_view k, std::string_view v) {
    if (!first) out_ += ',';
    first = false;
    out_ += k;
    out_ += "=\"";
    out_ += escape_label_value(v);
    out_ += '"';
  };
  for (const Label& l : ls) one(l.first, l.second);
  if (!extra_key.empty()) one(extra_key, extra_value);
  out_ += '}';
}

void PrometheusText::value(double v) {
  char buf[40];
  if (std::isnan(v))
    std::snprintf(buf, sizeof buf, " NaN\n");
  else if (std::isinf(v))
    std::snprintf(buf, sizeof buf, v > 0 ? " +Inf\n" : " -Inf\n");
  else if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, " %.0f\n", v);
  else
    std::snprintf(buf, sizeof buf, " %.9g\n", v);
  out_ += buf;
}

void PrometheusText::sample(std::initializer_list<Label> ls, double v) {
  out_ += name_;
  labels(ls);
  value(v);
}

void PrometheusText::histogram_seconds(std::initializer_list<Label> ls, const LatencyHistogram& h) {
  // Walk the HDR buckets once, in order, carrying the cumulative count across the bounds.
  std::uint64_t cumulative = 0;
  std::size_t i = 0;
  char le[24];
  for (double bound : kBounds) {
    const auto bound_ns = static_cast<std::uint64_t>(std::llround(bound * 1e9));
    for (; i < LatencyHistogram::kBuckets && LatencyHistogram::highest_in(i) <= bound_ns; ++i)
      cumulative += h.bucket(i);
    std::snprintf(le, sizeof le, "%g", bound);
    out_ += name_;
    out_ += "_bucket";
    labels(ls, "le", le);
    value(static_cast<double>(cumulative));
  }
  for (; i < LatencyHistogram::kBuckets; ++i) cumulative += h.bucket(i);
  out_ += name_;
  out_ += "_bucket";
  labels(ls, "le", "+Inf");
  value(static_cast<double>(cumulative));
  out_ += name_;
  out_ += "_sum";
  labels(ls);
  value(static_cast<double>(h.sum()) / 1e9);
  out_ += name_;
  out_ += "_count";
  labels(ls);
  // The +Inf bucket, so the two always agree even while the writer records.
  value(static_cast<double>(cumulative));
}

}  // namespace exitbrain
