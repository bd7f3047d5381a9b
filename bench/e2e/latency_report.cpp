#include "bench/e2e/latency_report.hpp"

#include <stdlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tools/common/input_error.hpp"
#include "tools/common/json_line.hpp"

namespace exitbrain::bench {

namespace {

double us(std::uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

std::string fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

std::string latency_table(const std::vector<NamedHistogram>& rows) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-18s %9s %10s %10s %10s %10s %10s %10s\n", "(us)", "count",
                "min", "p50", "p90", "p99", "p99.9", "max");
  out += line;
  for (const NamedHistogram& r : rows) {
    const LatencyHistogram& h = *r.histogram;
    std::snprintf(line, sizeof line, "%-18s %9llu %10.2f %10.2f %10.2f %10.2f %10.2f %10.2f\n",
                  r.name.c_str(), static_cast<unsigned long long>(h.count()), us(h.min()),
                  us(h.percentile(0.5)), us(h.percentile(0.9)), us(h.percentile(0.99)),
                  us(h.percentile(0.999)), us(h.max()));
    out += line;
  }
  return out;
}

std::string latency_json(const std::vector<NamedHistogram>& rows) {
  std::string out = "[";
  for (const NamedHistogram& r : rows) {
    const LatencyHistogram& h = *r.histogram;
    if (out.size() > 1) out += ",";
    out += "\n    {\"name\":" + JsonLine::quote(r.name) + ",\"what\":" + JsonLine::quote(r.what) +
           ",\"count\":" + std::to_string(h.count()) + ",\"min_us\":" + fixed(us(h.min())) +
           ",\"p50_us\":" + fixed(us(h.percentile(0.5))) +
           ",\"p90_us\":" + fixed(us(h.percentile(0.9))) +
           ",\"p99_us\":" + fixed(us(h.percentile(0.99))) +
           ",\"p99_9_us\":" + fixed(us(h.percentile(0.999))) + ",\"max_us\":" + fixed(us(h.max())) +
           "}";
  }
  return out + "\n  ]";
}

void write_percentile_plot(const std::vector<NamedHistogram>& rows, const std::string& title,
                           const std::string& png_path) {
  namespace fs = std::filesystem;
  char dir_template[] = "/tmp/exitbrain-bench-plot-XXXXXX";
  if (!::mkdtemp(dir_template)) throw InputError("--png: cannot create a temporary folder");
  const fs::path dir(dir_template);
  std::string plot;
  int drawn = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const LatencyHistogram& h = *rows[i].histogram;
    if (h.count() == 0) continue;
    const fs::path data = dir / ("row" + std::to_string(i) + ".dat");
    std::ofstream f(data);
    // x = 1/(1-p) from p = 0 to the last percentile the samples can show.
    const double top = std::log10(static_cast<double>(h.count()));
    for (double e = 0; e <= top + 1e-9; e += 0.05) {
      const double p = 1.0 - std::pow(10.0, -e);
      f << std::pow(10.0, e) << ' ' << us(h.percentile(p)) << '\n';
    }
    f << std::pow(10.0, top) * 1.001 << ' ' << us(h.max()) << '\n';
    plot += std::string(drawn++ ? ", " : "plot ") + "'" + data.string() +
            "' using 1:2 with lines lw 2 title '" + rows[i].name + "'";
  }
  if (!drawn) throw InputError("--png: no samples to draw");
  std::ofstream script(dir / "plot.gp");
  script << "set terminal pngcairo noenhanced size 1200,700 font ',10'\n"
         << "set output '" << png_path << "'\n"
         << "set title '" << title << "'\n"
         << "set logscale x\nset logscale y\nset grid\nset key top left\n"
         << "set xlabel 'percentile'\nset ylabel 'latency (us)'\n"
         << "set xtics ('0%%' 1, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, "
            "'99.999%%' 100000, '99.9999%%' 1000000)\n"
         << plot << '\n';
  script.close();
  const std::string cmd = "gnuplot '" + (dir / "plot.gp").string() + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  fs::remove_all(dir);
  if (rc != 0)
    throw InputError("--png: gnuplot failed (is gnuplot-nox installed?), exit status " +
                     std::to_string(rc));
}

}  // namespace exitbrain::bench
