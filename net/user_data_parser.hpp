#pragma once
// The user-data stream (binance-api.md §4): ORDER_TRADE_UPDATE, ACCOUNT_UPDATE,
// ALGO_UPDATE and listenKeyExpired, raw or combined-wrapped, into fixed-size events the
// order tracker, the hard-stop manager and the position book consume. Same rules as the
// market parser: reused simdjson parser, no allocation per message, no exceptions.
#include <simdjson.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "core/decimal.hpp"
#include "core/sink_ref.hpp"
#include "core/symbol_table.hpp"
#include "net/binance_message_parser.hpp"
#include "net/id_text.hpp"

namespace exitbrain {

enum class UserEventKind : std::uint8_t { kOrder, kPosition, kAlgo, kListenKeyExpired };

enum class OrderStatus : std::uint8_t {
  kNew,
  kPartiallyFilled,
  kFilled,
  kCanceled,
  kExpired,
  kExpiredInMatch,
  kOther
};
enum class AlgoStatus : std::uint8_t {
  kNew,
  kCanceled,
  kTriggering,
  kTriggered,
  kFinished,
  kRejected,
  kExpired,
  kOther
};
// The exchange's algoStatus / ALGO_UPDATE "X" text; kOther for a value Binance may add.
AlgoStatus algo_status_from(std::string_view s) noexcept;

// "BOTH" in one-way mode, "LONG"/"SHORT" in hedge mode.
enum class PositionSideField : std::uint8_t { kBoth, kLong, kShort };

struct OrderUpdate {
  IdText client_id;                                            // o.c
  std::int64_t order_id = 0;                                   // o.i
  bool buy = false;                                            // o.S
  OrderStatus status = OrderStatus::kOther;                    // o.X
  Qty last_filled{};                                           // o.l
  Qty cumulative_filled{};                                     // o.z
  Price last_price{};                                          // o.L
  Price average_price{};                                       // o.ap
  double realized_pnl = 0;                                     // o.rp
  double commission = 0;                                       // o.n (0 when absent)
  bool reduce_only = false;                                    // o.R
  PositionSideField position_side = PositionSideField::kBoth;  // o.ps
};

struct PositionUpdate {
  Decimal amount{};  // a.P[].pa, signed: negative is short
  Price entry{};     // a.P[].ep
  double unrealized_pnl = 0;
  PositionSideField position_side = PositionSideField::kBoth;
};

struct AlgoUpdate {
  IdText client_algo_id;                   // o.caid
  std::int64_t algo_id = 0;                // o.aid
  AlgoStatus status = AlgoStatus::kOther;  // o.X
  Price trigger{};                         // o.tp
  Qty executed{};                          // o.aq (0 until triggered)
  Price average_price{};                   // o.ap
  std::array<char, 64> reason{};           // o.rm, NUL-terminated, cut to fit
};

struct UserEvent {
  UserEventKind kind = UserEventKind::kOrder;
  TimeMs event_time = 0;  // E
  SymbolId symbol = kNoSymbol;
  OrderUpdate order;        // kOrder
  PositionUpdate position;  // kPosition (one event per changed position)
  AlgoUpdate algo;          // kAlgo
};

using UserEventSink = SinkRef<UserEvent>;

class UserDataParser {
 public:
  // Events of symbols outside the table are kUnknownSymbol (a position or order on a symbol
  // exitbrain does not manage) unless intern_unknown_symbols.
  explicit UserDataParser(SymbolTable& symbols, bool intern_unknown_symbols = false);

  // data[0, len) with padded_capacity(len) readable bytes. Balance-only ACCOUNT_UPDATEs,
  // MARGIN_CALL and other event types are kIgnored.
  [[nodiscard]] ParseStatus parse(const char* data, std::size_t len, std::size_t capacity,
                                  UserEventSink sink) noexcept;
  template <class F>
  requires(!std::same_as<std::remove_cvref_t<F>, UserEventSink>) [[nodiscard]] ParseStatus
      parse(const char* data, std::size_t len, std::size_t capacity, F&& sink) noexcept {
    return parse(data, len, capacity, UserEventSink(sink));
  }
  const ParseError& last_error() const noexcept { return error_; }

 private:
  ParseStatus fail(const char* field, const char* reason) noexcept;
  ParseStatus parse_order(simdjson::ondemand::object o, UserEvent& ev) noexcept;
  ParseStatus parse_algo(simdjson::ondemand::object o, UserEvent& ev) noexcept;
  ParseStatus parse_account(simdjson::ondemand::object a, TimeMs t, UserEventSink& sink) noexcept;
  bool symbol_of(std::string_view name, SymbolId& out) noexcept;
  // What reading one field of an event came to (user_data_parser.cpp).
  struct FieldOutcome;
  ParseStatus status_of(const FieldOutcome& r) noexcept;
  // Unmanaged when the symbol is not in the table (and is not interned).
  FieldOutcome read_symbol(simdjson::ondemand::value v, const char* field, SymbolId& out) noexcept;

  simdjson::ondemand::parser json_;
  SymbolTable& symbols_;
  bool intern_unknown_;
  ParseError error_{};
};

}  // namespace exitbrain
