// The market-data parser alone allocates nothing once warm, over every kind of message in
// the recorded Binance captures (../shared/data/ws): markPriceUpdate, bookTicker, trade,
// aggTrade, kline and the depth updates exitbrain never subscribes to (they must still
// cost no allocation to skip). Warm-up is one pass over the same messages: the first sight
// of a symbol interns its name, the only allocation the parser is allowed.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <string>
#include <vector>

#include "core/symbol_table.hpp"
#include "net/binance_message_parser.hpp"
#include "tests/support/counting_new.inc"
#include "tests/support/paths.hpp"
#include "tools/market_data/market_reader.hpp"

namespace exitbrain {
namespace {

constexpr std::size_t kPerFileAndType = 20'000;  // keeps the depth-heavy files small

// The "e" of a combined-stream message, e.g. "markPriceUpdate" ("" if none).
std::string event_type(std::string_view json) {
  const std::size_t at = json.find(R"("e":")");
  if (at == std::string_view::npos) return "";
  const std::size_t end = json.find('"', at + 5);
  return std::string(json.substr(at + 5, end - at - 5));
}

TEST(ParserAllocations, EveryRecordedMessageTypeParsesWithoutAllocatingOnceWarm) {
  const std::filesystem::path data = testing::shared_data_dir();
  if (data.empty() || !std::filesystem::exists(data / "ws"))
    GTEST_SKIP() << "recorded data absent (../shared/data/ws or EXITBRAIN_DATA_DIR): nothing to "
                    "parse";
  std::vector<std::string> frames;
  std::map<std::string, std::size_t> per_type;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data / "ws")) {
    if (!entry.is_regular_file() || entry.path().filename().string().starts_with("exchangeinfo"))
      continue;
    std::map<std::string, std::size_t> in_file;
    GzLineReader reader(entry.path().string());
    std::string_view line;
    while (reader.next(line)) {
      const CaptureLine c = classify_capture_line(line);
      if (c.kind != CaptureLineKind::kJson) continue;
      const std::string type = event_type(c.json);
      if (type.empty() || in_file[type]++ >= kPerFileAndType) continue;
      ++per_type[type];
      std::string f;
      f.reserve(padded_capacity(c.json.size()));
      f.assign(c.json);
      frames.push_back(std::move(f));
    }
  }
  for (const char* type :
       {"markPriceUpdate", "bookTicker", "trade", "aggTrade", "kline", "depthUpdate"})
    ASSERT_GT(per_type[type], 0u) << "no " << type << " message found in " << data / "ws";

  SymbolTable symbols;
  BinanceMessageParser parser(symbols, /*intern_unknown_symbols=*/true);
  // Counted per ParseStatus in a fixed array: a map would allocate inside the counted pass.
  using StatusCounts = std::array<std::size_t, 4>;
  auto at = [](StatusCounts& c, ParseStatus s) -> std::size_t& {
    return c[static_cast<std::size_t>(s)];
  };
  StatusCounts warm_status{};
  std::size_t events = 0;
  auto pass = [&](StatusCounts& status) {
    for (const std::string& f : frames)
      ++at(status,
           parser.parse(f.data(), f.size(), f.capacity(), [&](const MarketEvent&) { ++events; }));
  };
  pass(warm_status);
  const std::size_t warm_events = events;
  const long before = g_allocations.load();
  ASSERT_GT(before, 0) << "the counter must see the set-up's allocations, or a zero proves nothing";
  StatusCounts status{};
  pass(status);
  const long allocations = g_allocations.load() - before;

  EXPECT_EQ(allocations, 0) << "parsing " << frames.size() << " warm messages allocated";
  EXPECT_EQ(events - warm_events, warm_events) << "the second pass delivers what the first did";
  EXPECT_GT(at(status, ParseStatus::kOk), frames.size() / 4)
      << "most messages must be parsed, not skipped";
  EXPECT_EQ(at(status, ParseStatus::kMalformed), 0u) << parser.last_error().field;
  std::string seen;
  for (const auto& [type, n] : per_type) seen += " " + type + "=" + std::to_string(n);
  std::printf("parsed %zu messages twice:%s; %zu events per pass\n", frames.size(), seen.c_str(),
              warm_events);
}

}  // namespace
}  // namespace exitbrain
