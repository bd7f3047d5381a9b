#include "core/symbol_table.hpp"

namespace exitbrain {

std::optional<SymbolTable::Key> SymbolTable::make_key(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxSymbolLength) return std::nullopt;
  unsigned char bytes[kMaxSymbolLength] = {};
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return std::nullopt;
    bytes[i] = static_cast<unsigned char>(c);
  }
  Key k;
  std::memcpy(&k.lo, bytes, 8);
  std::memcpy(&k.hi, bytes + 8, 8);
  return k;
}

std::optional<SymbolId> SymbolTable::find(std::string_view name) const noexcept {
  const auto key = make_key(name);
  if (!key) return std::nullopt;
  for (std::size_t i = slot_of(*key);; i = (i + 1) & (slots_.size() - 1)) {
    const Slot& s = slots_[i];
    if (s.id == kNoSymbol) return std::nullopt;
    if (s.key == *key) return s.id;
  }
}

std::optional<SymbolId> SymbolTable::intern(std::string_view name) {
  const auto key = make_key(name);
  if (!key) return std::nullopt;
  std::size_t i = slot_of(*key);
  for (;; i = (i + 1) & (slots_.size() - 1)) {
    if (slots_[i].id == kNoSymbol) break;
    if (slots_[i].key == *key) return slots_[i].id;
  }
  if (names_.size() >= kMaxSymbols) return std::nullopt;
  const auto id = static_cast<SymbolId>(names_.size());
  slots_[i] = Slot{*key, id};
  std::string upper(name);
  for (char& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  names_.push_back(std::move(upper));
  filters_.emplace_back();
  return id;
}

}  // namespace exitbrain
