#include "bench/parse_messages/recorded_messages.hpp"

#include <filesystem>

#include "bench/bench_paths.hpp"
#include "net/binance_message_parser.hpp"
#include "tools/market_data/market_reader.hpp"

namespace exitbrain::bench {

namespace {

constexpr std::size_t kMaxPerType = 4096;

// Where each type is: markPrice@1s only in the 2023 BTC captures, aggTrade and kline_1m
// only in the multi-symbol ones; bookTicker everywhere (the 2024 capture is used).
constexpr const char* kFiles[] = {
    "ws/usdm/btcusdt_20230404.dat.gz", "ws/usdm/btcusdt_20230405.dat.gz",
    "ws/usdm/btcusdt_20240808.gz",     "ws/multi/BINANCE_FUTURES.ws.1.0",
    "ws/multi/BINANCE_FUTURES.ws.5.0", "ws/multi/BINANCE_FUTURES-1125a2.0"};

int type_index(std::string_view json) {
  const std::size_t at = json.find(R"("e":")");
  if (at == std::string_view::npos) return -1;
  const std::string_view rest = json.substr(at + 5);
  for (int i = 0; i < kBenchedTypeCount; ++i) {
    const std::string_view t = kBenchedTypes[i];
    if (rest.starts_with(t) && rest.size() > t.size() && rest[t.size()] == '"') return i;
  }
  return -1;
}

RecordedMessages load() {
  RecordedMessages m;
  m.data_dir = default_data_dir();
  for (const char* name : kFiles) {
    const std::string path = m.data_dir + "/" + name;
    if (!std::filesystem::exists(path)) continue;
    GzLineReader reader(path);
    std::string_view line;
    while (reader.next(line)) {
      const CaptureLine c = classify_capture_line(line);
      if (c.kind != CaptureLineKind::kJson || !c.json.starts_with(R"({"stream")")) continue;
      const int t = type_index(c.json);
      if (t < 0 || m.by_type[t].size() >= kMaxPerType) continue;
      std::string f;
      f.reserve(padded_capacity(c.json.size()));
      f.assign(c.json);
      m.by_type[t].push_back(std::move(f));
    }
  }
  return m;
}

}  // namespace

const RecordedMessages& recorded_messages() {
  static const RecordedMessages m = load();
  return m;
}

}  // namespace exitbrain::bench
