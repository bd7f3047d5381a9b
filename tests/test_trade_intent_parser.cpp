#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

// core/events.hpp too: the intent consumer includes both, so they must not clash.
#include "core/events.hpp"
#include "net/trade_intent_parser.hpp"

namespace exitbrain {
namespace {

// 2025-12-24T04:32:14Z (date -u -d ... +%s), plus the seed's .062679 truncated to ms.
constexpr TimeMs kSeedTime = 1'766'550'734'062;

// One stream entry, owning its text; fields() gives the views the parser takes.
struct Entry {
  std::vector<std::pair<std::string, std::string>> items;

  std::vector<IntentField> fields() const {
    std::vector<IntentField> out;
    for (const auto& [name, value] : items) out.push_back({name, value});
    return out;
  }
  std::string* find(std::string_view name) {
    for (auto& [n, v] : items)
      if (n == name) return &v;
    return nullptr;
  }
  Entry& set(std::string_view name, std::string value) {
    if (std::string* v = find(name))
      *v = std::move(value);
    else
      items.emplace_back(std::string(name), std::move(value));
    return *this;
  }
  Entry& erase(std::string_view name) {
    std::erase_if(items, [&](const auto& item) { return item.first == name; });
    return *this;
  }
};

// Seed 004, event 1, as the producer writes it flat.
Entry seed_flat() {
  return Entry{{{"symbol", "NEARUSDT"},
                {"side", "BUY"},
                {"confidence", "0.72"},
                {"entry_price", "1.465"},
                {"stop_loss", "1.4357"},
                {"take_profit", "1.4943"},
                {"position_size_usd", "200.0"},
                {"leverage", "1"},
                {"atr_value", "0.02"},
                {"volatility_factor", "0.5513439007580968"},
                {"exchange_divergence", "0.0"},
                {"funding_rate", "0.0"},
                {"regime", "unknown"},
                {"timestamp", "2025-12-24T04:32:14.062679"},
                {"model", "ensemble"},
                {"reason", "AI signal"}}};
}

// Plain decimals only: an exponent form like 1e999 is refused by simdjson as a JSON number
// (the whole document fails), so the fault table sends those as strings.
bool is_json_number(std::string_view s) {
  if (s.empty() || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) return false;
  for (const char c : s)
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  return true;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

enum class Numbers { kAsJsonNumbers, kAsStrings };

// The same entry as one JSON object: numbers bare (when they are JSON numbers) or quoted.
std::string to_json(const Entry& e, Numbers numbers) {
  std::string out = "{";
  for (const auto& [name, value] : e.items) {
    if (out.size() > 1) out += ",";
    const bool bare = numbers == Numbers::kAsJsonNumbers && is_json_number(value) &&
                      name != "symbol" && name != "timestamp";
    out += json_string(name) + ":" + (bare ? value : json_string(value));
  }
  return out + "}";
}

Entry json_entry(const std::string& json, std::string name = "data") {
  return Entry{{{std::move(name), json}}};
}

class TradeIntentParserTest : public ::testing::Test {
 protected:
  TradeIntentParserTest() {
    for (const char* s : {"BTCUSDT", "NEARUSDT", "RENDERUSDT", "APTUSDT"}) (void)symbols_.intern(s);
  }
  IntentParseResult parse(const Entry& e) {
    const std::vector<IntentField> f = e.fields();
    return parser_.parse(f);
  }
  SymbolId near() const { return *symbols_.find("NEARUSDT"); }

  SymbolTable symbols_;
  TradeIntentParser parser_{symbols_};
};

void expect_same(const TradeIntent& a, const TradeIntent& b) {
  EXPECT_EQ(a.symbol, b.symbol);
  EXPECT_EQ(a.side, b.side);
  EXPECT_EQ(a.confidence, b.confidence);
  EXPECT_EQ(a.entry_price, b.entry_price);
  EXPECT_EQ(a.stop_loss, b.stop_loss);
  EXPECT_EQ(a.take_profit, b.take_profit);
  EXPECT_EQ(a.position_size_usd, b.position_size_usd);
  EXPECT_EQ(a.leverage, b.leverage);
  EXPECT_EQ(a.atr_value, b.atr_value);
  EXPECT_EQ(a.volatility_factor, b.volatility_factor);
  EXPECT_EQ(a.exchange_divergence, b.exchange_divergence);
  EXPECT_EQ(a.funding_rate, b.funding_rate);
  EXPECT_EQ(a.regime, b.regime);
  EXPECT_EQ(a.timestamp_ms, b.timestamp_ms);
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.reason, b.reason);
}

// ---- the seed intent --------------------------------------------------------------------

TEST_F(TradeIntentParserTest, SeedIntentFlat) {
  const IntentParseResult r = parse(seed_flat());
  ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
  EXPECT_FALSE(r.is_json);
  const TradeIntent& in = r.intent;
  EXPECT_EQ(in.symbol, near());
  EXPECT_EQ(in.side, Side::kLong);
  EXPECT_EQ(in.confidence, 0.72);
  EXPECT_EQ(in.entry_price, 1.465);
  EXPECT_EQ(in.stop_loss, 1.4357);
  EXPECT_EQ(in.take_profit, 1.4943);
  EXPECT_EQ(in.position_size_usd, 200.0);
  EXPECT_EQ(in.leverage, 1.0);
  EXPECT_EQ(in.atr_value, 0.02);
  EXPECT_EQ(in.volatility_factor, 0.5513439007580968);
  EXPECT_EQ(in.exchange_divergence, 0.0);
  EXPECT_EQ(in.funding_rate, 0.0);
  EXPECT_EQ(in.regime, Regime::kUnknown);
  EXPECT_EQ(in.timestamp_ms, kSeedTime);
  EXPECT_EQ(in.model, "ensemble");
  EXPECT_EQ(in.reason, "AI signal");
}

TEST_F(TradeIntentParserTest, SeedIntentJsonNumbersAndJsonStringsMatchFlat) {
  const IntentParseResult flat = parse(seed_flat());
  ASSERT_TRUE(flat.ok()) << flat.error.field << ": " << flat.error.reason;

  const std::string numbers = to_json(seed_flat(), Numbers::kAsJsonNumbers);
  ASSERT_NE(numbers.find("\"confidence\":0.72"), std::string::npos) << numbers;
  ASSERT_NE(numbers.find("\"leverage\":1,"), std::string::npos) << numbers;
  const IntentParseResult as_numbers = parse(json_entry(numbers));
  ASSERT_TRUE(as_numbers.ok()) << as_numbers.error.field << ": " << as_numbers.error.reason;
  EXPECT_TRUE(as_numbers.is_json);
  expect_same(as_numbers.intent, flat.intent);

  const std::string strings = to_json(seed_flat(), Numbers::kAsStrings);
  ASSERT_NE(strings.find("\"confidence\":\"0.72\""), std::string::npos) << strings;
  const IntentParseResult as_strings = parse(json_entry(strings));
  ASSERT_TRUE(as_strings.ok()) << as_strings.error.field << ": " << as_strings.error.reason;
  EXPECT_TRUE(as_strings.is_json);
  expect_same(as_strings.intent, flat.intent);
}

TEST_F(TradeIntentParserTest, JsonCarrierNamesAndLoneJsonField) {
  const IntentParseResult flat = parse(seed_flat());
  ASSERT_TRUE(flat.ok());
  const std::string json = to_json(seed_flat(), Numbers::kAsJsonNumbers);
  for (const char* name : {"data", "payload", "intent", "json", "anything_else"}) {
    SCOPED_TRACE(name);
    const IntentParseResult r = parse(json_entry(json, name));
    ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
    EXPECT_TRUE(r.is_json);
    expect_same(r.intent, flat.intent);
  }
  // Leading whitespace before the object still makes it JSON.
  const IntentParseResult spaced = parse(json_entry(" \n\t" + json));
  ASSERT_TRUE(spaced.ok()) << spaced.error.field << ": " << spaced.error.reason;
  EXPECT_TRUE(spaced.is_json);
}

TEST_F(TradeIntentParserTest, JsonEntryIgnoresItsOtherFlatFields) {
  Entry e = json_entry(to_json(seed_flat(), Numbers::kAsJsonNumbers), "payload");
  // Flat fields beside the carrier would each be invalid; they must not be read.
  e.set("confidence", "5").set("symbol", "XYZUSDT").set("producer", "simple_bot");
  const IntentParseResult r = parse(e);
  ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
  EXPECT_EQ(r.intent.confidence, 0.72);
  EXPECT_EQ(r.intent.symbol, near());
}

TEST_F(TradeIntentParserTest, FlatReasonStartingWithBraceStaysFlat) {
  // The only '{' value is an intent field of its own: this is a flat entry.
  const IntentParseResult r = parse(seed_flat().set("reason", "{momentum} breakout"));
  ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
  EXPECT_FALSE(r.is_json);
  EXPECT_EQ(r.intent.reason, "{momentum} breakout");
}

TEST_F(TradeIntentParserTest, UnknownFieldsAreIgnored) {
  Entry e = seed_flat();
  e.set("producer_version", "3.5").set("trace_id", "abc").set("Confidence", "7");
  const IntentParseResult r = parse(e);
  ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
  EXPECT_EQ(r.intent.confidence, 0.72);  // "Confidence" is not "confidence"
}

TEST_F(TradeIntentParserTest, OnlyRequiredFieldsGiveDefaults) {
  Entry e{{{"symbol", "APTUSDT"},
           {"side", "SELL"},
           {"confidence", "0.72"},
           {"entry_price", "8.5"},
           {"position_size_usd", "200.0"},
           {"volatility_factor", "0.5488281913598673"},
           {"timestamp", "1766550734062"}}};
  const IntentParseResult r = parse(e);
  ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
  EXPECT_EQ(r.intent.symbol, *symbols_.find("APTUSDT"));
  EXPECT_EQ(r.intent.side, Side::kShort);
  EXPECT_EQ(r.intent.stop_loss, 0.0);
  EXPECT_EQ(r.intent.take_profit, 0.0);
  EXPECT_EQ(r.intent.leverage, 0.0);
  EXPECT_EQ(r.intent.atr_value, 0.0);
  EXPECT_EQ(r.intent.exchange_divergence, 0.0);
  EXPECT_EQ(r.intent.funding_rate, 0.0);
  EXPECT_EQ(r.intent.regime, Regime::kUnknown);
  EXPECT_EQ(r.intent.timestamp_ms, kSeedTime);
  EXPECT_TRUE(r.intent.model.empty());
  EXPECT_TRUE(r.intent.reason.empty());
}

TEST_F(TradeIntentParserTest, SellIsAcceptedWithMirroredLevels) {
  Entry e = seed_flat();
  e.set("side", "SELL").set("stop_loss", "1.4943").set("take_profit", "1.4357");
  const IntentParseResult r = parse(e);
  ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
  EXPECT_EQ(r.intent.side, Side::kShort);
  EXPECT_EQ(r.intent.stop_loss, 1.4943);
  EXPECT_EQ(r.intent.take_profit, 1.4357);

  const IntentParseResult j = parse(json_entry(to_json(e, Numbers::kAsJsonNumbers)));
  ASSERT_TRUE(j.ok()) << j.error.field << ": " << j.error.reason;
  expect_same(j.intent, r.intent);
}

TEST_F(TradeIntentParserTest, SideAndRegimeSpellings) {
  const std::pair<const char*, Side> sides[] = {{"buy", Side::kLong},   {"Buy", Side::kLong},
                                                {"LONG", Side::kLong},  {"long", Side::kLong},
                                                {"sell", Side::kShort}, {"SHORT", Side::kShort},
                                                {"Short", Side::kShort}};
  for (const auto& [text, side] : sides) {
    SCOPED_TRACE(text);
    Entry e = seed_flat().set("side", text);
    if (side == Side::kShort) e.set("stop_loss", "1.4943").set("take_profit", "1.4357");
    const IntentParseResult r = parse(e);
    ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
    EXPECT_EQ(r.intent.side, side);
  }
  const std::pair<const char*, Regime> regimes[] = {
      {"unknown", Regime::kUnknown},   {"UNKNOWN", Regime::kUnknown},
      {"range", Regime::kRange},       {"RANGE", Regime::kRange},
      {"ranging", Regime::kRange},     {"Ranging", Regime::kRange},
      {"trending", Regime::kTrending}, {"TRENDING", Regime::kTrending},
      {"volatile", Regime::kVolatile}, {"Volatile", Regime::kVolatile}};
  for (const auto& [text, regime] : regimes) {
    SCOPED_TRACE(text);
    const IntentParseResult r = parse(seed_flat().set("regime", text));
    ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
    EXPECT_EQ(r.intent.regime, regime);
  }
}

TEST_F(TradeIntentParserTest, SymbolIsMatchedCaseInsensitively) {
  const IntentParseResult r = parse(seed_flat().set("symbol", "nearusdt"));
  ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
  EXPECT_EQ(r.intent.symbol, near());
}

TEST_F(TradeIntentParserTest, ZeroStopAndTargetMeanNone) {
  const IntentParseResult r = parse(seed_flat().set("stop_loss", "0").set("take_profit", "0.0"));
  ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
  EXPECT_EQ(r.intent.stop_loss, 0.0);
  EXPECT_EQ(r.intent.take_profit, 0.0);
}

TEST_F(TradeIntentParserTest, BoundsAreInclusiveWhereTheRuleSaysSo) {
  Entry e = seed_flat();
  e.set("confidence", "1").set("volatility_factor", "0").set("leverage", "125");
  e.set("funding_rate", "-1").set("atr_value", "0").set("exchange_divergence", "-3.5");
  const IntentParseResult r = parse(e);
  ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
  EXPECT_EQ(r.intent.confidence, 1.0);
  EXPECT_EQ(r.intent.volatility_factor, 0.0);
  EXPECT_EQ(r.intent.leverage, 125.0);
  EXPECT_EQ(r.intent.funding_rate, -1.0);
  EXPECT_EQ(r.intent.exchange_divergence, -3.5);
}

TEST_F(TradeIntentParserTest, TextFieldsAtTheirLimitsAreKept) {
  const std::string model(128, 'm'), reason(256, 'r');
  const IntentParseResult r = parse(seed_flat().set("model", model).set("reason", reason));
  ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
  EXPECT_EQ(r.intent.model, model);
  EXPECT_EQ(r.intent.reason, reason);
}

// ---- validation errors -------------------------------------------------------------------

struct Fault {
  const char* name;                  // test label
  const char* key;                   // the field changed
  std::optional<std::string> value;  // nullopt: removed
  const char* field;                 // expected error field
  const char* reason;                // expected in the reason
};

std::vector<Fault> faults() {
  return {
      // Each required field missing.
      {"symbol missing", "symbol", std::nullopt, "symbol", "missing"},
      {"side missing", "side", std::nullopt, "side", "missing"},
      {"confidence missing", "confidence", std::nullopt, "confidence", "missing"},
      {"entry missing", "entry_price", std::nullopt, "entry_price", "missing"},
      {"size missing", "position_size_usd", std::nullopt, "position_size_usd", "missing"},
      {"volatility missing", "volatility_factor", std::nullopt, "volatility_factor", "missing"},
      {"timestamp missing", "timestamp", std::nullopt, "timestamp", "missing"},
      // Ranges.
      {"confidence high", "confidence", "1.5", "confidence", "must be in [0,1], got 1.5"},
      {"confidence low", "confidence", "-0.1", "confidence", "must be in [0,1], got -0.1"},
      {"entry zero", "entry_price", "0", "entry_price", "must be > 0, got 0"},
      {"entry negative", "entry_price", "-1.465", "entry_price", "must be > 0, got -1.465"},
      {"size zero", "position_size_usd", "0", "position_size_usd", "must be > 0, got 0"},
      {"size negative", "position_size_usd", "-200", "position_size_usd", "must be > 0"},
      {"leverage zero", "leverage", "0", "leverage", "must be in [1,125], got 0"},
      {"leverage high", "leverage", "126", "leverage", "must be in [1,125], got 126"},
      {"atr negative", "atr_value", "-0.02", "atr_value", "must be >= 0, got -0.02"},
      {"volatility high", "volatility_factor", "1.2", "volatility_factor",
       "must be in [0,1], got 1.2"},
      {"volatility low", "volatility_factor", "-0.5", "volatility_factor", "must be in [0,1]"},
      {"funding high", "funding_rate", "1.5", "funding_rate", "must be in [-1,1], got 1.5"},
      {"funding low", "funding_rate", "-2", "funding_rate", "must be in [-1,1], got -2"},
      {"stop negative", "stop_loss", "-1", "stop_loss", "must be > 0 (0 means none), got -1"},
      {"target negative", "take_profit", "-1", "take_profit", "must be > 0"},
      // Not finite.
      {"confidence nan", "confidence", "nan", "confidence", "not a finite number, got nan"},
      {"entry inf", "entry_price", "inf", "entry_price", "not a finite number, got inf"},
      {"size -inf", "position_size_usd", "-inf", "position_size_usd",
       "not a finite number, got -inf"},
      {"entry 1e999", "entry_price", "1e999", "entry_price", "not a finite number, got 1e999"},
      {"divergence nan", "exchange_divergence", "NaN", "exchange_divergence",
       "not a finite number, got NaN"},
      {"divergence infinity", "exchange_divergence", "infinity", "exchange_divergence",
       "not a finite number"},
      {"atr underflow", "atr_value", "1e-999", "atr_value", "too close to zero"},
      {"stop nan", "stop_loss", "nan", "stop_loss", "not a finite number"},
      // Not numbers at all: from_chars must consume the whole text.
      {"confidence word", "confidence", "high", "confidence", "not a number, got high"},
      {"confidence suffix", "confidence", "0.72x", "confidence", "not a number, got 0.72x"},
      {"confidence space", "confidence", " 0.72", "confidence", "not a number"},
      {"confidence trailing space", "confidence", "0.72 ", "confidence", "not a number"},
      {"confidence plus", "confidence", "+0.72", "confidence", "not a number, got +0.72"},
      {"confidence empty", "confidence", "", "confidence", "not a number, got an empty value"},
      {"size hex", "position_size_usd", "0x10", "position_size_usd", "not a number"},
      {"leverage word", "leverage", "None", "leverage", "not a number, got None"},
      // Wrong side of the entry for a BUY.
      {"buy stop above", "stop_loss", "1.5", "stop_loss",
       "must be below entry_price 1.465 for BUY, got 1.5"},
      {"buy stop at entry", "stop_loss", "1.465", "stop_loss",
       "must be below entry_price 1.465 for BUY, got 1.465"},
      {"buy target below", "take_profit", "1.4", "take_profit",
       "must be above entry_price 1.465 for BUY, got 1.4"},
      // Text fields.
      {"unknown symbol", "symbol", "XYZUSDT", "symbol", "unknown symbol, got XYZUSDT"},
      {"empty symbol", "symbol", "", "symbol", "unknown symbol, got an empty value"},
      {"bad side", "side", "HOLD", "side", "must be BUY or SELL, got HOLD"},
      {"side with space", "side", "BUY ", "side", "must be BUY or SELL, got BUY "},
      {"bad regime", "regime", "sideways", "regime",
       "must be unknown, range, ranging, trending or volatile, got sideways"},
      {"calm regime", "regime", "calm", "regime", "got calm"},
      {"model too long", "model", std::string(129, 'm'), "model",
       "must be at most 128 bytes, got 129 bytes"},
      {"reason too long", "reason", std::string(257, 'r'), "reason",
       "must be at most 256 bytes, got 257 bytes"},
      // Timestamps.
      {"timestamp word", "timestamp", "yesterday", "timestamp", "got yesterday"},
      {"timestamp before 2017", "timestamp", "2016-12-31T23:59:59", "timestamp",
       "got 2016-12-31T23:59:59"},
      {"timestamp after 2100", "timestamp", "2101-01-01T00:00:00Z", "timestamp",
       "got 2101-01-01T00:00:00Z"},
      {"timestamp bad month", "timestamp", "2025-13-24T04:32:14", "timestamp", "ISO-8601"},
      {"timestamp epoch 0", "timestamp", "0", "timestamp", "got 0"},
      {"timestamp micros", "timestamp", "1766550734062679", "timestamp", "got 1766550734062679"},
  };
}

TEST_F(TradeIntentParserTest, EveryFaultNamesItsFieldFlatAndJson) {
  for (const Fault& f : faults()) {
    SCOPED_TRACE(f.name);
    Entry e = seed_flat();
    if (f.value)
      e.set(f.key, *f.value);
    else
      e.erase(f.key);
    for (int shape = 0; shape < 3; ++shape) {
      SCOPED_TRACE(shape == 0 ? "flat" : shape == 1 ? "json numbers" : "json strings");
      const IntentParseResult r =
          shape == 0 ? parse(e)
                     : parse(json_entry(
                           to_json(e, shape == 1 ? Numbers::kAsJsonNumbers : Numbers::kAsStrings)));
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.is_json, shape != 0);
      EXPECT_EQ(r.error.field, f.field) << r.error.reason;
      EXPECT_NE(r.error.reason.find(f.reason), std::string::npos)
          << "reason: " << r.error.reason << "\nexpected to contain: " << f.reason;
    }
  }
}

TEST_F(TradeIntentParserTest, SellWithLevelsOnTheBuySideIsRefused) {
  Entry e = seed_flat().set("side", "SELL");  // the BUY seed's stop 1.4357 / target 1.4943
  IntentParseResult r = parse(e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "stop_loss");
  EXPECT_EQ(r.error.reason, "must be above entry_price 1.465 for SELL, got 1.4357");

  r = parse(e.set("stop_loss", "1.4943"));  // stop now above; the target 1.4943 is too
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "take_profit");
  EXPECT_EQ(r.error.reason, "must be below entry_price 1.465 for SELL, got 1.4943");
}

