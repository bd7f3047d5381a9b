#include "core/symbol_table.hpp"

#include "core/ascii_scan.hpp"

namespace exitbrain {

namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ull;
constexpr std::uint64_t kEachByte = 0x0101010101010101ull;

// The bytes of `w` (each below 0x80) that lie in [lo, hi]: 0x80 in those bytes, 0 elsewhere.
// x + (0x80 - lo) sets a byte's high bit when x >= lo, x + (0x7F - hi) when x > hi; with
// every byte below 0x80 neither sum carries into the next byte.
constexpr std::uint64_t bytes_in(std::uint64_t w, unsigned char lo, unsigned char hi) noexcept {
  return (w + kEachByte * (0x80u - lo)) & ~(w + kEachByte * (0x7Fu - hi)) & kHighBits;
}

// The first `n` (0..8) bytes of `p` in a word, zeros after them, reading no byte past p + n.
std::uint64_t load_up_to_8(const char* p, std::size_t n) noexcept {
  if (n >= 8) return load8(p);
  if (n >= 4) {  // two loads of 4 that overlap: the bytes they share are the same
    return std::uint64_t{load4(p)} | (std::uint64_t{load4(p + n - 4)} << (8 * (n - 4)));
  }
  std::uint64_t w = 0;
  for (std::size_t i = 0; i < n; ++i)
    w |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return w;
}

// One word of a name (its `n` bytes, zeros after them) upper-cased; false if a byte is
// not one of [A-Za-z0-9_]. Eight characters at a time: the lookup runs on every tick.
bool key_word(std::uint64_t w, std::size_t n, std::uint64_t& out) noexcept {
  if (n == 0) {
    out = 0;
    return true;
  }
  if (w & kHighBits) return false;  // not ASCII
  const std::uint64_t lower = bytes_in(w, 'a', 'z');
  const std::uint64_t ok =
      lower | bytes_in(w, 'A', 'Z') | bytes_in(w, '0', '9') | bytes_in(w, '_', '_');
  const std::uint64_t used = n >= 8 ? kHighBits : kHighBits & ((1ull << (8 * n)) - 1);
  if ((ok & used) != used) return false;
  out = w - (lower >> 2);  // 'a' - 'A' is 0x20, 0x80 >> 2; no byte borrows
  return true;
}

}  // namespace

std::optional<SymbolTable::Key> SymbolTable::make_key(std::string_view name) noexcept {
  const std::size_t n = name.size();
  if (n == 0 || n > kMaxSymbolLength) return std::nullopt;
  const char* p = name.data();
  const std::size_t n_lo = n < 8 ? n : 8, n_hi = n - n_lo;
  // The second word: bytes 8..n-1, read as the last 8 bytes of the name shifted down.
  const std::uint64_t hi_word = n_hi == 0 ? 0 : load8(p + n - 8) >> (8 * (8 - n_hi));
  Key k;
  if (!key_word(load_up_to_8(p, n_lo), n_lo, k.lo) || !key_word(hi_word, n_hi, k.hi))
    return std::nullopt;
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
