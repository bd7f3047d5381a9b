#include <gtest/gtest.h>

#include <string>

#include "core/symbol_table.hpp"

namespace exitbrain {
namespace {

TEST(SymbolTable, InternsOnceCaseInsensitively) {
  SymbolTable t;
  auto a = t.intern("BTCUSDT");
  auto b = t.intern("btcusdt");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(t.name(*a), "BTCUSDT");
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.find("BtcUsdt"), a);
  EXPECT_FALSE(t.find("ETHUSDT").has_value());
}

TEST(SymbolTable, RejectsBadNames) {
  SymbolTable t;
  EXPECT_FALSE(t.intern("").has_value());
  EXPECT_FALSE(t.intern("BTC-USDT").has_value());
  EXPECT_FALSE(t.intern("ABCDEFGHIJKLMNOPQ").has_value());  // 17 characters
  EXPECT_TRUE(t.intern("BTCUSDT_250328").has_value());
  EXPECT_TRUE(t.intern("ABCDEFGHIJKLMNOP").has_value());  // 16 characters
}

TEST(SymbolTable, KeepsIdsDistinctForManySymbols) {
  SymbolTable t;
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(t.intern("S" + std::to_string(i) + "USDT"));
  for (int i = 0; i < 2000; ++i) {
    auto id = t.find("S" + std::to_string(i) + "USDT");
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, i);
  }
  EXPECT_FALSE(t.find("S2000USDT"));
}

// The name is read eight characters at a time: every byte value, at every position of
// every length, is judged as a character-by-character reading would judge it, and never a
// byte past the name's end is looked at (the name sits inside a longer buffer here).
TEST(SymbolTable, EveryByteAtEveryPositionOfEveryLengthIsJudgedAlike) {
  auto valid = [](unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  };
  auto upper = [](unsigned char c) {
    return static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  };
  for (std::size_t len = 1; len <= SymbolTable::kMaxSymbolLength; ++len) {
    for (std::size_t pos = 0; pos < len; ++pos) {
      SymbolTable t;
      std::string buffer(len + 8, 'x');  // lower-case letters past the end: must not count
      for (std::size_t i = 0; i < len; ++i) buffer[i] = static_cast<char>('A' + i);
      const std::string_view name(buffer.data(), len);
      for (int c = 0; c < 256; ++c) {
        buffer[pos] = static_cast<char>(c);
        const auto id = t.intern(name);
        ASSERT_EQ(id.has_value(), valid(static_cast<unsigned char>(c)))
            << "length " << len << ", byte " << c << " at " << pos;
        if (!id) continue;
        std::string folded(name);
        folded[pos] = upper(static_cast<unsigned char>(c));
        EXPECT_EQ(t.name(*id), folded);
        EXPECT_EQ(t.find(folded), id);
        buffer[len] = static_cast<char>(c);  // what follows the name changes nothing
        EXPECT_EQ(t.find(name), id);
        buffer[len] = 'x';
      }
      EXPECT_EQ(t.size(), 37u) << "26 letters either case, 10 digits, '_'";
    }
  }
}

}  // namespace
}  // namespace exitbrain