TEST_F(TradeIntentParserTest, FailedParseLeavesNoHalfIntent) {
  const IntentParseResult r = parse(seed_flat().set("timestamp", "never"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.intent.symbol, kNoSymbol);
  EXPECT_EQ(r.intent.confidence, 0.0);
  EXPECT_TRUE(r.intent.model.empty());
}

TEST_F(TradeIntentParserTest, FirstFaultInFieldOrderIsReported) {
  // confidence comes before timestamp in the rule order, whatever the entry's order.
  Entry e = seed_flat().set("timestamp", "never").set("confidence", "2");
  const IntentParseResult r = parse(e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "confidence");
}

TEST_F(TradeIntentParserTest, ReasonQuotesOnlyTheOffendingValueAndTruncatesIt) {
  Entry e = seed_flat();
  e.set("reason", "secret-ish producer text").set("confidence", std::string(5000, '9'));
  const IntentParseResult r = parse(e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "confidence");
  EXPECT_EQ(r.error.reason.find("secret"), std::string::npos) << r.error.reason;
  EXPECT_NE(r.error.reason.find("(5000 bytes)"), std::string::npos) << r.error.reason;
  EXPECT_LT(r.error.reason.size(), 120u) << r.error.reason;
}

TEST_F(TradeIntentParserTest, BinaryBytesAreEscapedInTheReason) {
  const std::string binary("NEAR\0\xFF\x1B[2J", 10);
  const IntentParseResult r = parse(seed_flat().set("symbol", binary));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "symbol");
  EXPECT_EQ(r.error.reason, "unknown symbol, got NEAR\\x00\\xFF\\x1B[2J");
}

