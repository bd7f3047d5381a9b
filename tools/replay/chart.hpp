#pragma once
// --chart: price, each position's stop path, its TP levels and its exits, one panel per
// symbol, drawn by gnuplot into a PNG. Recording is cheap; drawing happens once at the end.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/events.hpp"
#include "core/symbol_table.hpp"

namespace exitbrain {

class ChartRecorder {
 public:
  explicit ChartRecorder(const SymbolTable& symbols) : symbols_(symbols) {}

  void on_price(const PriceState& st);
  // `position` is the caller's stable position number (its label comes with write_png).
  void on_decision(const Decision& d, std::size_t position);

  // Runs gnuplot; throws InputError when it is missing or fails.
  void write_png(const std::string& path, const std::vector<std::string>& position_labels) const;

 private:
  struct Point {
    double t;  // seconds since the epoch
    double v;
  };
  struct PositionTrace {
    SymbolId symbol = kNoSymbol;
    std::vector<Point> stop;
    std::vector<std::pair<Point, Point>> targets;  // TP segments (start, end)
    std::vector<Price> tp;
    double tp_since = 0;
    bool closed = false;
  };
  struct ExitMark {
    Point at;
    ExitReason reason;
  };

  const SymbolTable& symbols_;
  std::map<SymbolId, std::vector<Point>> prices_;
  std::map<std::size_t, PositionTrace> positions_;
  std::map<SymbolId, std::vector<ExitMark>> exits_;
  double last_t_ = 0;
};

}  // namespace exitbrain
