#include "net/market_fast_paths.hpp"

#include <cstdint>

#include "net/json_cursor.hpp"

namespace exitbrain {

namespace {

// "ap", the mark price's moving average, not used: today's stream sends it after "p"; the
// recorded one of 2023 has none. Optional, and read to check it is a plain string.
bool moving_average(Cursor& c) noexcept {
  std::string_view skipped;
  return !c.literal(R"(,"ap":")") || c.string_body(skipped);
}

// The index price "i" and the estimated settle price "P", not used: both are read (to check
// they are plain strings) in either order. Binance's documentation shows "i" first; the
// recorded stream sends "P" first.
bool index_and_settle(Cursor& c) noexcept {
  std::string_view skipped;
  if (c.literal(R"(,"P":")"))
    return c.string_body(skipped) && c.literal(R"(,"i":")") && c.string_body(skipped);
  return c.literal(R"(,"i":")") && c.string_body(skipped) && c.literal(R"(,"P":")") &&
         c.string_body(skipped);
}

// A price: a positive decimal.
bool positive_price(std::string_view text, Price& out) noexcept {
  return parse_decimal(text, out) == DecimalError::kOk && out.is_positive();
}

// After `"e":"markPriceUpdate"`.
bool mark_price(Cursor& c, FastMarketEvent& out) noexcept {
  std::string_view symbol, price, rate;
  std::int64_t event_time = 0, next_funding = 0;
  if (!c.literal(R"(,"E":)") || !c.integer(event_time) || !c.literal(R"(,"s":")") ||
      !c.string_body(symbol) || !c.literal(R"(,"p":")") || !c.string_body(price) ||
      !moving_average(c) || !index_and_settle(c) || !c.literal(R"(,"r":")") ||
      !c.string_body(rate) || !c.literal(R"(,"T":)") || !c.integer(next_funding))
    return false;
  Price p;
  if (!positive_price(price, p)) return false;
  Decimal r;  // "" for contracts without funding: 0, as the general path reads it
  if (!rate.empty() && parse_decimal(rate, r) != DecimalError::kOk) return false;
  out.kind = MarketEventKind::kMarkPrice;
  out.symbol = symbol;
  out.event_time = event_time;
  out.price = p;
  out.funding_rate = r.to_double();
  return true;
}

// "s", "b", "B", "a", "A" of a bookTicker.
bool book_sides(Cursor& c, std::string_view& symbol, std::string_view& bid,
                std::string_view& ask) noexcept {
  std::string_view skipped;
  return c.literal(R"(,"s":")") && c.string_body(symbol) && c.literal(R"(,"b":")") &&
         c.string_body(bid) && c.literal(R"(,"B":")") && c.string_body(skipped) &&
         c.literal(R"(,"a":")") && c.string_body(ask) && c.literal(R"(,"A":")") &&
         c.string_body(skipped);
}

// After `"e":"bookTicker"`: the stream's order (times last, "T" before "E") or the
// documentation's (times after "u", "E" before "T").
bool book_ticker(Cursor& c, FastMarketEvent& out) noexcept {
  std::string_view symbol, bid, ask;
  std::int64_t update_id = 0, event_time = 0, transaction_time = 0;
  if (!c.literal(R"(,"u":)") || !c.integer(update_id)) return false;
  if (c.literal(R"(,"E":)")) {
    if (!c.integer(event_time) || !c.literal(R"(,"T":)") || !c.integer(transaction_time) ||
        !book_sides(c, symbol, bid, ask))
      return false;
  } else if (!book_sides(c, symbol, bid, ask) || !c.literal(R"(,"T":)") ||
             !c.integer(transaction_time) || !c.literal(R"(,"E":)") || !c.integer(event_time)) {
    return false;
  }
  Price b, a;
  if (!positive_price(bid, b) || !positive_price(ask, a)) return false;
  out.kind = MarketEventKind::kBookTicker;
  out.symbol = symbol;
  out.event_time = event_time;
  out.bid = b;
  out.ask = a;
  return true;
}

// After `"e":"aggTrade"`: "a" before "s" (the stream) or after it (the documentation), and
// "nq" (the quantity without retail price improvement orders, 2025) or not.
bool agg_trade(Cursor& c, FastMarketEvent& out) noexcept {
  std::string_view symbol, price, skipped;
  std::int64_t event_time = 0, id = 0;
  bool maker = false;
  if (!c.literal(R"(,"E":)") || !c.integer(event_time)) return false;
  if (c.literal(R"(,"a":)")) {
    if (!c.integer(id) || !c.literal(R"(,"s":")") || !c.string_body(symbol)) return false;
  } else if (!c.literal(R"(,"s":")") || !c.string_body(symbol) || !c.literal(R"(,"a":)") ||
             !c.integer(id)) {
    return false;
  }
  if (!c.literal(R"(,"p":")") || !c.string_body(price) || !c.literal(R"(,"q":")") ||
      !c.string_body(skipped))
    return false;
  if (c.literal(R"(,"nq":")") && !c.string_body(skipped)) return false;
  if (!c.literal(R"(,"f":)") || !c.integer(id) || !c.literal(R"(,"l":)") || !c.integer(id) ||
      !c.literal(R"(,"T":)") || !c.integer(id) || !c.literal(R"(,"m":)") || !c.boolean(maker))
    return false;
  Price p;
  if (!positive_price(price, p)) return false;
  out.kind = MarketEventKind::kTrade;
  out.symbol = symbol;
  out.event_time = event_time;
  out.price = p;
  return true;
}

}  // namespace

bool parse_market_fast(std::string_view msg, FastMarketEvent& out) noexcept {
  Cursor c(msg);
  std::string_view stream;
  if (!c.literal(R"({"stream":")") || !c.string_body(stream) || !c.literal(R"(,"data":{"e":")"))
    return false;
  // The event type picks the layout; a literal that does not match does not advance.
  bool ok = false;
  if (c.literal(R"(markPriceUpdate")"))
    ok = mark_price(c, out);
  else if (c.literal(R"(bookTicker")"))
    ok = book_ticker(c, out);
  else if (c.literal(R"(aggTrade")"))
    ok = agg_trade(c, out);
  return ok && c.literal("}}") && c.at_end();
}

}  // namespace exitbrain
