// One decision step: a price update of one symbol through ExitEngine::on_price.
// The cost must grow with the positions on that symbol, not with those on others.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "core/symbol_table.hpp"
#include "strategies/exit_engine.hpp"

namespace exitbrain {
namespace {

Decimal dec(const char* s) {
  Decimal d;
  (void)parse_decimal(s, d);
  return d;
}

// `on_symbol` positions on symbol 0 and `elsewhere` spread over `symbols` - 1 others.
struct Book {
  SymbolTable symbols;
  std::unique_ptr<ExitEngine> engine;
  long decisions = 0;

  Book(int on_symbol, int elsewhere, int symbol_count) {
    for (int s = 0; s < symbol_count; ++s) {
      const SymbolId id = *symbols.intern("S" + std::to_string(s) + "USDT");
      symbols.filters(id).tick_size = dec("0.01");
      symbols.filters(id).step_size = dec("0.001");
    }
    Profile p;  // CHALLENGE_100, without a time stop so nothing ends mid-run
    p.time_stop_sec = 0;
    engine = std::make_unique<ExitEngine>(std::vector<Profile>{p}, std::vector<std::uint8_t>{0},
                                          symbols, static_cast<std::size_t>(on_symbol + elsewhere));
    auto add = [&](SymbolId s, int i) {
      NewPosition np;
      np.symbol = s;
      np.side = i % 2 ? Side::kShort : Side::kLong;
      np.qty = dec("1");
      np.entry = dec("100");
      // Far explicit levels: every update walks all rules without closing anything.
      np.sl = i % 2 ? dec("150") : dec("50");
      np.tp[0] = i % 2 ? dec("50") : dec("150");
      np.tp_count = 1;
      (void)engine->add_position(np, [](const Decision&) {});
    };
    for (int i = 0; i < on_symbol; ++i) add(0, i);
    for (int i = 0; i < elsewhere; ++i) add(static_cast<SymbolId>(1 + i % (symbol_count - 1)), i);
  }
};

void BM_DecisionStep(benchmark::State& state) {
  const int on_symbol = static_cast<int>(state.range(0));
  const int elsewhere = static_cast<int>(state.range(1));
  Book book(on_symbol, elsewhere, 501);
  PriceState st;
  st.symbol = 0;
  st.updated = trigger_bit(TriggerSource::kMark);
  st.atr[0] = 0.5;
  st.atr_ready = 1;
  std::int64_t tick = 0;
  for (auto _ : state) {
    // The mark walks inside 99.90 .. 100.10: no stop, target or harvest is reached.
    st.mark = Decimal::from_units(10'000'000'000 + (tick % 21 - 10) * 1'000'000);
    st.event_time = 1'771'000'000'000 + tick * 1000;
    ++tick;
    book.engine->on_price(st, [&](const Decision&) { ++book.decisions; });
    benchmark::DoNotOptimize(book.decisions);
  }
  state.SetItemsProcessed(state.iterations() * on_symbol);
  state.counters["positions_on_symbol"] = on_symbol;
  state.counters["positions_elsewhere"] = elsewhere;
}
BENCHMARK(BM_DecisionStep)
    ->Args({1, 0})
    ->Args({10, 0})
    ->Args({1000, 0})
    ->Args({20, 9980})  // 10,000 positions over 500 symbols, 20 on the updated one
    ->Args({20, 0});    // ... against the same 20 alone

}  // namespace
}  // namespace exitbrain
