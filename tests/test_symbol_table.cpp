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

}  // namespace
}  // namespace exitbrain
