#include "tools/replay/chart.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tools/common/input_error.hpp"

namespace exitbrain {
namespace {

constexpr std::size_t kMaxPanels = 6;
constexpr std::size_t kMaxPricePoints = 4000;

double seconds(TimeMs t) {
  return static_cast<double>(t) / 1000.0;
}

// Keeps the shape of a long series: per bucket its first, lowest and highest point.
std::vector<std::pair<double, double>> downsample(
    const std::vector<std::pair<double, double>>& in) {
  if (in.size() <= kMaxPricePoints) return in;
  std::vector<std::pair<double, double>> out;
  const std::size_t buckets = kMaxPricePoints / 3;
  const std::size_t per = (in.size() + buckets - 1) / buckets;
  for (std::size_t b = 0; b < in.size(); b += per) {
    const auto first = in.begin() + static_cast<std::ptrdiff_t>(b);
    const auto last = in.begin() + static_cast<std::ptrdiff_t>(std::min(in.size(), b + per));
    auto lo = std::min_element(first, last, [](auto& a, auto& c) { return a.second < c.second; });
    auto hi = std::max_element(first, last, [](auto& a, auto& c) { return a.second < c.second; });
    out.push_back(*first);
    if (lo->first < hi->first) {
      out.push_back(*lo);
      out.push_back(*hi);
    } else {
      out.push_back(*hi);
      out.push_back(*lo);
    }
  }
  return out;
}

}  // namespace

void ChartRecorder::on_price(const PriceState& st) {
  const Price p = st.has(TriggerSource::kMark)   ? st.mark
                  : st.has(TriggerSource::kLast) ? st.last
                                                 : st.mid;
  last_t_ = seconds(st.event_time);
  prices_[st.symbol].push_back(Point{last_t_, p.to_double()});
}

void ChartRecorder::on_decision(const Decision& d, std::size_t position) {
  PositionTrace& tr = positions_[position];
  const double t = seconds(d.time);
  tr.symbol = d.symbol;
  auto close_targets = [&](double until) {
    for (const Price tp : tr.tp)
      tr.targets.push_back({Point{tr.tp_since, tp.to_double()}, Point{until, tp.to_double()}});
    tr.tp.clear();
  };
  switch (d.kind) {
    case DecisionKind::kLevels:
      close_targets(t);
      tr.tp.assign(d.tp.begin(), d.tp.begin() + d.tp_count);
      tr.tp_since = t;
      tr.stop.push_back(Point{t, d.sl.to_double()});
      break;
    case DecisionKind::kStopMoved:
      tr.stop.push_back(Point{t, d.sl.to_double()});
      break;
    case DecisionKind::kExit:
      exits_[d.symbol].push_back(ExitMark{Point{t, d.price.to_double()}, d.exit_reason});
      if (!d.remaining.is_positive()) {
        tr.stop.push_back(Point{t, d.sl.to_double()});
        close_targets(t);
        tr.closed = true;
      }
      break;
  }
}

void ChartRecorder::write_png(const std::string& path,
                              const std::vector<std::string>& position_labels) const {
  namespace fs = std::filesystem;
  char dir_template[] = "/tmp/exitbrain-chart-XXXXXX";
  if (!::mkdtemp(dir_template)) throw InputError("--chart: cannot create a temporary folder");
  const fs::path dir(dir_template);
  std::ofstream script(dir / "chart.gp");
  std::vector<SymbolId> panels;
  for (const auto& [sym, pts] : prices_)
    if (panels.size() < kMaxPanels && !pts.empty()) panels.push_back(sym);
  if (panels.empty()) throw InputError("--chart: no prices to draw");
  script << "set terminal pngcairo size 1400," << 120 + 380 * panels.size() << " font ',9'\n"
         << "set output '" << path << "'\n"
         << "set multiplot layout " << panels.size() << ",1 title 'exitbrain replay'\n"
         << "set xdata time\nset timefmt '%s'\nset format x \"%m-%d\\n%H:%M\"\n"
         << "set grid\nset key outside right top\n";
  for (std::size_t pi = 0; pi < panels.size(); ++pi) {
    const SymbolId sym = panels[pi];
    const std::string tag = std::to_string(pi);
    {
      std::vector<std::pair<double, double>> series;
      for (const Point& p : prices_.at(sym)) series.emplace_back(p.t, p.v);
      std::ofstream f(dir / ("price" + tag + ".dat"));
      f.precision(12);
      for (const auto& [t, v] : downsample(series)) f << t << ' ' << v << '\n';
    }
    std::string plot = "plot '" + (dir / ("price" + tag + ".dat")).string() +
                       "' using 1:2 with lines lc rgb '#4d4d4d' title 'price'";
    for (const auto& [index, tr] : positions_) {
      if (tr.symbol != sym || tr.stop.empty()) continue;
      const std::string label = index < position_labels.size() ? position_labels[index] : tag;
      const fs::path stops = dir / ("stop" + std::to_string(index) + ".dat");
      std::ofstream f(stops);
      f.precision(12);
      for (const Point& p : tr.stop) f << p.t << ' ' << p.v << '\n';
      // Hold the last stop until the position closed or the data ended.
      f << (tr.closed ? tr.stop.back().t : last_t_) << ' ' << tr.stop.back().v << '\n';
      plot += ", '" + stops.string() + "' using 1:2 with steps lw 1.5 title 'stop " + label + "'";
      std::vector<std::pair<Point, Point>> segments = tr.targets;
      for (const Price tp : tr.tp)
        segments.push_back({Point{tr.tp_since, tp.to_double()}, Point{last_t_, tp.to_double()}});
      if (!segments.empty()) {
        const fs::path tps = dir / ("tp" + std::to_string(index) + ".dat");
        std::ofstream g(tps);
        g.precision(12);
        for (const auto& [a, b] : segments)
          g << a.t << ' ' << a.v << '\n' << b.t << ' ' << b.v << "\n\n";
        plot += ", '" + tps.string() + "' using 1:2 with lines dt 2 lc rgb '#2ca02c' title 'TP " +
                label + "'";
      }
    }
    if (auto it = exits_.find(sym); it != exits_.end()) {
      const fs::path ex = dir / ("exits" + tag + ".dat");
      std::ofstream f(ex);
      f.precision(12);
      for (const ExitMark& e : it->second) {
        const bool stop = e.reason == ExitReason::kStopLoss ||
                          e.reason == ExitReason::kTrailingStop ||
                          e.reason == ExitReason::kBreakEven;
        const bool time = e.reason == ExitReason::kTimeStop;
        f << e.at.t << ' ' << e.at.v << ' ' << (stop ? 0 : time ? 2 : 1) << '\n';
      }
      plot +=
          ", '" + ex.string() +
          "' using 1:($3==0?$2:1/0) with points pt 11 ps 1.6 lc rgb '#d62728' title 'stop exit'";
      plot +=
          ", '" + ex.string() +
          "' using 1:($3==1?$2:1/0) with points pt 9 ps 1.6 lc rgb '#2ca02c' title 'TP / harvest'";
      plot += ", '" + ex.string() +
              "' using 1:($3==2?$2:1/0) with points pt 7 ps 1.4 lc rgb '#1f77b4' title 'time stop'";
    }
    script << "set title '" << symbols_.name(sym) << "'\n" << plot << "\n";
  }
  script << "unset multiplot\n";
  script.close();
  const std::string cmd =
      "gnuplot '" + (dir / "chart.gp").string() + "' 2>" + (dir / "err").string();
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::ifstream err(dir / "err");
    std::string first;
    std::getline(err, first);
    throw InputError("--chart: gnuplot failed (is gnuplot installed? tools/install-deps.sh): " +
                     first);
  }
  fs::remove_all(dir);
}

}  // namespace exitbrain