// ---- duplicated fields --------------------------------------------------------------------

TEST_F(TradeIntentParserTest, FlatFieldGivenTwice) {
  Entry e = seed_flat();
  e.items.emplace_back("confidence", "0.72");  // even the same value: which one is meant?
  const IntentParseResult r = parse(e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "confidence");
  EXPECT_EQ(r.error.reason, "given twice");
}

TEST_F(TradeIntentParserTest, UnknownFieldGivenTwiceIsStillIgnored) {
  Entry e = seed_flat();
  e.items.emplace_back("trace", "a");
  e.items.emplace_back("trace", "b");
  EXPECT_TRUE(parse(e).ok());
}

TEST_F(TradeIntentParserTest, JsonKeyGivenTwice) {
  std::string json = to_json(seed_flat(), Numbers::kAsJsonNumbers);
  json.insert(1, "\"entry_price\":null,");  // null is a value too: the key is twice
  const IntentParseResult r = parse(json_entry(json));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "entry_price");
  EXPECT_EQ(r.error.reason, "given twice");
}

// ---- JSON-specific ------------------------------------------------------------------------

TEST_F(TradeIntentParserTest, MalformedJsonIsAJsonError) {
  const std::string json = to_json(seed_flat(), Numbers::kAsJsonNumbers);
  const std::vector<std::string> bad = {
      json.substr(0, json.size() - 1),          // unterminated object
      "{\"symbol\":\"NEARUSDT\",}",             // trailing comma
      "{symbol: NEARUSDT}",                     // the seed's report format, not JSON
      json + " trailing",                       // content after the object
      "{\"confidence\":0.72.1}",                // bad number
      "{\"confidence\":1e999}",                 // simdjson refuses the whole document
      std::string("{\"model\":\"\xFF\xFE\"}"),  // not UTF-8
  };
  for (const std::string& text : bad) {
    SCOPED_TRACE(text);
    const IntentParseResult r = parse(json_entry(text));
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.is_json);
    EXPECT_EQ(r.error.field, "json");
    EXPECT_EQ(r.error.reason.rfind("not valid JSON: ", 0), 0u) << r.error.reason;
    // simdjson's own words follow the prefix.
    EXPECT_GT(r.error.reason.size(), std::string_view("not valid JSON: ").size());
  }
}

