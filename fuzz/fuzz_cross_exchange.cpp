// A sequence of cross-exchange aggregator entries (quantum:stream:exchange.normalized),
// each a block of "name=value" lines, blocks split by an empty line, read as the intent
// thread reads them and fed to the adapter one second apart. Invariants: an entry read as
// valid holds finite inputs, 1..1000 exchanges and a timestamp in range; every adjustment
// the adapter hands out is finite and positive, and the TP and SL it makes are positive
// fractions; its reasoning text always fits.
#include <cmath>
#include <cstring>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "strategies/cross_exchange.hpp"
#include "tools/intents/normalized_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace exitbrain;
  cross_exchange::Adapter adapter;
  std::string_view text = fuzz::as_text(data, size);
  TimeMs now = 1'750'000'000'000;
  for (int entries = 0; entries < 64; ++entries) {
    const std::size_t gap = text.find("\n\n");
    const std::string_view block = text.substr(0, gap);
    StreamEntry e;
    e.id_ms = now;
    for (auto& [n, v] : fuzz::split_fields(block)) {
      e.names.push_back(n);
      e.values.push_back(v);
    }
    cross_exchange::NormalizedInput in;
    if (read_normalized_input(e, in)) {
      FUZZ_INVARIANT(std::isfinite(in.exchange_divergence) && std::isfinite(in.funding_delta) &&
                     std::isfinite(in.volatility_factor));
      FUZZ_INVARIANT(in.num_exchanges >= 1 && in.num_exchanges <= 1000);
      FUZZ_INVARIANT(in.timestamp_ms > 1'483'228'800'000);  // 2017-01-01
      (void)adapter.on_data(in, now);
    } else {
      adapter.on_read_failure(now);
    }
    const cross_exchange::Adjustments a = adapter.adjustments(now);
    for (const double m : {a.atr_multiplier, a.tp_multiplier, a.sl_multiplier})
      FUZZ_INVARIANT(std::isfinite(m) && m > 0);
    const cross_exchange::Fractions f = cross_exchange::apply_adjustments(a, 0.02, 0.01);
    FUZZ_INVARIANT(std::isfinite(f.tp) && f.tp > 0 && std::isfinite(f.sl) && f.sl > 0);
    char reasoning[64];
    const std::size_t len = cross_exchange::format_reasoning(a, reasoning, sizeof reasoning);
    FUZZ_INVARIANT(len < sizeof reasoning && std::strlen(reasoning) == len);
    while (adapter.pop_alert()) {
    }
    if (gap == std::string_view::npos) break;
    text.remove_prefix(gap + 2);
    now += 1000;
  }
  return 0;
}
