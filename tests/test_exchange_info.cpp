#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "net/exchange_info.hpp"
#include "tests/support/decimal_text.hpp"
#include "tests/support/paths.hpp"

namespace exitbrain {
namespace {

constexpr std::string_view kSample = R"({
  "timezone": "UTC", "serverTime": 1626858243909,
  "symbols": [
    {"symbol": "BTCUSDT", "status": "TRADING", "pricePrecision": 2,
     "filters": [
       {"minPrice": "556.72", "maxPrice": "1000000", "filterType": "PRICE_FILTER", "tickSize": "0.10"},
       {"stepSize": "0.001", "filterType": "LOT_SIZE", "maxQty": "1000", "minQty": "0.001"},
       {"stepSize": "0.001", "filterType": "MARKET_LOT_SIZE", "maxQty": "120", "minQty": "0.001"},
       {"limit": 200, "filterType": "MAX_NUM_ORDERS"},
       {"notional": "100", "filterType": "MIN_NOTIONAL"},
       {"multiplierDown": "0.9500", "multiplierUp": "1.0500", "multiplierDecimal": "4", "filterType": "PERCENT_PRICE"}]},
    {"symbol": "DOGEUSDT", "filters": [
       {"filterType": "PRICE_FILTER", "tickSize": "0.000010", "minPrice": "0.002", "maxPrice": "30"},
       {"filterType": "LOT_SIZE", "stepSize": "1", "minQty": "1", "maxQty": "50000000"},
       {"filterType": "MIN_NOTIONAL", "minNotional": "5"}]},
    {"symbol": "NOFILTERUSDT", "filters": []}
  ]})";

TEST(ExchangeInfo, AppliesFiltersToKnownSymbolsOnly) {
  SymbolTable symbols;
  const SymbolId btc = *symbols.intern("BTCUSDT");
  const ExchangeInfoResult r = apply_exchange_info(kSample, symbols);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.symbols_listed, 3u);
  EXPECT_EQ(r.symbols_updated, 1u);
  EXPECT_EQ(r.symbols_skipped, 2u);
  EXPECT_EQ(symbols.size(), 1u);
  const SymbolFilters& f = symbols.filters(btc);
  EXPECT_TRUE(f.tick_known);
  EXPECT_TRUE(f.step_known);
  EXPECT_EQ(f.tick_size, testing::dec("0.1"));
  EXPECT_EQ(f.step_size, testing::dec("0.001"));
  EXPECT_EQ(f.min_qty, testing::dec("0.001"));
  EXPECT_EQ(f.min_notional, testing::dec("100"));
}

TEST(ExchangeInfo, InternsEverySymbolWhenAsked) {
  SymbolTable symbols;
  const ExchangeInfoResult r = apply_exchange_info(kSample, symbols, {.intern_all = true});
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.symbols_updated, 3u);
  const SymbolFilters& doge = symbols.filters(*symbols.find("DOGEUSDT"));
  EXPECT_EQ(doge.tick_size, testing::dec("0.00001"));
  EXPECT_EQ(doge.step_size, testing::dec("1"));
  EXPECT_EQ(doge.min_notional, testing::dec("5"));  // the older "minNotional" key
  const SymbolFilters& none = symbols.filters(*symbols.find("NOFILTERUSDT"));
  EXPECT_FALSE(none.tick_known);
  EXPECT_FALSE(none.step_known);
}

TEST(ExchangeInfo, KeepsKnownFiltersWhenAsked) {
  SymbolTable symbols;
  const SymbolId btc = *symbols.intern("BTCUSDT");
  symbols.filters(btc).tick_size = testing::dec("0.5");
  symbols.filters(btc).tick_known = true;
  ASSERT_TRUE(apply_exchange_info(kSample, symbols, {.keep_known_filters = true}).ok());
  EXPECT_EQ(symbols.filters(btc).tick_size, testing::dec("0.5"));
  EXPECT_EQ(symbols.filters(btc).step_size, testing::dec("0.001"));
  ASSERT_TRUE(apply_exchange_info(kSample, symbols).ok());
  EXPECT_EQ(symbols.filters(btc).tick_size, testing::dec("0.1"));
}

