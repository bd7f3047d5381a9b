#pragma once
// The positions file of `exitbrain replay`: JSON lines such as
//   {"id":"p1","symbol":"NEARUSDT","side":"LONG","qty":100,"entry_price":1.465,
//    "opened_at":1771000000000,"profile":"RANGE","sl":1.43,"tp":[1.5,1.52],"leverage":10}
// Numbers are read from their JSON text exactly (no binary rounding). Every error names
// the file, the line and the field.
#include <optional>
#include <string>
#include <vector>

#include "core/decimal.hpp"
#include "core/symbol_table.hpp"
#include "strategies/exit_engine.hpp"
#include "tools/settings/config.hpp"

namespace exitbrain {

struct PositionRecord {
  std::string id;
  std::size_t line = 0;
  std::string symbol;
  std::string profile;
  double leverage = 1.0;
  NewPosition position;  // symbol id and profile index filled in
};

// Reads and validates the whole file; interns the symbols. Sorted by opened_at, ties in
// file order. Throws InputError.
std::vector<PositionRecord> load_positions(const std::string& path, SymbolTable& symbols,
                                           const Config& config,
                                           const std::string& default_profile);

}  // namespace exitbrain
