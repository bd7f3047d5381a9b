#pragma once
// A look at a config's text before toml++ parses it. TOML allows non-ASCII characters
// only inside strings and comments, and Debian 12's toml++ 3.3.0 meets undefined
// behaviour on many of them elsewhere: its is_non_ascii_horizontal_whitespace() reaches
// __builtin_unreachable() for U+00A1..U+0499, U+2C5E..U+2FFF, U+3001..U+3057 and
// U+FB26..U+FEFE (a gap in its generated tables; found by fuzz/fuzz_config, and in every
// build: the shared library is affected too). So such a character outside a string or
// comment (or right after a backslash in a string) is refused here before toml++ sees it:
// outside strings it is an error in TOML anyway, and in a string \uXXXX writes it.
#include <cstddef>
#include <optional>
#include <string_view>

namespace exitbrain {

struct TextPosition {
  std::size_t line = 1;  // from 1
  std::size_t column = 1;
};

// Where the first byte >= 0x80 outside a string or comment is, if there is one. Strings:
// "basic" (with backslash escapes), 'literal', and their """ / ''' multi-line forms, each
// opened only where a token starts; a single-line string ends at the end of its line
// (toml++ then reports it unterminated). Inside a basic string, a non-ASCII character
// right after a backslash (and any spaces) counts too: toml++ asks whether it is
// whitespace. Off the hot path: it may allocate.
std::optional<TextPosition> first_non_ascii_outside_strings(std::string_view text);

}  // namespace exitbrain