TEST_F(TradeIntentParserTest, JsonArrayIsNotAnObject) {
  const std::string json = "[" + to_json(seed_flat(), Numbers::kAsJsonNumbers) + "]";
  const IntentParseResult r = parse(json_entry(json, "data"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.is_json);
  EXPECT_EQ(r.error.field, "json");
  EXPECT_EQ(r.error.reason, "not a JSON object, got an array");
}

TEST_F(TradeIntentParserTest, TwoJsonCarriersAreAmbiguous) {
  const std::string json = to_json(seed_flat(), Numbers::kAsJsonNumbers);
  Entry e{{{"data", json}, {"payload", json}}};
  const IntentParseResult r = parse(e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "json");
}

TEST_F(TradeIntentParserTest, TwoUnnamedBracedFieldsAreNotJson) {
  // Neither is chosen: the entry is read flat, and has no intent fields.
  const std::string json = to_json(seed_flat(), Numbers::kAsJsonNumbers);
  Entry e{{{"a", json}, {"b", json}}};
  const IntentParseResult r = parse(e);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.is_json);
  EXPECT_EQ(r.error.field, "symbol");
  EXPECT_EQ(r.error.reason, "missing");
}

TEST_F(TradeIntentParserTest, JsonOversizedValueIsRefusedBeforeParsing) {
  std::string json = to_json(seed_flat(), Numbers::kAsJsonNumbers);
  json.insert(1, "\"padding\":\"" + std::string(1 << 20, 'x') + "\",");
  const IntentParseResult r = parse(json_entry(json));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "json");
  EXPECT_NE(r.error.reason.find("larger than 65536 bytes"), std::string::npos) << r.error.reason;
}

