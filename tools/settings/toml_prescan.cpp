#include "tools/settings/toml_prescan.hpp"

namespace exitbrain {

std::optional<TextPosition> first_non_ascii_outside_strings(std::string_view text) {
  enum class In { kCode, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };
  In in = In::kCode;
  TextPosition at;
  at.column = 0;  // counted up as each byte is read
  auto starts = [&](std::size_t i, std::string_view s) { return text.substr(i, s.size()) == s; };
  // At a closing """ or ''' (i on its first quote): up to two quotes may end the content
  // just before the closing three.
  auto close_multi_line = [&](std::size_t& i, std::string_view quotes) {
    while (starts(i + 1, quotes)) {
      ++i;
      ++at.column;
    }
    in = In::kCode;
    i += 2;
    at.column += 2;
  };
  // A quote opens a string only at the start of a token, as toml++ reads tokens: inside a
  // bare token (`1a"`, `0na="`) toml++ reads on to the token's end and looks at every
  // character on the way, so a quote there must not hide them. A bare token ends at a
  // space, a tab, a line's end, ',', ']', '}' or '#', and in a key also at '=', '.' and '['.
  enum class Ctx { kKey, kValue };
  Ctx ctx = Ctx::kKey;
  bool bare = false;
  char open[64];  // the value brackets open: '[' arrays, '{' inline tables
  std::size_t depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    ++at.column;
    if (c == '\n') {  // the line end is the last byte of its line
      ++at.line;
      at.column = 0;
      if (in == In::kComment || in == In::kBasic || in == In::kLiteral) in = In::kCode;
      if (in == In::kCode) {
        bare = false;
        ctx = depth == 0 || open[depth - 1] == '{' ? Ctx::kKey : Ctx::kValue;
      }
    }
    switch (in) {
      case In::kCode: {
        if (static_cast<unsigned char>(c) >= 0x80) return at;
        if (c == '\n' || c == ' ' || c == '\t' || c == '\r') {
          bare = false;
        } else if (c == '#') {
          in = In::kComment;
          bare = false;
        } else if ((c == '"' || c == '\'') && !bare) {
          // Three quotes open a multi-line string in a key as well: toml++ reads the whole
          // string before it refuses it as a key, and looks at its content on the way.
          if (starts(i, c == '"' ? "\"\"\"" : "'''")) {
            in = c == '"' ? In::kMultiBasic : In::kMultiLiteral;
            i += 2;
            at.column += 2;
          } else {
            in = c == '"' ? In::kBasic : In::kLiteral;
          }
        } else if (c == ',' || c == ']' || c == '}') {
          bare = false;
          if (c != ',' && depth > 0 && open[depth - 1] == (c == ']' ? '[' : '{')) --depth;
          ctx = c == ',' && depth > 0 && open[depth - 1] == '{' ? Ctx::kKey : Ctx::kValue;
          if (depth == 0 && c != ',') ctx = Ctx::kValue;
        } else if (ctx == Ctx::kKey && (c == '=' || c == '.' || c == '[')) {
          bare = false;
          if (c == '=') ctx = Ctx::kValue;
        } else if (ctx == Ctx::kValue && !bare && (c == '[' || c == '{')) {
          if (depth == sizeof open) return at;  // deeper than any config: refused here
          open[depth++] = c;
          if (c == '{') ctx = Ctx::kKey;
        } else {
          bare = true;
        }
        break;
      }
      case In::kComment:
        break;
      case In::kBasic:
      case In::kMultiBasic:
        if (c == '\\') {
          // toml++ asks whether what follows a backslash is whitespace (a line-ending
          // backslash), and so meets the same fault: nothing non-ASCII there either.
          // In a multi-line string it reads on over line ends as well.
          std::size_t j = i + 1;
          TextPosition after = at;
          while (j < text.size() && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r' ||
                                     (text[j] == '\n' && in == In::kMultiBasic))) {
            if (text[j] == '\n') {
              ++after.line;
              after.column = 0;
            } else {
              ++after.column;
            }
            ++j;
          }
          ++after.column;
          if (j < text.size() && static_cast<unsigned char>(text[j]) >= 0x80) return after;
        }
        if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
          ++i;  // the escaped character (an escaped newline is counted as a line)
          ++at.column;
        } else if (in == In::kBasic && c == '"') {
          in = In::kCode;
        } else if (in == In::kMultiBasic && starts(i, "\"\"\"")) {
          close_multi_line(i, "\"\"\"");
        }
        break;
      case In::kLiteral:
        if (c == '\'') {
          in = In::kCode;
        }
        break;
      case In::kMultiLiteral:
        if (starts(i, "'''")) close_multi_line(i, "'''");
        break;
    }
  }
  return std::nullopt;
}

}  // namespace exitbrain
