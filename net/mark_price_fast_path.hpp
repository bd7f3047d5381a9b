#pragma once
// The one message that arrives every second for every symbol, markPriceUpdate on the
// combined stream, read without simdjson when it is in Binance's exact layout:
//   {"stream":"<name>","data":{"e":"markPriceUpdate","E":<int>,"s":"<SYM>","p":"<dec>",
//    ["ap":"<text>",] "P":"<text>","i":"<text>","r":"<dec or empty>","T":<int>}}
// compact, keys in this order ("ap" is optional and "i" and "P" may swap: the stream of
// 2023, today's documentation and exitbrain-sim differ there), string values in plain
// ASCII, nothing after the last "}" but whitespace. A message that
// differs in any way, or whose values would not be valid, is "not recognised" (false) and
// goes the general way (BinanceMessageParser's simdjson walk), which decides what it is and
// names the field at fault. The symbol is only read as a plain string here: the caller
// looks it up in the same table, the same way, as the general path does. So the fast path
// never changes a result: it only skips
// simdjson's structural pass and field search for the common case (exitbrain-bench
// instructions: most of a tick's parse cost).
#include <cstdint>
#include <string_view>

#include "core/decimal.hpp"
#include "core/types.hpp"

namespace exitbrain {

struct FastMarkPrice {
  std::string_view symbol;  // a view into the message
  TimeMs event_time = 0;
  Price price{};
  double funding_rate = 0.0;
};

// True when `msg` is a markPriceUpdate in the layout above with valid values (`out` set).
bool parse_mark_price_fast(std::string_view msg, FastMarkPrice& out) noexcept;

}  // namespace exitbrain