TEST_F(TradeIntentParserTest, JsonNullIsAbsentForOptionalAndMissingForRequired) {
  Entry e = seed_flat();
  e.erase("stop_loss").erase("leverage").erase("regime").erase("model");
  std::string json = to_json(e, Numbers::kAsJsonNumbers);
  json.insert(1, "\"stop_loss\":null,\"leverage\":null,\"regime\":null,\"model\":null,");
  IntentParseResult r = parse(json_entry(json));
  ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
  EXPECT_EQ(r.intent.stop_loss, 0.0);
  EXPECT_EQ(r.intent.leverage, 0.0);
  EXPECT_EQ(r.intent.regime, Regime::kUnknown);
  EXPECT_TRUE(r.intent.model.empty());

  std::string required = to_json(seed_flat().erase("confidence"), Numbers::kAsJsonNumbers);
  required.insert(1, "\"confidence\":null,");
  r = parse(json_entry(required));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "confidence");
  EXPECT_EQ(r.error.reason, "missing");
}

TEST_F(TradeIntentParserTest, JsonWrongTypes) {
  struct Case {
    const char* key;
    const char* json_value;
    const char* reason;
  };
  const Case cases[] = {
      {"confidence", "true", "not a number, got true"},
      {"entry_price", "false", "not a number, got false"},
      {"position_size_usd", "[200]", "not a number, got an array"},
      {"volatility_factor", "{\"v\":0.5}", "not a number, got an object"},
      {"symbol", "42", "not a string, got 42"},
      {"side", "[\"BUY\"]", "not a string, got an array"},
      {"model", "7", "not a string, got 7"},
      {"timestamp", "true", "got true"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    std::string json = to_json(seed_flat().erase(c.key), Numbers::kAsJsonNumbers);
    json.insert(1, "\"" + std::string(c.key) + "\":" + c.json_value + ",");
    const IntentParseResult r = parse(json_entry(json));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error.field, c.key);
    EXPECT_NE(r.error.reason.find(c.reason), std::string::npos) << r.error.reason;
  }
}

