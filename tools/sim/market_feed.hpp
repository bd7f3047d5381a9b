#pragma once
// The market-data sources of exitbrain-sim: recorded captures replayed as they were (plus
// derived marks where a capture has none), or a seeded synthetic walk. The websocket
// server pulls FeedMessages from a MarketFeed, paces them by `time` and sends `payload` to
// the connections subscribed to `stream` (wrapped with wrap_combined() on /stream ones).
// Not the hot path: allocates freely.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/decimal.hpp"
#include "core/types.hpp"

namespace exitbrain::sim {

struct FeedMessage {
  TimeMs time = 0;       // event time (E) of the message, ms
  std::string symbol;    // "BTCUSDT" (upper case)
  std::string stream;    // as a client subscribes to it: "btcusdt@markPrice@1s", lower-case symbol
  std::string payload;   // the raw JSON payload, never combined-wrapped
  bool is_mark = false;  // a markPriceUpdate: mark is set
  Decimal mark{};        // mark price carried (for the exchange model's triggers and PnL)
};

// What a feed read, kept and skipped. Load-time counts are final once the feed is open;
// `delivered` and `derived_marks` grow with next().
struct FeedStats {
  static constexpr std::size_t kKeptErrors = 10;
  std::uint64_t lines = 0;       // recorded: lines read, all files
  std::uint64_t payloads = 0;    // recorded: payloads kept (one per array element)
  std::uint64_t non_events = 0;  // recorded: headers, REST snapshots, replies, blank lines
  std::uint64_t skipped = 0;     // recorded: payloads of an event type not served
  std::map<std::string, std::uint64_t> skipped_by_type;  // "depthUpdate" -> count
  std::uint64_t malformed = 0;            // recorded: lines / payloads that could not be read
  std::vector<std::string> first_errors;  // "FILE:LINE: ..." for the first kKeptErrors
  std::vector<std::string> derived_mark_symbols;  // recorded: symbols given derived marks
  std::uint64_t delivered = 0;                    // messages returned by next() so far
  std::uint64_t derived_marks = 0;                // of which synthesised markPriceUpdates
};

class MarketFeed {  // pull-based; the server paces by time
 public:
  virtual ~MarketFeed() = default;
  // The next message, times non-decreasing; nullopt at the end.
  virtual std::optional<FeedMessage> next() = 0;
  // Upper-case symbol names, in order of first appearance (recorded) or as configured.
  virtual std::vector<std::string> symbols() const = 0;
  virtual FeedStats stats() const { return {}; }
};

// Recorded websocket captures (/work/shared/data/ws formats), several files merged by time.
//  - Lines: raw payloads or combined {"stream":..,"data":..} messages, optionally after a
//    receive timestamp ("<ts> <json>", "<ts>: <json>"; s, ms, us or ns told by magnitude);
//    plain or gzip. Header lines (URL, "configuration:"), REST snapshots and replies are
//    counted in non_events; a line that cannot be read is counted in malformed (never fatal).
//  - One FeedMessage per payload; an array payload (!markPrice@arr) gives one per element.
//  - Served event types: markPriceUpdate, bookTicker, aggTrade, trade, kline; others
//    (depthUpdate, ...) are skipped and counted by type.
//  - stream: the combined wrapper's name when there is one; for an array element
//    "<sym>@markPrice@1s", or "<sym>@markPrice" when the wrapper is the 3 s
//    "!markPrice@arr"; otherwise derived from the event type ("<sym>@markPrice@1s",
//    "<sym>@bookTicker", "<sym>@aggTrade", "<sym>@trade", "<sym>@kline_<k.i>").
//  - time: E; for bookTicker / trade / aggTrade without E, T; else the receive timestamp.
//    Payloads are served byte for byte, except that one without E gets "E":<time> added
//    after its "e" field: clients (and exitbrain's parser) need an event time.
//  - Every file is read once at open (they are a few MB): messages are held in memory and
//    stable-sorted by time, so ties keep file order, then line order.
//  - Derived marks: a symbol with no markPriceUpdate anywhere in the files but with trades
//    or book tickers gets a markPriceUpdate (layout of mark_price_payload()) at every whole
//    second B of event time from its first price up to its last message. The price is the
//    last trade price at or before B, or the bookTicker mid before the first trade. It is
//    sent after the messages stamped B. No mark is made more than kMaxDerivedMarkGapMs after
//    the symbol's last price (a hole in the recording), until the next price.
// nullptr with *error set ("PATH: cannot open: ...") when a file cannot be opened or read.
inline constexpr TimeMs kMaxDerivedMarkGapMs = 60'000;
std::unique_ptr<MarketFeed> open_recorded_feed(const std::vector<std::string>& paths,
                                               std::string* error);

// Seeded synthetic markets: one SyntheticWalk (tools/market_data/synthetic_walk.hpp) per
// symbol, seeded with seed + symbol index, stepped once a second. Each second t = start_ms + k *
// 1000 (t < end_ms unless end_ms is 0: endless), for each symbol in order: a markPriceUpdate (the
// walk's price rounded to the symbol's tick), then with book_ticker a bookTicker (bid = mark -
// tick, ask = mark + tick), then with agg_trades an aggTrade at the bid or the ask. The tick is
// 10^(floor(log10(start price)) - 5), within [1e-8, 1]: 0.1 for 60000, 0.01 for 3000. Same options,
// same messages; the marks do not depend on book_ticker or agg_trades. Throws std::invalid_argument
// on a bad symbol name or a non-positive price.
struct SyntheticFeedOptions {
  std::vector<std::pair<std::string, double>> symbols;  // name, start price
  std::uint64_t seed = 1;
  TimeMs start_ms = 1'771'000'000'000;  // 2026-02-13, like `exitbrain synth`
  TimeMs end_ms = 0;                    // 0: endless
  bool book_ticker = false;
  bool agg_trades = false;
};
std::unique_ptr<MarketFeed> make_synthetic_feed(const SyntheticFeedOptions& o);

// The path a stream is served on (binance-api.md 1.2): "/public" for bookTicker (also
// !bookTicker) and depth streams, "/private" for a listen key (no '@', no leading '!'),
// "/market" for everything else (markPrice, kline, aggTrade, trade, tickers, ...).
std::string_view route_of_stream(std::string_view stream);

// {"stream":"<stream>","data":<payload>}: what a /stream connection receives.
std::string wrap_combined(std::string_view stream, std::string_view payload);

// ---------------------------------------------------------------- payload builders

// "btcusdt" for "BTCUSDT".
std::string lower_symbol(std::string_view symbol);
// The next funding time strictly after t: funding every 8 h from 00:00 UTC.
TimeMs next_funding_time(TimeMs t) noexcept;
// A decimal with exactly `decimals` fractional digits (0..8), truncating: "28155.10000000".
std::string format_fixed(Decimal d, int decimals);

inline constexpr std::string_view kDefaultFundingRate = "0.00010000";  // Binance's baseline
// {"e":"markPriceUpdate","E":..,"s":..,"p":..,"i":..,"P":..,"r":..,"T":..}, the layout of
// binance-api.md 1.5 without "ap"; prices with 8 decimals, as Binance writes them.
std::string mark_price_payload(std::string_view symbol, TimeMs time, Price mark, Price index,
                               std::string_view funding_rate = kDefaultFundingRate);

}  // namespace exitbrain::sim
