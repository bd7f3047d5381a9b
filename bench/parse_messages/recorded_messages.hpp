#pragma once
// Real Binance messages for the parser benchmarks, by event type, read once from the
// captures under ../shared/data/ws (or $EXITBRAIN_DATA_DIR).
#include <string>
#include <vector>

namespace exitbrain::bench {

inline constexpr const char* kBenchedTypes[] = {"markPriceUpdate", "bookTicker", "aggTrade",
                                                "kline"};
inline constexpr int kBenchedTypeCount = 4;

struct RecordedMessages {
  std::string data_dir;
  // Per kBenchedTypes entry: combined-stream messages ({"stream":..,"data":{..}}), each
  // with simdjson's padding readable past its end. Empty when the data is absent.
  std::vector<std::string> by_type[kBenchedTypeCount];
};

// Loaded on first use, at most `kMaxPerType` messages of each type.
const RecordedMessages& recorded_messages();

}  // namespace exitbrain::bench
