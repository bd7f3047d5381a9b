#pragma once
// Whether every { and [ of a JSON text is closed by its match, in order, with strings (and
// their escapes) skipped. simdjson's On-Demand front end does not check this before a field
// lookup, and an object left open can send find_field_unordered past the document's end
// (simdjson issues 1210, 1834 and 1974 on unclosed containers; here a user-data event cut
// short, `{"e":"ORDER_TRADE_UPDATE","E":1,"o":{}`, crashed the parser). The parsers of rare
// untrusted messages check it first. O(n), no allocation. Nesting deeper than
// kMaxJsonDepth is refused: nothing exitbrain reads nests that deep.
#include <cstddef>

namespace exitbrain {

inline constexpr int kMaxJsonDepth = 64;

bool json_brackets_balanced(const char* data, std::size_t len) noexcept;

}  // namespace exitbrain