TEST_F(TradeIntentParserTest, JsonTimestampAsNumber) {
  for (const char* value : {"1766550734062", "1766550734.062679", "1766550734.062",
                            "1.766550734062e12", "\"1766550734062\""}) {
    SCOPED_TRACE(value);
    std::string json = to_json(seed_flat().erase("timestamp"), Numbers::kAsJsonNumbers);
    json.insert(1, std::string("\"timestamp\":") + value + ",");
    const IntentParseResult r = parse(json_entry(json));
    ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
    EXPECT_EQ(r.intent.timestamp_ms, kSeedTime);
  }
  std::string json = to_json(seed_flat().erase("timestamp"), Numbers::kAsJsonNumbers);
  json.insert(1, "\"timestamp\":-1766550734,");
  const IntentParseResult r = parse(json_entry(json));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "timestamp");
  EXPECT_NE(r.error.reason.find("got -1766550734"), std::string::npos) << r.error.reason;
}

TEST_F(TradeIntentParserTest, JsonStringEscapesAreUnescaped) {
  std::string json = to_json(seed_flat().erase("symbol").erase("reason"), Numbers::kAsStrings);
  json.insert(1, R"("symbol":"NEAR\u0055SDT","reason":"say \"hi\"",)");
  const IntentParseResult r = parse(json_entry(json));
  ASSERT_TRUE(r.ok()) << r.error.field << ": " << r.error.reason;
  EXPECT_EQ(r.intent.symbol, near());
  EXPECT_EQ(r.intent.reason, "say \"hi\"");
}

TEST_F(TradeIntentParserTest, ParserIsReusableAcrossShapes) {
  Entry other = seed_flat();
  other.set("symbol", "BTCUSDT").set("model", "lstm").set("entry_price", "64000");
  other.set("stop_loss", "63000").set("take_profit", "66000");
  const IntentParseResult a = parse(json_entry(to_json(other, Numbers::kAsJsonNumbers)));
  ASSERT_TRUE(a.ok()) << a.error.field << ": " << a.error.reason;
  const IntentParseResult bad = parse(json_entry("{\"symbol\":"));
  ASSERT_FALSE(bad.ok());
  const IntentParseResult b = parse(json_entry(to_json(seed_flat(), Numbers::kAsStrings)));
  ASSERT_TRUE(b.ok()) << b.error.field << ": " << b.error.reason;
  // a's strings are owned by a: the parser's next documents did not change them.
  EXPECT_EQ(a.intent.model, "lstm");
  EXPECT_EQ(a.intent.symbol, *symbols_.find("BTCUSDT"));
  EXPECT_EQ(b.intent.model, "ensemble");
  EXPECT_EQ(b.intent.symbol, near());
}

// ---- timestamps ---------------------------------------------------------------------------

