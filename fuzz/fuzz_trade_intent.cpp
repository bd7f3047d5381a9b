// A trade intent as Redis hands it: flat fields ("name=value" lines) or, when the input
// starts with '{', one "data" field holding JSON. Invariants: a refusal names a field and
// a reason; an accepted intent keeps its ranges (DESIGN.md §4, net/trade_intent_parser.hpp),
// and written out again, both flat and as JSON, parses to the same intent.
#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "core/symbol_table.hpp"
#include "fuzz/fuzz_support.hpp"
#include "net/trade_intent_parser.hpp"

namespace exitbrain {
namespace {

std::string number(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back
  return std::string(buf, r.ptr);
}

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", u);
      out += esc;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The intent's fields as a producer would write them.
std::vector<std::pair<std::string, std::string>> fields_of(const TradeIntent& t,
                                                           const SymbolTable& symbols) {
  std::vector<std::pair<std::string, std::string>> f = {
      {"symbol", std::string(symbols.name(t.symbol))},
      {"side", t.side == Side::kLong ? "BUY" : "SELL"},
      {"confidence", number(t.confidence)},
      {"entry_price", number(t.entry_price)},
      {"stop_loss", number(t.stop_loss)},
      {"take_profit", number(t.take_profit)},
      {"position_size_usd", number(t.position_size_usd)},
      {"atr_value", number(t.atr_value)},
      {"volatility_factor", number(t.volatility_factor)},
      {"exchange_divergence", number(t.exchange_divergence)},
      {"funding_rate", number(t.funding_rate)},
      {"regime", std::string(to_string(t.regime))},
      {"timestamp", std::to_string(t.timestamp_ms)},
      {"model", t.model},
      {"reason", t.reason}};
  if (t.leverage != 0) f.emplace_back("leverage", number(t.leverage));
  return f;
}

bool same(const TradeIntent& a, const TradeIntent& b) {
  return a.symbol == b.symbol && a.side == b.side && a.confidence == b.confidence &&
         a.entry_price == b.entry_price && a.stop_loss == b.stop_loss &&
         a.take_profit == b.take_profit && a.position_size_usd == b.position_size_usd &&
         a.leverage == b.leverage && a.atr_value == b.atr_value &&
         a.volatility_factor == b.volatility_factor &&
         a.exchange_divergence == b.exchange_divergence && a.funding_rate == b.funding_rate &&
         a.regime == b.regime && a.timestamp_ms == b.timestamp_ms && a.model == b.model &&
         a.reason == b.reason;
}

IntentParseResult parse(TradeIntentParser& p,
                        const std::vector<std::pair<std::string, std::string>>& f) {
  std::vector<IntentField> views;
  for (const auto& [n, v] : f) views.push_back({n, v});
  return p.parse(views);
}

void check_ranges(const TradeIntent& t, const SymbolTable& symbols) {
  FUZZ_INVARIANT(t.symbol != kNoSymbol && t.symbol < symbols.size());
  FUZZ_INVARIANT(t.confidence >= 0 && t.confidence <= 1);
  FUZZ_INVARIANT(t.entry_price > 0 && std::isfinite(t.entry_price));
  FUZZ_INVARIANT(t.position_size_usd > 0 && std::isfinite(t.position_size_usd));
  FUZZ_INVARIANT(t.volatility_factor >= 0 && t.volatility_factor <= 1);
  FUZZ_INVARIANT(t.leverage == 0 || (t.leverage >= 1 && t.leverage <= 125));
  FUZZ_INVARIANT(t.atr_value >= 0 && std::isfinite(t.atr_value));
  FUZZ_INVARIANT(std::isfinite(t.exchange_divergence));
  FUZZ_INVARIANT(t.funding_rate >= -1 && t.funding_rate <= 1);
  const bool buy = t.side == Side::kLong;
  FUZZ_INVARIANT(t.stop_loss == 0 ||
                 (buy ? t.stop_loss < t.entry_price : t.stop_loss > t.entry_price));
  FUZZ_INVARIANT(t.take_profit == 0 ||
                 (buy ? t.take_profit > t.entry_price : t.take_profit < t.entry_price));
  FUZZ_INVARIANT(t.stop_loss >= 0 && t.take_profit >= 0);
  FUZZ_INVARIANT(t.model.size() <= 128 && t.reason.size() <= 256);
}

}  // namespace
}  // namespace exitbrain

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace exitbrain;
  static SymbolTable symbols = [] {
    SymbolTable s;
    (void)s.intern("BTCUSDT");
    (void)s.intern("NEARUSDT");
    return s;
  }();
  static TradeIntentParser parser(symbols);
  const std::string_view text = fuzz::as_text(data, size);
  std::vector<std::pair<std::string, std::string>> in;
  if (!text.empty() && text.front() == '{')
    in.emplace_back("data", std::string(text));
  else
    in = fuzz::split_fields(text);
  const IntentParseResult r = parse(parser, in);
  if (!r.ok()) {
    FUZZ_INVARIANT(!r.error.reason.empty());
    return 0;
  }
  check_ranges(r.intent, symbols);
  const auto flat = fields_of(r.intent, symbols);
  const IntentParseResult again = parse(parser, flat);
  FUZZ_INVARIANT(again.ok() && !again.is_json && same(r.intent, again.intent));
  // JSON carries UTF-8 only: free text that is not stays a flat-only intent.
  const auto utf8 = [](const std::string& s) {
    return simdjson::validate_utf8(s.data(), s.size());
  };
  if (!utf8(r.intent.model) || !utf8(r.intent.reason)) return 0;
  std::string json = "{";
  for (const auto& [n, v] : flat) {
    if (json.size() > 1) json += ',';
    json += json_quote(n) + ":" + json_quote(v);
  }
  json += "}";
  const IntentParseResult from_json = parse(parser, {{"data", json}});
  FUZZ_INVARIANT(from_json.ok() && from_json.is_json && same(r.intent, from_json.intent));
  return 0;
}
