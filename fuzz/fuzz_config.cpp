// A config file's text through load_config_text. Invariants: only InputError comes out,
// naming the file (toml++'s own assertions never abort: tools/settings/toml_include.hpp);
// a config that loads has its profiles and a default profile among them.
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "tools/common/input_error.hpp"
#include "tools/settings/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace exitbrain;
  const std::string text(fuzz::as_text(data, size));
  try {
    const Config c = load_config_text(text, "fuzz.toml");
    FUZZ_INVARIANT(!c.profiles.empty());
    FUZZ_INVARIANT(c.find_profile(c.default_profile) >= 0);
  } catch (const InputError& e) {
    FUZZ_INVARIANT(std::string_view(e.what()).starts_with("fuzz.toml"));
  }
  return 0;
}
