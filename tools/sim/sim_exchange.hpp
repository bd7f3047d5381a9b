#pragma once
// exitbrain-sim's exchange: a pure, single-threaded model of a Binance USD-M futures
// account behind the REST API (binance-api.md §2, §3, §6) and its user-data stream (§4).
// No sockets: the server hands every parsed request to handle() and pushes mark prices in
// with on_mark_price(); the user-data events it must send come out of take_user_events().
//
// The model: MARKET orders fill at once at the current mark price (no book, no slippage),
// the taker fee is charged on every fill, positions average on increase and realise PnL on
// reduction (one-way: one signed position per symbol; hedge: LONG and SHORT apart).
// Conditional orders live on the algo endpoint and trigger on the mark price. Every bad
// parameter is answered with the exchange's code and message; nothing throws out of here.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/decimal.hpp"
#include "core/types.hpp"

namespace exitbrain::sim {

class JsonWriter;

struct SimSymbol {
  std::string name;
  Decimal tick_size;
  Decimal step_size;
  Decimal min_qty;
  Decimal min_notional;
};

struct SimAccountConfig {
  std::string api_key, api_secret;
  bool hedge_mode = false;
  double taker_fee = 0.0004;        // fraction of notional
  double wallet_balance = 10000.0;  // USDT
  // Open conditional orders the account may hold (Binance: 200; -4045 beyond).
  std::size_t max_algo_orders = 200;
  std::vector<SimSymbol> symbols;
};

struct HttpRequestView {     // what the server parsed off the wire
  std::string_view method;   // "GET" "POST" "PUT" "DELETE"
  std::string_view path;     // "/fapi/v1/order" (no query)
  std::string_view query;    // raw text after '?', may be empty
  std::string_view body;     // application/x-www-form-urlencoded, may be empty
  std::string_view api_key;  // X-MBX-APIKEY header, empty if absent
  // CLOCK_MONOTONIC ns (mono_now_ns) when the server had read the request off the socket;
  // 0: not taken. Logged as received_ns in orders_json() so that exitbrain-bench can
  // measure breach-to-order on the simulator's one clock (with /sim/mark's sent_ns).
  std::int64_t received_ns = 0;
};

struct HttpAnswer {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Faults {  // fault switches (set via POST /sim/faults or directly by tests)
  // Next N order/algoOrder POSTs: executed, but answered HTTP 503 {"code":-1000,"msg":
  // "Unknown error, please check your request or try again later."} (§2.2 (A)).
  int unknown_503_next = 0;
  // Next N order/algoOrder POSTs: not executed, HTTP 503 "Service Unavailable." (§2.2 (B)).
  int unavailable_503_next = 0;
  // Next N signed requests: HTTP 429 {"code":-1003,...} with a Retry-After header.
  int rate_limit_429_next = 0;
  // Next N signed requests: HTTP 418 {"code":-1003,...} (an IP ban) with a Retry-After.
  int ban_418_next = 0;
  std::int64_t clock_skew_ms = 0;  // server clock = now + skew (/time and the recvWindow check)
  int delay_ms = 0;                // the server delays exchange answers (not /sim/ ones)
  bool drop_market_ws = false;     // server closes market WebSockets once, then clears it
  std::int64_t silence_ms = 0;     // server sends no market data for this long
  // Server closes market WebSockets and refuses new ones (HTTP 503) for this long: a feed
  // outage that a reconnect does not end at once.
  std::int64_t refuse_market_ws_ms = 0;
  bool drop_user_ws = false;       // server closes user-data WebSockets once, then clears it
  bool expire_listen_key = false;  // the active listen key expires now (listenKeyExpired)
};

class SimExchange {
 public:
  explicit SimExchange(SimAccountConfig cfg);

  // Every REST endpoint and the /sim/* control endpoints.
  HttpAnswer handle(const HttpRequestView& req, TimeMs now_ms);
  // A new mark price: updates 1m candles and PnL, and triggers algo orders.
  void on_mark_price(std::string_view symbol, Decimal mark, TimeMs t, double funding_rate = 0.0);
  // A position opened outside exitbrain: a MARKET fill at the current mark under a foreign
  // client id "web_...", with the user-data events a real fill sends. The error text when it
  // cannot be done (unknown symbol, no mark yet, bad quantity).
  std::optional<std::string> open_position(std::string_view symbol, Side side, Qty qty, TimeMs now);
  // User-data messages (raw JSON, as on /private/ws/<listenKey>) since the last call.
  std::vector<std::string> take_user_events();
  bool listen_key_valid(std::string_view key, TimeMs now) const;
  Faults& faults() { return faults_; }

