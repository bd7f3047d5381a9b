#pragma once
// Interned symbols. Names are turned into small integer ids once, at set-up; every
// event afterwards carries the id. The per-frame lookup (symbol text in a message ->
// id) compares two machine words instead of hashing a string.
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "core/types.hpp"

namespace exitbrain {

// Exchange filters of one symbol (exchangeInfo PRICE_FILTER / LOT_SIZE / MIN_NOTIONAL).
struct SymbolFilters {
  Price tick_size = Decimal::from_units(1);  // 1e-8 until known
  Qty step_size = Decimal::from_units(1);
  Qty min_qty{};
  Decimal min_notional{};
  bool tick_known = false;
  bool step_known = false;
};

class SymbolTable {
 public:
  static constexpr std::size_t kMaxSymbolLength = 16;
  static constexpr std::size_t kMaxSymbols = 4096;

  // Case-insensitive: "btcusdt" (stream names) and "BTCUSDT" (payloads) are one symbol.
  // Returns nullopt for an empty name, a name longer than 16 characters, a character
  // outside [A-Za-z0-9_], or a full table.
  std::optional<SymbolId> intern(std::string_view name);
  std::optional<SymbolId> find(std::string_view name) const noexcept;

  std::string_view name(SymbolId id) const noexcept { return names_[id]; }
  SymbolFilters& filters(SymbolId id) noexcept { return filters_[id]; }
  const SymbolFilters& filters(SymbolId id) const noexcept { return filters_[id]; }
  std::size_t size() const noexcept { return names_.size(); }

 private:
  struct Key {
    std::uint64_t lo = 0, hi = 0;
    bool operator==(const Key&) const = default;
  };
  static std::optional<Key> make_key(std::string_view name) noexcept;
  static std::size_t slot_of(const Key& k) noexcept {
    return static_cast<std::size_t>((k.lo * 0x9E3779B97F4A7C15ull) ^
                                    (k.hi * 0xC2B2AE3D27D4EB4Full)) >>
           (64 - kSlotBits);
  }
  static constexpr unsigned kSlotBits = 13;  // 8192 slots, at most half full
  struct Slot {
    Key key;
    SymbolId id = kNoSymbol;
  };
  std::array<Slot, (1u << kSlotBits)> slots_{};
  std::vector<std::string> names_;
  std::vector<SymbolFilters> filters_;
};

}  // namespace exitbrain
