#pragma once
// A seeded price path with volatility regimes and jumps, one step per second. Uses its
// own generator and normal transform (not <random>'s distributions, whose output differs
// between standard libraries) so a seed gives the same path everywhere.
#include <cmath>
#include <cstdint>

namespace exitbrain {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double normal() {                                                           // Box-Muller
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::uint64_t state_;
};

class SyntheticWalk {
 public:
  SyntheticWalk(std::uint64_t seed, double start_price) : rng_(seed), price_(start_price) {}

  // The next one-second price.
  double step() {
    if (--regime_left_ <= 0) pick_regime();
    double r = drift_ + sigma_ * rng_.normal();
    if (rng_.uniform() < kJumpPerSecond)
      r += (rng_.uniform() < 0.5 ? -1 : 1) * (0.004 + 0.01 * rng_.uniform());
    price_ *= std::exp(r);
    return price_;
  }

 private:
  // Per-second log-return volatility: calm ~0.2 %/5 min, busy ~0.5 %, wild ~1.5 %.
  void pick_regime() {
    const double u = rng_.uniform();
    regime_left_ = 900 + static_cast<long>(rng_.uniform() * 3600);
    if (u < 0.45) {  // range
      sigma_ = 0.00012;
      drift_ = 0;
    } else if (u < 0.80) {  // trend, either way
      sigma_ = 0.00018;
      drift_ = (rng_.uniform() < 0.5 ? -1 : 1) * 0.0000045;
    } else {  // volatile
      sigma_ = 0.0006;
      drift_ = 0;
    }
  }
  static constexpr double kJumpPerSecond = 1.0 / 7200;

  SplitMix64 rng_;
  double price_;
  double sigma_ = 0.00012;
  double drift_ = 0;
  long regime_left_ = 0;
};

}  // namespace exitbrain
