#pragma once
// Decimals written as text in tests: dec("1.465"). A typo fails the test, never a silent 0.
#include <gtest/gtest.h>

#include <ostream>
#include <string_view>

#include "core/decimal.hpp"

namespace exitbrain {
// Readable gtest failure messages for decimals.
inline void PrintTo(const Decimal& d, std::ostream* os) {
  *os << to_string(d);
}
}  // namespace exitbrain

namespace exitbrain::testing {

inline Decimal dec(std::string_view text) {
  Decimal d;
  const DecimalError e = parse_decimal(text, d);
  if (e != DecimalError::kOk)
    ADD_FAILURE() << "bad decimal in the test: \"" << text << "\": " << to_string(e);
  return d;
}

}  // namespace exitbrain::testing