TEST(ParseIntentTimestamp, IsoForms) {
  EXPECT_EQ(parse_intent_timestamp("2025-12-24T04:32:14.062679"), kSeedTime);
  EXPECT_EQ(parse_intent_timestamp("2025-12-24T04:32:14.062679Z"), kSeedTime);
  EXPECT_EQ(parse_intent_timestamp("2025-12-24T04:32:14.062679+00:00"), kSeedTime);
  EXPECT_EQ(parse_intent_timestamp("2025-12-24T04:32:14.062679-00:00"), kSeedTime);
  // Offsets: local time minus the offset is UTC.
  EXPECT_EQ(parse_intent_timestamp("2025-12-24T06:32:14.062+02:00"), kSeedTime);
  EXPECT_EQ(parse_intent_timestamp("2025-12-23T23:02:14.062-05:30"), kSeedTime);
  EXPECT_EQ(parse_intent_timestamp("2025-12-24T05:32:14.062+01:00"), kSeedTime);
  // Fractions of any length, truncated (not rounded) to ms.
  EXPECT_EQ(parse_intent_timestamp("2025-12-24T04:32:14"), kSeedTime - 62);
  EXPECT_EQ(parse_intent_timestamp("2025-12-24T04:32:14.5"), kSeedTime - 62 + 500);
  EXPECT_EQ(parse_intent_timestamp("2025-12-24T04:32:14.06"), kSeedTime - 2);
  EXPECT_EQ(parse_intent_timestamp("2025-12-24T04:32:14.0629"), kSeedTime);
  EXPECT_EQ(parse_intent_timestamp("2025-12-24T04:32:14.062999999999Z"), kSeedTime);
  // Calendar edges.
  EXPECT_EQ(parse_intent_timestamp("2017-01-01T00:00:00Z"), 1'483'228'800'000);
  EXPECT_EQ(parse_intent_timestamp("2024-02-29T00:00:00Z"), 1'709'164'800'000);
  EXPECT_EQ(parse_intent_timestamp("2000-03-01T00:00:00+00:00"), std::nullopt);
  EXPECT_EQ(parse_intent_timestamp("2100-12-31T23:59:59.999Z"), 4'133'980'799'999);
  EXPECT_EQ(parse_intent_timestamp("2025-12-31T23:30:00-01:00"), 1'767'227'400'000);
}

TEST(ParseIntentTimestamp, EpochNumbers) {
  EXPECT_EQ(parse_intent_timestamp("1766550734062"), kSeedTime);    // ms
  EXPECT_EQ(parse_intent_timestamp("1766550734"), kSeedTime - 62);  // s
  EXPECT_EQ(parse_intent_timestamp("1766550734.062679"), kSeedTime);
  EXPECT_EQ(parse_intent_timestamp("1766550734.5"), kSeedTime - 62 + 500);
  EXPECT_EQ(parse_intent_timestamp("1766550734062.9"), kSeedTime);  // sub-ms dropped
  EXPECT_EQ(parse_intent_timestamp("1.766550734062e12"), kSeedTime);
  EXPECT_EQ(parse_intent_timestamp("1.766550734e9"), kSeedTime - 62);
  EXPECT_EQ(parse_intent_timestamp("1483228800"), 1'483'228'800'000);  // 2017-01-01 in s
  EXPECT_EQ(parse_intent_timestamp("1483228800000"), 1'483'228'800'000);
}

TEST(ParseIntentTimestamp, Rejects) {
  for (const char* bad : {
           "",
           " ",
           "2025-12-24",
           "2025-12-24T04:32",
           "2025-12-24 04:32:14",  // only 'T' separates date and time
           "2025-12-24t04:32:14",
           "2025-12-24T04:32:14.",       // a dot needs digits
           "2025-12-24T04:32:14.062Zx",  // trailing garbage
           "2025-12-24T04:32:14+0200",   // offset needs its colon
           "2025-12-24T04:32:14+02",
           "2025-12-24T04:32:14+24:00",
           "2025-12-24T04:32:14+02:60",
           "2025-12-24T04:32:14 Z",
           " 2025-12-24T04:32:14",
           "2025-12-24T24:00:00",
           "2025-12-24T04:60:00",
           "2025-12-24T04:32:60",
           "2025-00-10T00:00:00",
           "2025-13-10T00:00:00",
           "2025-02-29T00:00:00",  // not a leap year
           "2025-04-31T00:00:00",
           "2025-12-00T00:00:00",
           "2100-02-29T00:00:00",  // 2100 is not a leap year either
           "2016-12-31T23:59:59.999Z",
           "2017-01-01T00:30:00+01:00",  // 2016-12-31T23:30Z
           "2101-01-01T00:00:00Z",
           "9999-12-31T23:59:59Z",
           "+2025-12-24T04:32:14",
           "1483228799",     // a second before 2017
           "1483228799999",  // a millisecond before 2017
           "0",
           "-1766550734",
           "+1766550734",
           "1766550734062679",  // microseconds: past 2100 read as ms
           "99999999999999999999999",
           "1766550734.",
           ".5",
           "1766550734x",
           "0x69499cce",
           "nan",
           "inf",
           "1e999",
           "1.7e400",
       }) {
    EXPECT_EQ(parse_intent_timestamp(bad), std::nullopt) << '"' << bad << '"';
  }
}

// ---- robustness ---------------------------------------------------------------------------

