// One market message (raw or combined stream) through BinanceMessageParser twice: with
// the fast paths (markPrice, bookTicker, aggTrade) and with simdjson alone. Invariant: the same status, the same
// error field and reason, the same events; an event has a known symbol and a positive
// price (or a positive bid and ask); a malformed message names its field.
#include <cstring>
#include <vector>

#include "core/symbol_table.hpp"
#include "fuzz/fuzz_support.hpp"
#include "net/binance_message_parser.hpp"
#include "net/market_fast_paths.hpp"

namespace exitbrain {
namespace {

struct Answer {
  ParseStatus status = ParseStatus::kOk;
  std::vector<MarketEvent> events;
  const char* field = "";
  const char* reason = "";
};

struct Parsers {
  SymbolTable symbols;
  BinanceMessageParser fast{symbols};
  BinanceMessageParser general{symbols};
  fuzz::PaddedBuffer buffer;
  Parsers() {
    (void)symbols.intern("BTCUSDT");
    (void)symbols.intern("ETHUSDT");
    general.set_fast_paths(false);
  }
  Answer run(BinanceMessageParser& p, std::string_view msg) {
    char* data = buffer.fill(msg, kJsonPadding);
    Answer a;
    a.status = p.parse(data, msg.size(), buffer.capacity(),
                       [&](const MarketEvent& ev) { a.events.push_back(ev); });
    if (a.status == ParseStatus::kMalformed) {
      a.field = p.last_error().field;
      a.reason = p.last_error().reason;
    }
    return a;
  }
};

}  // namespace
}  // namespace exitbrain

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace exitbrain;
  static Parsers p;
  const std::string_view msg = fuzz::as_text(data, size);
  const Answer a = p.run(p.fast, msg), b = p.run(p.general, msg);
  FUZZ_INVARIANT(a.status == b.status);
  FUZZ_INVARIANT(std::strcmp(a.field, b.field) == 0);
  FUZZ_INVARIANT(std::strcmp(a.reason, b.reason) == 0);
  FUZZ_INVARIANT(a.events.size() == b.events.size());
  if (a.status == ParseStatus::kMalformed) FUZZ_INVARIANT(a.field[0] != '\0');
  if (a.status == ParseStatus::kOk) FUZZ_INVARIANT(!a.events.empty());
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    const MarketEvent &x = a.events[i], &y = b.events[i];
    FUZZ_INVARIANT(x.kind == y.kind && x.event_time == y.event_time && x.symbol == y.symbol);
    FUZZ_INVARIANT(x.price == y.price && x.bid == y.bid && x.ask == y.ask);
    FUZZ_INVARIANT(x.funding_rate == y.funding_rate ||
                   (x.funding_rate != x.funding_rate && y.funding_rate != y.funding_rate));
    FUZZ_INVARIANT(x.symbol != kNoSymbol && x.symbol < p.symbols.size());
    FUZZ_INVARIANT(x.price.is_positive() || (x.bid.is_positive() && x.ask.is_positive()));
  }
  // The fast path alone: what it takes, the general path takes the same way.
  FastMarketEvent m;
  if (parse_market_fast(msg, m) && p.symbols.find(m.symbol)) {
    FUZZ_INVARIANT(b.status == ParseStatus::kOk && b.events.size() == 1);
    const MarketEvent& y = b.events[0];
    FUZZ_INVARIANT(y.kind == m.kind && y.event_time == m.event_time);
    FUZZ_INVARIANT(y.price == m.price && y.bid == m.bid && y.ask == m.ask);
  }
  return 0;
}
