#pragma once
// REST answers of the order path and of start-up (binance-api.md §2, §4.1, §6) into plain
// structs. Same rules as the stream parsers: one reused simdjson On-Demand parser, no
// exceptions, every failure names the field at fault. The body is copied into the parser's
// own padded buffer (reused; it grows only for a larger body), so callers pass any
// string_view.
//
// parse_order(), parse_algo_order(), parse_algo_cancel(), parse_error_body() and
// classify_response() run on the order sender thread: they write into fixed-size fields and
// allocate nothing once the buffer and parser have seen a body of that size. The others
// (positions, klines, listenKey, ...) fill std::string / std::vector and are for start-up
// and the slow paths.
#include <simdjson.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/candle.hpp"
#include "core/decimal.hpp"
#include "core/error_action.hpp"
#include "core/types.hpp"
#include "net/id_text.hpp"
#include "net/user_data_parser.hpp"  // AlgoStatus, PositionSideField
#include "strategies/leverage_brackets.hpp"

namespace exitbrain {

// The outcome of one parse. `field` and `reason` point at static strings.
struct [[nodiscard]] RestResult {
  bool ok = true;
  const char* field = "";   // as in the answer: "serverTime", "positionAmt", "json", ...
  const char* reason = "";  // "missing", "not a decimal number", ...
  std::int32_t index = -1;  // element of an array answer at fault; -1 for none
  // Element of the array inside that element (a leverage bracket) at fault; -1 for none.
  std::int32_t inner_index = -1;

  explicit operator bool() const noexcept { return ok; }
  // "" when ok, else "field 'positionAmt' of element 3: not a decimal number", or
  // "field 'cum' of element 0, bracket 2: not a number".
  std::string message() const;
};

// Order status of POST / GET / DELETE /fapi/v1/order (§2.5). Unlike the user stream's
// OrderStatus it has REJECTED. A status Binance may add later reads as kOther.
enum class RestOrderStatus : std::uint8_t {
  kNew,
  kPartiallyFilled,
  kFilled,
  kCanceled,
  kRejected,
  kExpired,
  kExpiredInMatch,
  kOther
};
const char* to_string(RestOrderStatus s) noexcept;

struct PositionRisk {
  std::string symbol;
  PositionSideField position_side = PositionSideField::kBoth;
  Decimal amount{};  // positionAmt, signed: negative is short
  Price entry_price{};
  Price mark_price{};
  Price liquidation_price{};  // "0" when none
  double unrealized_pnl = 0;  // unRealizedProfit
  int leverage = 0;           // v2 only; 0 when absent (v3 has no leverage)
  TimeMs update_time = 0;
};

// The side of the position an entry describes: its positionSide in hedge mode, the sign of
// positionAmt in one-way mode.
inline Side side_of(const PositionRisk& pr) noexcept {
  if (pr.position_side == PositionSideField::kShort) return Side::kShort;
  if (pr.position_side == PositionSideField::kLong) return Side::kLong;
  return pr.amount.is_negative() ? Side::kShort : Side::kLong;
}

// GET /fapi/v1/klines (or markPriceKlines). `last_closed` is false when the last candle's
// close time is at or after the server time given: it is still forming.
struct KlineCandles {
  std::vector<Candle> candles;  // ascending open time; interval_ms = closeTime - openTime + 1
  bool last_closed = true;
};

struct PremiumIndex {
  std::string symbol;
  Price mark_price{};
  Price index_price{};  // zero when absent
  TimeMs time = 0;
};

// POST / GET / DELETE /fapi/v1/order. Required: orderId, clientOrderId, status, updateTime;
// the quantities and prices are zero when absent.
struct OrderAnswer {
  std::int64_t order_id = 0;
  IdText client_order_id;
  IdText symbol;
  RestOrderStatus status = RestOrderStatus::kOther;
  Qty orig_qty{};
  Qty executed_qty{};
  Price avg_price{};
  Price price{};
  TimeMs update_time = 0;
};

// POST / GET /fapi/v1/algoOrder and the elements of GET /fapi/v1/openAlgoOrders.
// Required: algoId, clientAlgoId, algoStatus.
struct AlgoOrderAnswer {
  std::int64_t algo_id = 0;
  IdText client_algo_id;
  IdText symbol;
  AlgoStatus status = AlgoStatus::kOther;
  Price trigger_price{};             // zero when "" or absent
  Qty quantity{};                    // zero when "" or absent (closePosition orders)
  std::int64_t actual_order_id = 0;  // GET only, once triggered; 0 otherwise
  TimeMs update_time = 0;
  // The order's side (SELL closes a LONG) and position side, when the answer has them.
  enum class OrderSide : std::uint8_t { kUnknown, kBuy, kSell } side = OrderSide::kUnknown;
  PositionSideField position_side = PositionSideField::kBoth;
};

// DELETE /fapi/v1/algoOrder: {"algoId":..,"clientAlgoId":"..","code":"200","msg":"success"}.
// Any code other than 200 fails the parse on field "code".
struct AlgoCancelAnswer {
  std::int64_t algo_id = 0;
  IdText client_algo_id;
};

// {"code":-2022,"msg":"ReduceOnly Order is rejected."}
struct ErrorBody {
  static constexpr std::size_t kMsgCapacity = 256;
  int code = 0;
  std::array<char, kMsgCapacity> msg_chars{};  // cut to fit; not NUL-terminated
  std::uint16_t msg_len = 0;
  bool msg_truncated = false;
  std::string_view msg() const noexcept { return {msg_chars.data(), msg_len}; }
};

// POST /fapi/v1/leverage: {"leverage":21,"maxNotionalValue":"1000000","symbol":"BTCUSDT"}.
struct LeverageAnswer {
  std::string symbol;
  int leverage = 0;
  std::optional<Decimal> max_notional;  // nullopt for "INF" (no cap)
};

class RestResponseParser {
 public:
  static constexpr std::size_t kDefaultCapacity = 64 * 1024;