  // Inspection. Every order-endpoint request received, in arrival order (plus "TRIGGER
  // algoOrder" entries for fired conditional orders and "SIM open" for open_position):
  // [{"seq","time","endpoint","params":{..no signature..},"http_status","code","msg",
  //   "outcome","executed_qty","order_id"|"algo_id","received_ns"}] (received_ns only for
  //   requests that carried one, see HttpRequestView).
  std::string orders_json() const;
  // {"walletBalance","totalRealizedPnl","totalFees","positions":[{"symbol","positionSide",
  //  "positionAmt","entryPrice","markPrice","unRealizedProfit","realizedPnl","fees"}]}.
  std::string positions_json() const;
  // A mark price that went out on a market stream to a subscriber (what a client could see:
  // a silenced or unsubscribed mark is not one). GET /sim/marks: [{"t","s","p"}], in order;
  // the fault soak judges stop breaches from it. Kept up to kMaxMarks (then the newest
  // are dropped and "marks_dropped" says how many).
  void note_streamed_mark(std::string_view symbol, Decimal mark, TimeMs t);
  std::string marks_json() const;
  static constexpr std::size_t kMaxMarks = 4'000'000;

  // Direct state access for tests and the server.
  bool hedge_mode() const noexcept { return hedge_; }
  Decimal wallet_balance() const noexcept { return wallet_; }
  std::optional<Decimal> mark_price(std::string_view symbol) const;
  // Signed position amount; ps "BOTH" in one-way mode, "LONG"/"SHORT" in hedge mode.
  Decimal position_amount(std::string_view symbol, std::string_view position_side = "BOTH") const;
  const std::string& active_listen_key() const noexcept { return listen_key_; }
  // Ends the active listen key's validity now (the expiry fault).
  void expire_listen_key(TimeMs now) noexcept {
    listen_key_expiry_ = std::min(listen_key_expiry_, now);
  }

 private:
  enum PosIdx : int { kBoth = 0, kLong = 1, kShort = 2 };
  struct Position {
    Decimal amount{};  // signed, negative = short
    Decimal entry{};
    Decimal realized{};
    Decimal fees{};
    TimeMs update_time = 0;
  };
  struct Candle {
    Decimal open, high, low, close;
  };
  struct SymbolState {
    SimSymbol cfg;
    Decimal mark{};
    bool has_mark = false;
    TimeMs mark_time = 0;
    double funding_rate = 0.0;
    int leverage = 20;
    std::int64_t next_order_id = 0;
    std::array<Position, 3> pos{};
    std::map<TimeMs, Candle> candles;  // 1m candles by open time
  };
  struct Order {
    std::string symbol;
    std::int64_t order_id = 0;
    std::string client_id;
    bool buy = false;
    int ps = kBoth;
    bool reduce_only = false;
    bool close_position = false;
    Decimal orig_qty{}, executed_qty{}, avg_price{}, cum_quote{};
    std::string status;
    std::string working_type = "CONTRACT_PRICE";
    TimeMs time = 0, update_time = 0;
  };
  struct Trade {  // one fill, as GET /fapi/v1/userTrades lists it
    std::int64_t id = 0, order_id = 0;
    std::size_t symbol = 0;  // index into symbols_
    bool buy = false;
    int ps = kBoth;
    Decimal price{}, qty{}, quote{}, commission{}, realized{};
    TimeMs time = 0;
  };
  struct AlgoOrder {
    std::int64_t algo_id = 0;
    std::string client_algo_id;
    std::string symbol;
    bool buy = false;
    int ps = kBoth;
    std::string type;  // STOP_MARKET / TAKE_PROFIT_MARKET
    Decimal trigger{}, quantity{};
    bool close_position = false, reduce_only = false, price_protect = false;
    std::string working_type = "CONTRACT_PRICE";
    std::string status = "NEW";
    std::int64_t actual_order_id = 0;
    Decimal actual_price{}, executed{};
    TimeMs create_time = 0, update_time = 0, trigger_time = 0;
    std::string reason;
  };
  struct Window {
    std::int64_t index = -1;
    std::int64_t count = 0;
  };
  struct Ctx;
  struct Error {
    int code = 0;
    std::string msg;
    int status = 400;
  };
  // What a market fill would do, checked before anything changes.
  struct FillPlan {
    std::optional<Error> error;
    Qty qty{};              // clipped to the position for reducing orders
    bool reducing = false;  // reduce-only (or a hedge-mode close): min notional exempt
  };

  // ---- plumbing (sim_exchange.cpp)
  HttpAnswer route(Ctx& c);
  std::optional<Error> check_signed(Ctx& c);
  std::optional<Error> check_api_key(const Ctx& c) const;
  void count_weight(Ctx& c, std::int64_t weight);
  void count_order(Ctx& c);
  SymbolState* find_symbol(std::string_view name);
  const SymbolState* find_symbol(std::string_view name) const;
  static HttpAnswer error_answer(const Error& e);
  static Error missing(std::string_view param);
  static Error bad_value(std::string_view param);
  void log_request(const Ctx& c, const HttpAnswer& a);
  void log_entry(TimeMs t, std::string_view endpoint,
                 const std::vector<std::pair<std::string, std::string>>& params, int http_status,
                 int code, std::string_view msg, std::string_view outcome, Decimal executed,
                 std::string_view id_key, std::int64_t id_value, std::int64_t received_ns = 0);
  std::string next_web_id();
  std::string next_auto_id();

