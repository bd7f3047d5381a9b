#pragma once
// The market messages that arrive many times a second, read without simdjson when they are
// combined-stream messages in one of Binance's exact layouts:
//
//   {"stream":"<name>","data":{"e":"markPriceUpdate","E":<int>,"s":"<SYM>","p":"<dec>",
//    ["ap":"<text>",] "P":"<text>","i":"<text>","r":"<dec or empty>","T":<int>}}
//   ("ap" is optional and "i" and "P" may swap: the stream of 2023, today's documentation
//   and exitbrain-sim differ there);
//
//   {"stream":"<name>","data":{"e":"bookTicker","u":<int>,"s":"<SYM>","b":"<dec>",
//    "B":"<text>","a":"<dec>","A":"<text>","T":<int>,"E":<int>}}          (the stream)
//   {"stream":"<name>","data":{"e":"bookTicker","u":<int>,"E":<int>,"T":<int>,"s":"<SYM>",
//    "b":"<dec>","B":"<text>","a":"<dec>","A":"<text>"}}        (the documentation, the sim)
//
//   {"stream":"<name>","data":{"e":"aggTrade","E":<int>,"a":<int>,"s":"<SYM>","p":"<dec>",
//    "q":"<text>","f":<int>,"l":<int>,"T":<int>,"m":<bool>}}                 (the stream)
//   with "s" before "a", and "nq":"<text>" after "q" or not     (the documentation, the sim)
//
// compact, keys in these orders, string values in plain ASCII, nothing after the last "}"
// but whitespace. A message that differs in any way, or whose values would not be valid, is
// "not recognised" (false) and goes the general way (BinanceMessageParser's simdjson walk),
// which decides what it is and names the field at fault. The symbol is only read as a
// plain string here: the caller looks it up in the same table, the same way, as the general
// path does. So a fast path never changes a result: it only skips simdjson's structural
// pass and field search for the common case (exitbrain-bench instructions: most of a tick's
// parse cost). Raw (not combined) messages, trades and klines always go the general way.
#include <string_view>

#include "core/decimal.hpp"
#include "core/events.hpp"
#include "core/types.hpp"

namespace exitbrain {

// What the general path would make of the message, but for the symbol's id.
struct FastMarketEvent {
  MarketEventKind kind = MarketEventKind::kMarkPrice;  // kMarkPrice, kBookTicker or kTrade
  std::string_view symbol;                             // a view into the message
  TimeMs event_time = 0;  // "E" (bookTicker: "E", as the general path reads it)
  Price price{};          // markPrice "p", aggTrade "p"
  Price bid{}, ask{};     // bookTicker "b", "a"
  double funding_rate = 0.0;
};

// True when `msg` is one of the layouts above with valid values (`out` set).
bool parse_market_fast(std::string_view msg, FastMarketEvent& out) noexcept;

}  // namespace exitbrain
