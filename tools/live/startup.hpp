#pragma once
// `exitbrain run` start-up over REST, before any thread starts (binance-api.md §2):
//  1. server time, a few samples (the offset every signed request needs);
//  2. exchangeInfo: tick / step / min notional of every configured symbol (a symbol the
//     exchange does not list stops the start: no guessing with real money);
//  3. the position mode (GET /fapi/v1/positionSide/dual): hedge or one-way decides which
//     order parameters are legal (-4061 / -1106 otherwise);
//  4. open positions (GET /fapi/v3/positionRisk) on the configured symbols;
//  5. 1m klines of each symbol, enough for every ATR in use, so levels are set at once
//     instead of an hour later;
//  6. our open algo orders (GET /fapi/v1/openAlgoOrders, "xbs-" hard stops): what earlier
//     runs left standing, for the reconciliation (tools/live/reconcile.hpp).
//  7. the leverage brackets of each symbol (GET /fapi/v1/leverageBracket, §7.1), for the
//     liquidation guard and the leverage cap of the trade intents. Unlike the steps above a
//     failure does not stop the start: the exits never need them, and intents fall back to
//     [redis]'s maint_margin_rate, with an alert, until the hourly refresh succeeds.
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/candle.hpp"
#include "core/symbol_table.hpp"
#include "net/hmac_signer.hpp"
#include "net/order_format.hpp"
#include "net/rest_client.hpp"
#include "net/rest_responses.hpp"
#include "net/server_clock.hpp"
#include "strategies/leverage_brackets.hpp"
#include "tools/intents/intent_consumer.hpp"
#include "tools/settings/live_config.hpp"

namespace exitbrain {

struct StartupState {
  PositionMode mode = PositionMode::kOneWay;
  std::vector<PositionRisk> positions;            // nonzero, on configured symbols
  std::vector<PositionRisk> unmanaged_positions;  // nonzero, elsewhere (reported)
  std::vector<std::vector<Candle>> klines;        // per SymbolId: closed 1m candles
  std::vector<AlgoOrderAnswer> our_hard_stops;    // open, "xbs-" ids, on configured symbols
  std::size_t open_algo_orders = 0;  // every open algo order on the account (the 200 limit)
  LeverageBracketTable brackets;     // of the configured symbols
  std::string brackets_error;        // why `brackets` is empty ("" when read)
};

// Throws InputError (configuration, unknown symbol) or std::runtime_error (the
// exchange cannot be reached or answers something unusable), naming the step.
StartupState run_startup(RestClient& rest, const HmacSha256Signer& signer, ServerClock& clock,
                         SymbolTable& symbols, const LiveConfig& config, int kline_minutes);

// GET /fapi/v1/leverageBracket (signed, weight 1) for each configured symbol. Throws
// std::runtime_error naming the step, the symbol and what was wrong.
LeverageBracketTable fetch_leverage_brackets(RestClient& rest, const HmacSha256Signer& signer,
                                             const ServerClock& clock, const LiveConfig& config);

inline constexpr TimeMs kLeverageBracketRefreshMs = 3'600'000;

// The wiring of the brackets into `exitbrain run`: hands start-up's to the intent consumer
// and has it re-fetch them every kLeverageBracketRefreshMs on its own thread, over a
// connection and a server clock of its own (the order thread owns the others, and the
// signer is only read). `signer` must outlive the consumer.
void attach_leverage_brackets(IntentConsumer& consumer, const StartupState& startup,
                              HttpTarget rest_target,
                              std::shared_ptr<boost::asio::ssl::context> tls,
                              RestClientOptions options, const HmacSha256Signer& signer,
                              const LiveConfig& config);

// How many 1m candles the ATR specs need to be ready from the first live tick.
int backfill_minutes(std::int64_t longest_interval_ms, int longest_period) noexcept;

}  // namespace exitbrain
