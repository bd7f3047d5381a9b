#include "net/json_balance.hpp"

namespace exitbrain {

bool json_brackets_balanced(const char* data, std::size_t len) noexcept {
  char open[kMaxJsonDepth];
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < len; ++i) {
    const char c = data[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        if (depth == kMaxJsonDepth) return false;
        open[depth++] = c;
        break;
      case '}':
      case ']':
        if (depth == 0 || open[depth - 1] != (c == '}' ? '{' : '[')) return false;
        --depth;
        break;
      default:
        break;
    }
  }
  return depth == 0 && !in_string;
}

}  // namespace exitbrain
