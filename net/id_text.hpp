#pragma once
// A client order / algo id (or a symbol) as the exchange sent it, held in place: the order
// path reads these without allocating. Its own header so that the JSON field reader can fill
// one without depending on either parser that uses it.
#include <array>
#include <cstdint>
#include <string_view>

namespace exitbrain {

// Binance allows 36 characters; room for more.
struct IdText {
  std::array<char, 48> chars{};
  std::uint8_t len = 0;
  std::string_view view() const noexcept { return {chars.data(), len}; }
};

}  // namespace exitbrain
