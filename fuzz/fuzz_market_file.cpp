// A recorded market file, either kind the reader tells apart by content: a websocket
// capture (receive-stamped JSON lines, headers, REST snapshots) or a kline CSV. The first
// byte picks strict or skip-bad-lines reading. Invariants: only InputError comes out,
// naming the file, and in skip mode never naming a line (a bad line is counted); every
// event has a known symbol and a positive price (or bid and ask); a CSV's walked events
// never go back in time; the reader's counts add up.
#include <cstdio>
#include <string>

#include "core/symbol_table.hpp"
#include "fuzz/fuzz_support.hpp"
#include "tools/common/input_error.hpp"
#include "tools/market_data/market_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace exitbrain;
  if (size == 0) return 0;
  static fuzz::MemoryFile file;
  const std::string& path = file.write(fuzz::as_text(data + 1, size - 1));
  MarketReaderOptions options;
  options.symbol_override = "BTCUSDT";  // a memory file's name tells no symbol
  options.skip_bad_lines = (data[0] & 1) != 0;
  SymbolTable symbols;
  bool opened = false;  // errors before: the file as a whole (format, symbol)
  try {
    MarketFileReader reader(path, symbols, options);
    opened = true;
    MarketEvent ev;
    TimeMs last = 0;
    std::uint64_t events = 0;
    while (reader.next(ev)) {
      ++events;
      FUZZ_INVARIANT(ev.symbol != kNoSymbol && ev.symbol < symbols.size());
      FUZZ_INVARIANT(ev.price.is_positive() || (ev.bid.is_positive() && ev.ask.is_positive()));
      if (reader.format() == MarketFileFormat::kKlineCsv) {
        FUZZ_INVARIANT(ev.event_time >= last);
        last = ev.event_time;
      }
      if (events > 1'000'000) break;  // a walk this long is not a finding
    }
    FUZZ_INVARIANT(reader.stats().events == events);
    if (!options.skip_bad_lines) FUZZ_INVARIANT(reader.stats().malformed == 0);
  } catch (const InputError& e) {
    const std::string_view what = e.what();
    FUZZ_INVARIANT(what.starts_with(path + ":"));
    // Skipping bad lines, a line is never thrown: only what is wrong with the whole file
    // ("FILE: a single candle and no interval token ...", never "FILE:LINE: ...").
    if (options.skip_bad_lines && opened) {
      const char after = what.size() > path.size() + 1 ? what[path.size() + 1] : ' ';
      if (after >= '0' && after <= '9') std::fprintf(stderr, "thrown: %s\n", e.what());
      FUZZ_INVARIANT(!(after >= '0' && after <= '9'));
    }
  }
  return 0;
}
