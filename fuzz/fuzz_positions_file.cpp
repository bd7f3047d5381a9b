// A positions file of `exitbrain replay` (JSON lines). Invariants: only InputError comes
// out (naming the file); what loads has an id used once, a valid symbol, a positive qty,
// entry and stop, a known profile, and comes sorted by opened_at.
#include <set>
#include <string>

#include "core/symbol_table.hpp"
#include "fuzz/fuzz_support.hpp"
#include "tools/common/input_error.hpp"
#include "tools/replay/positions_file.hpp"
#include "tools/settings/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace exitbrain;
  static const Config config = load_config_text("", "fuzz.toml");
  static fuzz::MemoryFile file;
  const std::string& path = file.write(fuzz::as_text(data, size));
  SymbolTable symbols;
  std::vector<PositionRecord> got;
  try {
    got = load_positions(path, symbols, config, config.default_profile);
  } catch (const InputError& e) {
    FUZZ_INVARIANT(std::string_view(e.what()).starts_with(path));
    return 0;
  }
  FUZZ_INVARIANT(!got.empty());
  std::set<std::string> ids;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const PositionRecord& r = got[i];
    FUZZ_INVARIANT(ids.insert(r.id).second);
    FUZZ_INVARIANT(r.position.symbol < symbols.size() &&
                   symbols.name(r.position.symbol) == r.symbol);
    FUZZ_INVARIANT(r.position.qty.is_positive() && r.position.entry.is_positive());
    FUZZ_INVARIANT(!r.position.sl || r.position.sl->is_positive());
    FUZZ_INVARIANT(r.position.profile < config.profiles.size());
    FUZZ_INVARIANT(r.leverage >= 1 && r.leverage <= 125);
    if (i > 0) FUZZ_INVARIANT(got[i - 1].position.opened_at <= r.position.opened_at);
  }
  return 0;
}
