#include "strategies/leverage_brackets.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace exitbrain {
namespace {

bool finite_non_negative(double x) noexcept {
  return std::isfinite(x) && x >= 0.0;
}

BracketError check_one(const LeverageBracket& b, int index) noexcept {
  if (!finite_non_negative(b.notional_floor))
    return {"notional_floor", "must be a finite number >= 0", index};
  if (!(std::isfinite(b.notional_cap) && b.notional_cap > b.notional_floor))
    return {"notional_cap", "must be a finite number above notional_floor", index};
  if (!(b.maint_margin_ratio >= 0.0 && b.maint_margin_ratio < 1.0))
    return {"maint_margin_ratio", "must be in [0,1)", index};
  if (!finite_non_negative(b.cum)) return {"cum", "must be a finite number >= 0", index};
  if (b.max_leverage < 1) return {"max_leverage", "must be >= 1", index};
  return {};
}

}  // namespace

std::string BracketError::message() const {
  if (ok()) return {};
  return "bracket " + std::to_string(index) + ": " + field + " " + reason;
}

BracketError validate_brackets(std::span<const LeverageBracket> brackets) noexcept {
  for (std::size_t i = 0; i < brackets.size(); ++i) {
    const int index = static_cast<int>(i);
    if (BracketError e = check_one(brackets[i], index); !e.ok()) return e;
    if (i > 0 && brackets[i].notional_floor < brackets[i - 1].notional_cap)
      return {"notional_floor", "must not be below the previous bracket's notional_cap", index};
  }
  return {};
}

int find_bracket(std::span<const LeverageBracket> brackets, double notional) noexcept {
  // Few brackets (Binance has at most ~15 per symbol): a linear scan.
  for (std::size_t i = 0; i < brackets.size(); ++i)
    if (notional <= brackets[i].notional_cap) return static_cast<int>(i);
  return -1;
}

BracketError LeverageBracketTable::set(std::string symbol, std::vector<LeverageBracket> brackets) {
  if (BracketError e = validate_brackets(brackets); !e.ok()) return e;
  const auto at = std::lower_bound(
      symbols_.begin(), symbols_.end(), symbol,
      [](const SymbolBrackets& s, const std::string& name) { return s.symbol < name; });
  if (at != symbols_.end() && at->symbol == symbol) {
    at->brackets = std::move(brackets);
  } else {
    SymbolBrackets s;
    s.symbol = std::move(symbol);
    s.brackets = std::move(brackets);
    symbols_.insert(at, std::move(s));
  }
  return {};
}

std::span<const LeverageBracket> LeverageBracketTable::find(
    std::string_view symbol) const noexcept {
  const auto at = std::lower_bound(
      symbols_.begin(), symbols_.end(), symbol,
      [](const SymbolBrackets& s, std::string_view name) { return s.symbol < name; });
  if (at == symbols_.end() || at->symbol != symbol) return {};
  return at->brackets;
}

}  // namespace exitbrain