  // ---- account endpoints (sim_exchange.cpp)
  HttpAnswer get_position_mode(Ctx& c);
  HttpAnswer post_position_mode(Ctx& c);
  Decimal liquidation_price(const SymbolState& s, const Position& p) const;
  HttpAnswer position_risk(Ctx& c, int version);
  HttpAnswer post_leverage(Ctx& c);
  HttpAnswer get_leverage_brackets(Ctx& c);  // sim_brackets.cpp
  HttpAnswer listen_key(Ctx& c);
  // ---- account and balance, trades (sim_account.cpp)
  HttpAnswer get_account_v2(Ctx& c) { return get_account(c, 2); }
  HttpAnswer get_account_v3(Ctx& c) { return get_account(c, 3); }
  HttpAnswer get_account(Ctx& c, int version);
  HttpAnswer get_balance(Ctx& c);
  HttpAnswer get_user_trades(Ctx& c);
  // A position's figures at the current mark (cross margin: initial = notional / leverage,
  // maintenance 0.4 % of notional), as positionRisk, account and balance report them.
  struct Margin {
    Decimal notional{}, unrealized{}, initial{}, maint{};
    TimeMs updated = 0;  // account_margin(): the last change of any position
  };
  Margin position_margin(const SymbolState& s, const Position& p) const;
  Margin account_margin() const;  // summed over every position
  HttpAnswer sim_control(Ctx& c);
  bool account_flat() const;
  std::size_t open_algo_count() const;

  // ---- market data (sim_market.cpp)
  HttpAnswer get_time(Ctx& c);
  HttpAnswer get_exchange_info(Ctx& c);
  HttpAnswer get_premium_index(Ctx& c);
  HttpAnswer get_klines(Ctx& c);
  void premium_index_object(JsonWriter& w, const SymbolState& s, TimeMs server_now) const;

  // ---- orders (sim_orders.cpp)
  HttpAnswer post_order(Ctx& c);
  HttpAnswer get_order(Ctx& c);
  HttpAnswer delete_order(Ctx& c);
  HttpAnswer post_algo_order(Ctx& c);
  HttpAnswer get_algo_order(Ctx& c);
  HttpAnswer delete_algo_order(Ctx& c);
  HttpAnswer get_open_algo_orders(Ctx& c);
  HttpAnswer delete_algo_open_orders(Ctx& c);
  std::optional<Error> parse_qty(const SymbolState& s, std::string_view text, Qty& out) const;
  FillPlan plan_fill(const SymbolState& s, bool buy, int ps, Qty qty, bool reduce_only) const;
  // Executes a planned market fill at the mark and emits NEW, ACCOUNT_UPDATE and TRADE.
  Order& execute_fill(SymbolState& s, bool buy, int ps, Qty qty, Qty requested, bool reduce_only,
                      bool close_position, std::string client_id, std::string_view working_type,
                      TimeMs t);
  void fire_algo(SymbolState& s, AlgoOrder& a, TimeMs t);
  void cancel_algo(AlgoOrder& a, std::string_view status, TimeMs t);
  void order_object(JsonWriter& w, const Order& o, bool with_time) const;
  void algo_object(JsonWriter& w, const AlgoOrder& a, bool query_fields) const;
  void emit_order_event(const Order& o, std::string_view exec_type, Qty last_qty, Price last_price,
                        Decimal commission, Decimal realized, TimeMs t, std::int64_t trade_id);
  void emit_account_update(const SymbolState& s, int ps, TimeMs t);
  void emit_algo_event(const AlgoOrder& a, TimeMs t);
  const Order* find_order(const Ctx& c, const SymbolState& s, std::optional<Error>& err) const;
  AlgoOrder* find_algo(const Ctx& c, std::optional<Error>& err);

  SimAccountConfig cfg_;
  bool hedge_ = false;
  Decimal fee_rate_{};
  Decimal wallet_{};
  std::vector<SymbolState> symbols_;
  std::vector<Order> orders_;
  std::map<std::string, std::size_t> order_by_client_;  // "SYMBOL|clientId" -> orders_ index
  std::vector<AlgoOrder> algos_;
  std::vector<Trade> trades_;
  std::int64_t next_algo_id_ = 4'000'001;
  std::int64_t next_trade_id_ = 1'000'001;
  std::uint64_t id_counter_ = 0;
  std::string listen_key_;
  TimeMs listen_key_expiry_ = 0;
  Faults faults_;
  Window weight_1m_, orders_1m_, orders_10s_;
  std::vector<std::string> events_;
  std::vector<std::string> log_;  // orders_json entries, rendered
  struct StreamedMark {
    TimeMs time = 0;
    std::uint32_t symbol = 0;  // symbols_ index
    Decimal price{};
  };
  std::vector<StreamedMark> marks_;
  std::uint64_t marks_dropped_ = 0;
};

}  // namespace exitbrain::sim
