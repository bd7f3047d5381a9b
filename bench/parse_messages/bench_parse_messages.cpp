// Parse + extract of real Binance messages (markPriceUpdate, bookTicker, aggTrade, kline
// from ../shared/data/ws): exitbrain's parser (its markPriceUpdate, bookTicker and
// aggTrade fast paths, simdjson On-Demand for the rest), the same parser on simdjson alone, and
// RapidJSON, nlohmann::json and Boost.JSON doing the same extraction into the same MarketEvent.
// Before timing, every competitor's event is checked against exitbrain's for every message: they
// all do the same work, or the benchmark reports an error instead of a figure.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/parse_messages/message_parsers.hpp"
#include "bench/parse_messages/recorded_messages.hpp"

namespace exitbrain::bench {
namespace {

bool same_event(const MarketEvent& a, const MarketEvent& b) {
  return a.kind == b.kind && a.event_time == b.event_time && a.symbol == b.symbol &&
         a.price == b.price && a.bid == b.bid && a.ask == b.ask &&
         a.funding_rate == b.funding_rate && a.kline_closed == b.kline_closed &&
         a.kline.open_time == b.kline.open_time && a.kline.interval_ms == b.kline.interval_ms &&
         a.kline.open == b.kline.open && a.kline.high == b.kline.high &&
         a.kline.low == b.kline.low && a.kline.close == b.kline.close;
}

template <class Parser>
void BM_ParseExtract(benchmark::State& state, int type) {
  const RecordedMessages& recorded = recorded_messages();
  const std::vector<std::string>& msgs = recorded.by_type[type];
  if (msgs.empty()) {
    state.SkipWithError(("no recorded " + std::string(kBenchedTypes[type]) + " messages under " +
                         recorded.data_dir + "/ws (set EXITBRAIN_DATA_DIR)")
                            .c_str());
    return;
  }
  SymbolTable symbols;
  ExitbrainMessageParser reference(symbols, /*intern=*/true);  // fills the symbol table
  std::vector<MarketEvent> expected(msgs.size());
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    if (!reference.extract(msgs[i], expected[i])) {
      state.SkipWithError(("exitbrain's parser refused message: " + msgs[i]).c_str());
      return;
    }
  }
  auto parser = std::make_unique<Parser>(symbols);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    MarketEvent ev;
    if (!parser->extract(msgs[i], ev) || !same_event(ev, expected[i])) {
      state.SkipWithError(
          (std::string(Parser::kName) + " disagrees with exitbrain's parser on: " + msgs[i])
              .c_str());
      return;
    }
  }
  std::size_t i = 0, bytes = 0;
  MarketEvent ev;
  for (auto _ : state) {
    const std::string& m = msgs[i];
    benchmark::DoNotOptimize(parser->extract(m, ev));
    benchmark::DoNotOptimize(ev);
    bytes += m.size();
    if (++i == msgs.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["messages"] = static_cast<double>(msgs.size());
}

template <class Parser>
void register_for(int type) {
  benchmark::RegisterBenchmark(
      (std::string("ParseExtract/") + kBenchedTypes[type] + "/" + Parser::kName).c_str(),
      [type](benchmark::State& s) { BM_ParseExtract<Parser>(s, type); });
}

// Each message type shows the parsers one under another.
const bool registered = [] {
  for (int t = 0; t < kBenchedTypeCount; ++t) {
    register_for<ExitbrainMessageParser>(t);
    register_for<SimdjsonMessageParser>(t);
    register_for<RapidJsonMessageParser>(t);
    register_for<NlohmannMessageParser>(t);
    register_for<BoostJsonMessageParser>(t);
  }
  return true;
}();

}  // namespace
}  // namespace exitbrain::bench