TEST(ExchangeInfo, MalformedBodiesNameTheFieldAndChangeNothing) {
  struct Case {
    std::string body;
    std::string field;
    std::string symbol;
    std::string reason;
  };
  std::string zero_tick(kSample);
  zero_tick.replace(zero_tick.find("\"0.10\""), 6, "\"0\"");
  std::string bad_step(kSample);
  bad_step.replace(bad_step.find("\"stepSize\": \"1\""), 15, "\"stepSize\": \"one\"");
  std::string no_min_qty(kSample);
  const std::string min_qty = ", \"minQty\": \"0.001\"}";
  no_min_qty.replace(no_min_qty.find(min_qty), min_qty.size(), "}");
  const Case cases[] = {
      {"{", "json", "", ""},
      {R"({"timezone":"UTC"})", "symbols", "", "missing or not an array"},
      {R"({"symbols":[{"filters":[]}]})", "symbols[].symbol", "", "missing or not a string"},
      {zero_tick, "PRICE_FILTER.tickSize", "BTCUSDT", "not positive"},
      {bad_step, "LOT_SIZE.stepSize", "DOGEUSDT", "not a decimal number"},
      {no_min_qty, "LOT_SIZE.minQty", "BTCUSDT", "missing or not a string"},
  };
  for (const Case& c : cases) {
    SymbolTable symbols;
    const SymbolId btc = *symbols.intern("BTCUSDT");
    const ExchangeInfoResult r = apply_exchange_info(c.body, symbols, {.intern_all = true});
    EXPECT_EQ(r.status, ExchangeInfoStatus::kMalformed) << c.body;
    EXPECT_EQ(std::string(r.error_field), c.field) << c.body;
    EXPECT_EQ(r.error_symbol, c.symbol) << c.body;
    if (!c.reason.empty()) {
      EXPECT_EQ(r.error_reason, c.reason) << c.body;
    }
    EXPECT_FALSE(symbols.filters(btc).tick_known) << "nothing applied on error: " << c.body;
    EXPECT_EQ(symbols.size(), 1u) << c.body;
  }
}

TEST(ExchangeInfo, FindsTheBodyInASavedResponse) {
  EXPECT_EQ(exchange_info_body("  {\"symbols\":[]}\n"), "{\"symbols\":[]}\n");
  EXPECT_EQ(exchange_info_body(
                "https://fapi.binance.com/fapi/v1/exchangeInfo -> 1626992740.17: {\"a\":1}\n"
                "configuration: {\"x\":[]}"),
            "{\"a\":1}");
  EXPECT_EQ(exchange_info_body("configuration: {\"x\":[]}\n{\"a\":2}"), "{\"a\":2}");
  EXPECT_EQ(exchange_info_body("nothing here"), "");

  const auto path = std::filesystem::temp_directory_path() / "exitbrain_test_exchange_info.json";
  {
    std::ofstream out(path);
    out << "https://fapi.binance.com/fapi/v1/exchangeInfo -> 1.5: " << [] {
      std::string one_line(kSample);
      for (char& c : one_line)
        if (c == '\n') c = ' ';
      return one_line;
    }() << "\n";
  }
  SymbolTable symbols;
  symbols.intern("DOGEUSDT");
  const ExchangeInfoResult r = load_exchange_info_file(path.string(), symbols);
  std::filesystem::remove(path);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.symbols_updated, 1u);
  EXPECT_EQ(load_exchange_info_file("/nonexistent/exchangeInfo.json", symbols).status,
            ExchangeInfoStatus::kUnreadable);
}

TEST(ExchangeInfo, RecordedResponse) {
  const auto data = exitbrain::testing::shared_data_dir();
  const auto path = data / "ws" / "multi" / "exchangeinfo.BINANCE_FUTURES.0";
  if (data.empty() || !std::filesystem::exists(path)) {
    GTEST_SKIP() << "shared data not found (set EXITBRAIN_DATA_DIR or place it at ../shared/data)";
  }
  SymbolTable symbols;
  const ExchangeInfoResult r =
      load_exchange_info_file(path.string(), symbols, {.intern_all = true});
  ASSERT_TRUE(r.ok()) << r.message();
  std::cout << "[ recorded ] exchangeInfo: " << r.symbols_listed << " symbols listed, "
            << r.symbols_updated << " applied, " << r.symbols_skipped << " skipped\n";
  EXPECT_GT(r.symbols_updated, 100u);
  EXPECT_EQ(r.symbols_updated + r.symbols_skipped, r.symbols_listed);
  const SymbolFilters& btc = symbols.filters(*symbols.find("BTCUSDT"));
  EXPECT_TRUE(btc.tick_known && btc.step_known);
  EXPECT_EQ(btc.tick_size, testing::dec("0.01"));
  EXPECT_EQ(btc.step_size, testing::dec("0.001"));
  EXPECT_EQ(btc.min_qty, testing::dec("0.001"));
  EXPECT_EQ(btc.min_notional, testing::dec("5"));
  for (std::size_t id = 0; id < symbols.size(); ++id) {
    const SymbolFilters& f = symbols.filters(static_cast<SymbolId>(id));
    EXPECT_TRUE(f.tick_known && f.step_known) << symbols.name(static_cast<SymbolId>(id));
  }
}

}  // namespace
}  // namespace exitbrain