// What every failure must look like, whatever the input.
void expect_well_formed(const IntentParseResult& r) {
  static const std::vector<std::string> kFields = {
      "json",
      "symbol",
      "side",
      "confidence",
      "entry_price",
      "stop_loss",
      "take_profit",
      "position_size_usd",
      "leverage",
      "atr_value",
      "volatility_factor",
      "exchange_divergence",
      "funding_rate",
      "regime",
      "timestamp",
      "model",
      "reason",
  };
  if (r.ok()) {
    // A valid intent honours every rule.
    EXPECT_NE(r.intent.symbol, kNoSymbol);
    EXPECT_TRUE(r.intent.confidence >= 0 && r.intent.confidence <= 1);
    EXPECT_GT(r.intent.entry_price, 0);
    EXPECT_GT(r.intent.position_size_usd, 0);
    EXPECT_TRUE(r.intent.volatility_factor >= 0 && r.intent.volatility_factor <= 1);
    EXPECT_TRUE(std::isfinite(r.intent.exchange_divergence));
    EXPECT_GE(r.intent.timestamp_ms, 1'483'228'800'000);
    EXPECT_LE(r.intent.model.size(), 128u);
    EXPECT_LE(r.intent.reason.size(), 256u);
    return;
  }
  EXPECT_NE(std::find(kFields.begin(), kFields.end(), r.error.field), kFields.end())
      << r.error.field;
  EXPECT_FALSE(r.error.reason.empty());
  for (const char c : r.error.reason) {
    const auto u = static_cast<unsigned char>(c);
    ASSERT_TRUE(u >= 0x20 && u < 0x7F) << "raw byte " << int(u) << " in: " << r.error.reason;
  }
}

TEST_F(TradeIntentParserTest, EmptyEntry) {
  const IntentParseResult r = parser_.parse({});
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.is_json);
  EXPECT_EQ(r.error.field, "symbol");
  EXPECT_EQ(r.error.reason, "missing");
}

TEST_F(TradeIntentParserTest, EveryTruncationOfTheJsonFails) {
  const std::string json = to_json(seed_flat(), Numbers::kAsJsonNumbers);
  for (std::size_t n = 1; n < json.size(); ++n) {
    const IntentParseResult r = parse(json_entry(json.substr(0, n)));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error.field, "json") << n << ": " << r.error.reason;
    expect_well_formed(r);
  }
}

TEST_F(TradeIntentParserTest, HugeAndBinaryValues) {
  const std::string mb(1 << 20, 'A');
  std::string binary(4096, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 37 + 11);
  for (const char* key : {"symbol", "side", "confidence", "timestamp", "regime", "model"}) {
    for (const std::string* value : {&mb, static_cast<const std::string*>(&binary)}) {
      SCOPED_TRACE(std::string(key) + (value == &mb ? " 1 MB" : " binary"));
      const IntentParseResult r = parse(seed_flat().set(key, *value));
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error.field, key);
      EXPECT_LT(r.error.reason.size(), 400u);
      expect_well_formed(r);
    }
  }
  // Binary bytes behind a '{' are offered to simdjson, which refuses them.
  const IntentParseResult r = parse(json_entry("{" + binary));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "json");
  // A 1 MB field name is simply not an intent field.
  EXPECT_TRUE(parse(seed_flat().set(mb, "x")).ok());
}

TEST_F(TradeIntentParserTest, RandomEntriesNeverCrashAndFailCleanly) {
  std::mt19937 rng(20251224);
  const Entry seed = seed_flat();
  const std::string json = to_json(seed, Numbers::kAsJsonNumbers);
  const std::vector<std::string> values = {"",
                                           "0",
                                           "-0",
                                           "1",
                                           "0.5",
                                           "1.465",
                                           "nan",
                                           "inf",
                                           "1e999",
                                           "1e-999",
                                           "-1",
                                           "BUY",
                                           "SELL",
                                           "NEARUSDT",
                                           "{",
                                           "[",
                                           "{}",
                                           "[]",
                                           "null",
                                           "\"",
                                           "\\",
                                           std::string("\0", 1),
                                           "\xFF",
                                           "2025-12-24T04:32:14Z",
                                           "1766550734062",
                                           "9999999999999999999999999"};
  int accepted = 0, refused = 0;
  for (int round = 0; round < 3000; ++round) {
    Entry e;
    const int mode = static_cast<int>(rng() % 3);
    if (mode == 0) {  // the seed with some fields replaced, removed or doubled
      e = seed;
      for (int k = static_cast<int>(rng() % 4); k >= 0; --k) {
        const auto& [name, value] = seed.items[rng() % seed.items.size()];
        switch (rng() % 3) {
          case 0:
            e.set(name, values[rng() % values.size()]);
            break;
          case 1:
            e.erase(name);
            break;
          default:
            e.items.emplace_back(name, value);
        }
      }
    } else if (mode == 1) {  // the JSON with bytes flipped, cut or inserted
      std::string text = json;
      for (int k = static_cast<int>(rng() % 4); k >= 0; --k) {
        const std::size_t at = rng() % text.size();
        switch (rng() % 3) {
          case 0:
            text[at] = static_cast<char>(rng() % 256);
            break;
          case 1:
            text.resize(std::max<std::size_t>(1, at));
            break;
          default:
            text.insert(at, values[rng() % values.size()]);
        }
      }
      e = json_entry(text, rng() % 2 ? "data" : "x");
    } else {  // random bytes everywhere
      for (int k = static_cast<int>(rng() % 6); k > 0; --k) {
        std::string name(rng() % 20, '\0'), value(rng() % 40, '\0');
        for (char& c : name) c = static_cast<char>(rng() % 256);
        for (char& c : value) c = static_cast<char>(rng() % 256);
        e.items.emplace_back(std::move(name), std::move(value));
      }
    }
    const IntentParseResult r = parse(e);
    expect_well_formed(r);
    if (HasFatalFailure()) return;
    ++(r.ok() ? accepted : refused);
  }
  // Both sides of expect_well_formed were exercised: the mutations are not all fatal.
  EXPECT_GT(accepted, 100);
  EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace exitbrain
