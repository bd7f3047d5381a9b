#pragma once
// GET /fapi/v1/exchangeInfo -> SymbolFilters (tick size, step size, min qty, min notional).
// Read once at start-up: allocates freely, never on the hot path.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/symbol_table.hpp"

namespace exitbrain {

struct ExchangeInfoOptions {
  bool intern_all = false;          // add every listed symbol; else only those already in the table
  bool keep_known_filters = false;  // leave tick / step sizes already known (from a config) alone
};

enum class ExchangeInfoStatus : std::uint8_t {
  kOk,
  kMalformed,   // bad JSON or a bad filter value: nothing was applied
  kUnreadable,  // the file could not be read
};

struct ExchangeInfoResult {
  ExchangeInfoStatus status = ExchangeInfoStatus::kOk;
  std::size_t symbols_listed = 0;   // entries in "symbols"
  std::size_t symbols_updated = 0;  // entries whose filters were written into the table
  std::size_t symbols_skipped = 0;  // not in the table (intern_all off) or not a valid name
  const char* error_field =
      "";                    // "json", "symbols", "symbols[].symbol", "PRICE_FILTER.tickSize", ...
  std::string error_symbol;  // the entry at fault, when there is one
  std::string error_reason;  // "missing", "not a decimal number", "not positive", ...

  bool ok() const noexcept { return status == ExchangeInfoStatus::kOk; }
  // "symbol BTCUSDT: field 'PRICE_FILTER.tickSize': not positive" (empty when ok).
  std::string message() const;
};

// Applies every symbol's PRICE_FILTER.tickSize, LOT_SIZE.stepSize / minQty and
// MIN_NOTIONAL.notional (older bodies: minNotional), setting tick_known / step_known.
// All or nothing: on kMalformed the table's filters are unchanged.
ExchangeInfoResult apply_exchange_info(std::string_view body, SymbolTable& symbols,
                                       const ExchangeInfoOptions& options = {});

// The JSON body in a saved response: the whole text when it starts with '{', else the
// first line that is "{...}" or "URL -> ts: {...}" (the recorder's form). Empty if none.
std::string_view exchange_info_body(std::string_view file_text) noexcept;

// Reads a saved response (plain text) and applies it.
ExchangeInfoResult load_exchange_info_file(const std::string& path, SymbolTable& symbols,
                                           const ExchangeInfoOptions& options = {});

}  // namespace exitbrain
