// One entry of the cross-exchange normalized stream, read as the intent thread reads it.
#include <gtest/gtest.h>

#include "tools/intents/normalized_input.hpp"

namespace exitbrain {
namespace {

StreamEntry entry(std::vector<std::pair<std::string, std::string>> fields) {
  StreamEntry e;
  e.id = "1750000000000-0";
  e.id_ms = 1750000000000;
  for (auto& [n, v] : fields) {
    e.names.push_back(n);
    e.values.push_back(v);
  }
  return e;
}

TEST(NormalizedInput, ReadsAWholeEntry) {
  cross_exchange::NormalizedInput in;
  ASSERT_TRUE(read_normalized_input(entry({{"exchange_divergence", "0.012"},
                                           {"funding_delta", "0.0003"},
                                           {"volatility_factor", "1.4"},
                                           {"num_exchanges", "3"},
                                           {"timestamp", "2025-12-21T03:15:42.123Z"}}),
                                    in));
  EXPECT_EQ(in.num_exchanges, 3);
  EXPECT_DOUBLE_EQ(in.volatility_factor, 1.4);
  EXPECT_EQ(in.timestamp_ms, 1766286942123);
  // Without its own stamp, the entry's stream id tells when.
  ASSERT_TRUE(read_normalized_input(entry({{"exchange_divergence", "0"},
                                           {"funding_delta", "0"},
                                           {"volatility_factor", "1"},
                                           {"num_exchanges", "1000"}}),
                                    in));
  EXPECT_EQ(in.timestamp_ms, 1750000000000);
}

// Found by fuzz/fuzz_cross_exchange: an entry with num_exchanges out of [1, 1000] read as
// valid (with 0 exchanges, left to the adapter to refuse). It is a failed read here.
TEST(NormalizedInput, RefusesWhatIsMissingNotANumberOrOutOfRange) {
  cross_exchange::NormalizedInput in;
  const std::vector<std::pair<std::string, std::string>> good = {{"exchange_divergence", "0.01"},
                                                                 {"funding_delta", "0"},
                                                                 {"volatility_factor", "1"},
                                                                 {"num_exchanges", "2"}};
  for (const auto& [name, bad] :
       std::vector<std::pair<std::string, std::string>>{{"num_exchanges", "0"},
                                                        {"num_exchanges", "1001"},
                                                        {"num_exchanges", "nan"},
                                                        {"exchange_divergence", "inf"},
                                                        {"funding_delta", ""},
                                                        {"volatility_factor", "1x"},
                                                        {"timestamp", "yesterday"}}) {
    auto fields = good;
    bool replaced = false;
    for (auto& f : fields)
      if (f.first == name) f.second = bad, replaced = true;
    if (!replaced) fields.emplace_back(name, bad);
    EXPECT_FALSE(read_normalized_input(entry(fields), in)) << name << "=" << bad;
  }
  StreamEntry trimmed = entry(good);
  trimmed.deleted = true;
  EXPECT_FALSE(read_normalized_input(trimmed, in));
}

}  // namespace
}  // namespace exitbrain