  // initial_capacity: body size the buffer and parser are sized for up front.
  explicit RestResponseParser(std::size_t initial_capacity = kDefaultCapacity);
  RestResponseParser(const RestResponseParser&) = delete;
  RestResponseParser& operator=(const RestResponseParser&) = delete;

  // GET /fapi/v1/time: {"serverTime":1499827319559}.
  RestResult parse_server_time(std::string_view body, TimeMs& server_time) noexcept;
  // GET /fapi/v1/positionSide/dual: {"dualSidePosition":true} (true: Hedge Mode).
  RestResult parse_position_mode(std::string_view body, bool& dual_side) noexcept;
  // GET /fapi/v2/positionRisk or /fapi/v3/positionRisk (an array). `out` is replaced; with
  // nonzero_only, entries whose positionAmt is zero are left out.
  RestResult parse_positions(std::string_view body, std::vector<PositionRisk>& out,
                             bool nonzero_only = false);
  // GET /fapi/v1/klines: an array of arrays (§2.10). `out` is replaced.
  RestResult parse_klines(std::string_view body, TimeMs server_time, KlineCandles& out);
  // GET /fapi/v1/premiumIndex with a symbol (an object).
  RestResult parse_premium_index(std::string_view body, PremiumIndex& out);
  // POST / GET / DELETE /fapi/v1/order. No allocation once warm.
  RestResult parse_order(std::string_view body, OrderAnswer& out) noexcept;
  // POST / GET /fapi/v1/algoOrder. No allocation once warm.
  RestResult parse_algo_order(std::string_view body, AlgoOrderAnswer& out) noexcept;
  // DELETE /fapi/v1/algoOrder. No allocation once warm.
  RestResult parse_algo_cancel(std::string_view body, AlgoCancelAnswer& out) noexcept;
  // GET /fapi/v1/openAlgoOrders (an array of algo orders). `out` is replaced.
  RestResult parse_open_algo_orders(std::string_view body, std::vector<AlgoOrderAnswer>& out);
  // {"code":-2022,"msg":"..."}. No allocation.
  RestResult parse_error_body(std::string_view body, ErrorBody& out) noexcept;
  // POST / PUT /fapi/v1/listenKey: {"listenKey":"..."} (PUT may answer {} : then `out` is
  // left empty and the parse succeeds only if allow_empty).
  RestResult parse_listen_key(std::string_view body, std::string& out, bool allow_empty = false);
  // POST /fapi/v1/leverage.
  RestResult parse_leverage(std::string_view body, LeverageAnswer& out);
  // GET /fapi/v1/leverageBracket (§7.1): an array of symbols, or one object when the request
  // named a symbol; `out` is replaced (one element for the object form). The figures are
  // plain JSON numbers (a number in a string is taken too). Required: symbol, brackets (not
  // empty), and in each bracket initialLeverage, notionalFloor, notionalCap,
  // maintMarginRatio, cum; each symbol's brackets must pass validate_brackets(), and a
  // failure names the JSON field and the bracket ("maintMarginRatio" of element 1,
  // bracket 2; element −1 in the object form). On failure `out` is empty.
  RestResult parse_leverage_brackets(std::string_view body, std::vector<SymbolBrackets>& out);

  // What an HTTP answer means (classify_exchange_error, §2.2 / §6): 2xx is kNone; otherwise
  // the body's code and msg, or, when the body is not a Binance error object (a WAF page,
  // a bare "Service Unavailable"), code 0 and the raw body as the message. `error`, when
  // given, receives that code and message. No allocation.
  ErrorAction classify_response(int http_status, std::string_view body,
                                ErrorBody* error = nullptr) noexcept;

 private:
  RestResult load(std::string_view body, simdjson::ondemand::document& doc) noexcept;

  simdjson::ondemand::parser json_;
  std::unique_ptr<char[]> buffer_;
  std::size_t buffer_capacity_ = 0;
};

}  // namespace exitbrain
