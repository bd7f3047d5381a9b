#include "tools/replay/market_input.hpp"

#include <fstream>
#include <sstream>

#include "net/exchange_info.hpp"
#include "tools/common/input_error.hpp"

namespace exitbrain {

MarketMerger open_market_files(const std::vector<std::string>& paths, SymbolTable& symbols,
                               const std::string& symbol_override, bool skip_bad_lines) {
  MarketMerger merger;
  for (const std::string& path : paths) {
    MarketReaderOptions options;
    options.symbol_override = symbol_override;
    options.skip_bad_lines = skip_bad_lines;
    merger.add(path, symbols, options);
  }
  return merger;
}

void load_exchange_info_into(const std::string& path, SymbolTable& symbols) {
  if (path.empty()) return;
  const ExchangeInfoResult r = load_exchange_info_file(path, symbols);
  if (!r.ok()) throw InputError("exchange info " + path + ": " + r.message());
}

}  // namespace exitbrain
