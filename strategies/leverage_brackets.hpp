#pragma once
// Notional and leverage brackets of a symbol (binance-api.md §7.1, GET
// /fapi/v1/leverageBracket): per notional range, the maintenance margin ratio, the
// maintenance amount ("cum") and the maximum leverage. Pure: no I/O; the REST answer is read
// by net/rest_responses.hpp, the liquidation guard (adaptive_levels.hpp) uses them.
//
// - Ranges are (floor, cap]: Binance lists BTCUSDT's first bracket as 0–50,000 at 125x, and a
//   position of exactly 50,000 may be opened at 125x. A notional of 0 is in the first bracket.
// - Valid brackets are sorted by notional, do not overlap (floor_{n+1} ≥ cap_n), have
//   cap > floor ≥ 0, MMR in [0, 1), cum ≥ 0 and a maximum leverage ≥ 1. A notional in a gap
//   between two brackets belongs to the upper one (the higher MMR, the lower leverage: the
//   safe side); one above the last cap belongs to none (the exchange would refuse the
//   position at any leverage).
// - cum is taken as the exchange sends it; it is not checked against
//   cum_n = floor_n × (MMR_n − MMR_{n−1}) + cum_{n−1} (Binance's own tables follow it).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace exitbrain {

struct LeverageBracket {
  double notional_floor = 0;      // notionalFloor, USDT
  double notional_cap = 0;        // notionalCap, USDT
  double maint_margin_ratio = 0;  // maintMarginRatio
  double cum = 0;                 // maintenance amount, USDT
  int max_leverage = 0;           // initialLeverage
};

// Why a bracket list is not valid: the bracket (0-based) and its field at fault, as named in
// the struct ("notional_floor", ...), and why. Static strings; index −1 when ok.
struct [[nodiscard]] BracketError {
  const char* field = nullptr;
  const char* reason = nullptr;
  int index = -1;
  constexpr bool ok() const noexcept { return field == nullptr; }
  // "" when ok, else "bracket 2: maint_margin_ratio must be in [0,1)".
  std::string message() const;
};

// An empty list is valid (no brackets known).
BracketError validate_brackets(std::span<const LeverageBracket> brackets) noexcept;

// Index of the bracket holding `notional` (see the rules above), or −1 when it is above the
// last cap or the list is empty. `brackets` must be valid.
int find_bracket(std::span<const LeverageBracket> brackets, double notional) noexcept;

// What GET /fapi/v1/leverageBracket answers for one symbol.
struct SymbolBrackets {
  std::string symbol;
  std::vector<LeverageBracket> brackets;  // ascending notional
  double notional_coef = 0;               // notionalCoef; 0 when absent (brackets not adjusted)
};

// The brackets of every symbol known. Built at start-up and on refresh, off the hot path;
// only read while intents are evaluated.
class LeverageBracketTable {
 public:
  // Adds or replaces one symbol's brackets after validate_brackets(); an invalid list
  // leaves the table as it was.
  BracketError set(std::string symbol, std::vector<LeverageBracket> brackets);
  // Empty when the symbol has none (callers then keep their configured fallback).
  std::span<const LeverageBracket> find(std::string_view symbol) const noexcept;
  std::size_t size() const noexcept { return symbols_.size(); }
  bool empty() const noexcept { return symbols_.empty(); }
  const std::vector<SymbolBrackets>& symbols() const noexcept { return symbols_; }

 private:
  std::vector<SymbolBrackets> symbols_;  // sorted by symbol
};

}  // namespace exitbrain
