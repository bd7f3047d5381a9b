#pragma once
// One entry of the Redis stream quantum:stream:trade.intent (DESIGN.md §4, seed 004) ->
// a validated TradeIntent, or the field at fault and why.
//
// Two shapes reach us, and both give the same intent:
// - Flat: every intent field is a stream field and every value is text
//   (symbol=NEARUSDT, confidence=0.72, ...). Numbers are read with std::from_chars and the
//   whole text must be consumed: no spaces, no leading '+', no hex.
// - JSON: one field holds a JSON object with the same keys. A key's value may be a JSON
//   number or a string holding a number (read like a flat value); null is "absent" for an
//   optional key and "missing" for a required one; true/false/array/object where a number
//   is expected is "not a number". The entry is JSON when
//     a field named data, payload, intent or json holds a value that starts (after
//     whitespace) with '{' or '[' (a '[' then fails as "not a JSON object": the producer
//     meant JSON, so it is told so rather than "symbol missing"), or
//     exactly one field holds a value starting with '{', and that field's name is not one
//     of the intent's own (a flat intent whose reason text starts with '{' stays flat).
//   The other flat fields of a JSON entry are ignored. Two named fields both holding JSON
//   is ambiguous and an error ("json"). A JSON value larger than 64 KiB is refused before
//   parsing: an intent is a few hundred bytes, and the kept parser must not grow to the
//   size of whatever arrived once.
//
// Names match exactly (lower case, as the producer writes them). Unknown names are ignored:
// the producer may add fields. A known name given twice is an error naming it, in either
// shape: which of two confidences would be the real one?
//
// Fields (required ones are "missing" when absent):
//   symbol               required; known to the SymbolTable (case-insensitive)
//   side                 required; BUY / SELL (also LONG / SHORT), any case
//   confidence           required; [0,1]
//   entry_price          required; > 0
//   stop_loss            optional; 0 = none; else > 0 and below entry_price for BUY, above for
//                        SELL (a stop on the wrong side would fire at once or never)
//   take_profit          optional; 0 = none; else > 0 and above entry_price for BUY, below
//                        for SELL
//   position_size_usd    required; > 0
//   leverage             optional; if present, [1,125] (Binance's range; 0 is not a leverage)
//   atr_value            optional; >= 0
//   volatility_factor    required; [0,1] (the adaptive leverage multiplies by 1 - it)
//   exchange_divergence  optional; finite, default 0
//   funding_rate         optional; [-1,1], default 0
//   regime               optional; unknown / range / ranging / trending / volatile, any case
//   timestamp            required; see parse_intent_timestamp()
//   model                optional; free text, at most 128 bytes
//   reason               optional; free text, at most 256 bytes
// Every number must be finite: nan, inf and 1e999 are refused (a NaN compares false with
// every bound, so it would slip through each range check after it).
//
// Errors: the first fault found, in this order: the shape (json), a field given twice,
// then the fields in the order above. The reason quotes the offending value (its first 40
// bytes, non-printable bytes as \xNN), so a dead-letter entry explains itself; it never
// carries any other field's content (the stop / take-profit checks also name entry_price's
// value, the bound they break).
//
// Off the hot path (one intent per trade): the result owns its strings, the parser keeps
// its simdjson buffers between entries. Nothing throws but std::bad_alloc.
#include <simdjson.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/symbol_table.hpp"
#include "core/trade_intent.hpp"
#include "core/types.hpp"

namespace exitbrain {

// One field of a stream entry, as Redis returns it. Views into the caller's reply.
struct IntentField {
  std::string_view name;
  std::string_view value;
};

// Why an entry is not a valid intent: the field at fault ("confidence", "symbol", "json",
// "timestamp", ...) and a reason a human can act on ("must be in [0,1], got 1.5").
struct IntentError {
  std::string field;
  std::string reason;
};

struct IntentParseResult {
  TradeIntent intent;    // meaningful only when ok()
  IntentError error;     // field empty when ok()
  bool is_json = false;  // the entry carried one JSON field
  bool ok() const noexcept { return error.field.empty(); }
};

class TradeIntentParser {
 public:
  // Largest JSON value accepted (see above).
  static constexpr std::size_t kMaxJsonBytes = 64 * 1024;

  // `symbols` must outlive the parser; it is only read.
  explicit TradeIntentParser(const SymbolTable& symbols);

  // The result owns everything it holds: `fields` may be released as soon as this returns.
  IntentParseResult parse(std::span<const IntentField> fields);

 private:
  const SymbolTable* symbols_;
  simdjson::dom::parser json_;
  // The JSON value copied here with simdjson's padding after it: Redis hands us no padding.
  std::unique_ptr<char[]> json_buffer_;
};

// "2025-12-24T04:32:14.062679" (no zone: UTC), with optional "Z" or "+00:00"/"+HH:MM"/"-HH:MM"
// offset, fraction of any length (truncated to ms); or a number: >= 1e12 is epoch
// milliseconds, else epoch seconds (may be fractional).
// nullopt on anything else, or before 2017-01-01, or after 2100.
std::optional<TimeMs> parse_intent_timestamp(std::string_view text) noexcept;

}  // namespace exitbrain
