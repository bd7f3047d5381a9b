#pragma once
// One Binance USD-M websocket message (raw or combined-stream) -> zero or more MarketEvents.
//
// Hot path: the simdjson parser and its buffers live in the object and are reused, so a
// message costs no allocation once the parser has seen a message of that size; nothing
// throws; only the fields an event needs are converted (prices stay exact Decimals).
#include <simdjson.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>

#include "core/events.hpp"
#include "core/sink_ref.hpp"
#include "core/symbol_table.hpp"

namespace exitbrain {

enum class ParseStatus : std::uint8_t {
  kOk,       // at least one event delivered
  kIgnored,  // valid, carries nothing we use (depthUpdate, REST snapshot, {"result":null,"id":1})
  kUnknownSymbol,  // symbol not in the table and interning is off
  kMalformed,      // bad JSON, or a missing / invalid field: see last_error()
};
const char* to_string(ParseStatus s) noexcept;

// Why the last message was kMalformed. Both point at static strings.
struct ParseError {
  const char* field = "";   // as written in the message: "data.p", "k.i", "[].r", "json"
  const char* reason = "";  // "missing", "not a decimal number", "not positive", ...
};

struct ParserStats {
  std::uint64_t ok = 0;
  std::uint64_t ignored = 0;
  std::uint64_t unknown_symbol = 0;
  std::uint64_t malformed = 0;
  std::uint64_t events = 0;  // events delivered (an array message can deliver many)
};

// simdjson reads up to this many bytes past the end of a message, so a message buffer of
// `len` bytes must have padded_capacity(len) bytes readable from its start.
inline constexpr std::size_t kJsonPadding = simdjson::SIMDJSON_PADDING;
constexpr std::size_t padded_capacity(std::size_t len) noexcept {
  return len + kJsonPadding;
}

// Non-owning reference to the caller's event callback (see core/sink_ref.hpp).
using MarketEventSink = SinkRef<MarketEvent>;

class BinanceMessageParser {
 public:
  static constexpr std::size_t kDefaultCapacity = 64 * 1024;

  // intern_unknown_symbols: add symbols the table lacks (replay of a capture) instead of
  // answering kUnknownSymbol (live feed: only configured symbols matter).
  // initial_capacity: message size the parser is sized for up front; a larger message
  // grows it once.
  explicit BinanceMessageParser(SymbolTable& symbols, bool intern_unknown_symbols = false,
                                std::size_t initial_capacity = kDefaultCapacity);

  // Parses data[0, len). capacity >= padded_capacity(len) bytes must be readable from
  // `data` (their content does not matter). Calls sink once per event, in message order.
  // An array message that turns out kMalformed part-way has already delivered the events
  // before the bad element. The sink must not throw.
  // Validation is On-Demand's: lazy. Every field read is checked and a truncated message
  // is caught, but a structural fault after the last field read (a stray "}" at the end)
  // is not looked for: that would cost a full walk of every message.
  [[nodiscard]] ParseStatus parse(const char* data, std::size_t len, std::size_t capacity,
                                  MarketEventSink sink) noexcept;
  template <class F>
  requires(!std::same_as<std::remove_cvref_t<F>, MarketEventSink>) [[nodiscard]] ParseStatus
      parse(const char* data, std::size_t len, std::size_t capacity, F&& sink) noexcept {
    return parse(data, len, capacity, MarketEventSink(sink));
  }

  // Valid until the next parse().
  const ParseError& last_error() const noexcept { return error_; }
  // The simdjson error behind a kMalformed, SUCCESS when a field value was at fault.
  simdjson::error_code last_json_error() const noexcept { return json_error_; }

  // The fast paths of markPriceUpdate, bookTicker and aggTrade (net/market_fast_paths.hpp),
  // on by default. Off, every
  // message goes through simdjson: the tests compare the two, and so do the benchmarks.
  void set_fast_paths(bool on) noexcept { fast_paths_ = on; }

  const ParserStats& stats() const noexcept { return stats_; }
  void reset_stats() noexcept { stats_ = {}; }

 private:
  friend class BinanceMessageWalker;
  ParseStatus parse_message(const char* data, std::size_t len, std::size_t capacity,
                            MarketEventSink sink) noexcept;
  // data[0, len) into scratch_, zeros after it; false if it could not grow.
  bool copy_padded(const char* data, std::size_t len) noexcept;

  simdjson::ondemand::parser json_;
  SymbolTable& symbols_;
  bool intern_unknown_symbols_;
  bool fast_paths_ = true;
  ParseError error_{};
  simdjson::error_code json_error_ = simdjson::SUCCESS;
  ParserStats stats_{};
  // A message whose next byte simdjson could take for a token, copied (see parse_message).
  std::unique_ptr<char[]> scratch_;
  std::size_t scratch_size_ = 0;
};

}  // namespace exitbrain
