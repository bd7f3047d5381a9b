#pragma once
// Opening the recorded inputs of replay and backtest (market files, exchangeInfo).
#include <string>
#include <vector>

#include "core/symbol_table.hpp"
#include "tools/market_data/market_reader.hpp"

namespace exitbrain {

// Throws InputError when a file cannot be read or its format told.
MarketMerger open_market_files(const std::vector<std::string>& paths, SymbolTable& symbols,
                               const std::string& symbol_override, bool skip_bad_lines);

// Sets tick / step sizes from a saved exchangeInfo body for the symbols the table holds.
// Empty path: nothing to do. Filters already known (from the config) are kept.
void load_exchange_info_into(const std::string& path, SymbolTable& symbols);

}  // namespace exitbrain
