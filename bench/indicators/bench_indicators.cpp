// Incremental indicators, one closed candle each: ATR (SMA, Wilder) and the regime.
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "core/atr.hpp"
#include "core/regime.hpp"

namespace exitbrain {
namespace {

struct Hlc {
  double high, low, close;
};

std::vector<Hlc> candles() {
  std::vector<Hlc> out;
  double close = 100;
  for (int i = 0; i < 4096; ++i) {
    const double next = close * (1 + 0.002 * std::sin(i * 0.37) + 0.001 * std::cos(i * 1.3));
    out.push_back({std::max(close, next) * 1.001, std::min(close, next) * 0.999, next});
    close = next;
  }
  return out;
}

void BM_AtrUpdate(benchmark::State& state) {
  const auto data = candles();
  Atr atr(14, state.range(0) == 0 ? AtrMethod::kSma : AtrMethod::kWilder);
  std::size_t i = 0;
  for (auto _ : state) {
    const Hlc& c = data[i++ & 4095];
    benchmark::DoNotOptimize(atr.update(c.high, c.low, c.close));
  }
  state.SetLabel(state.range(0) == 0 ? "sma" : "wilder");
}
BENCHMARK(BM_AtrUpdate)->Arg(0)->Arg(1);

void BM_RegimeUpdate(benchmark::State& state) {
  const auto data = candles();
  RegimeClassifier regime{RegimeParams{}};
  std::size_t i = 0;
  for (auto _ : state) {
    const Hlc& c = data[i++ & 4095];
    benchmark::DoNotOptimize(regime.update(c.close, 0.3, true));
  }
}
BENCHMARK(BM_RegimeUpdate);

}  // namespace
}  // namespace exitbrain
