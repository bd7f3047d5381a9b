#pragma once
// One trade intent from quantum:stream:trade.intent (DESIGN.md §4, seed 004), after
// parsing and validation (net/trade_intent_parser.hpp). Plain data: the intent thread
// reads it, the policy (strategies/intent_policy.hpp) decides what to do with it.
#include <string>

#include "core/types.hpp"

namespace exitbrain {

struct TradeIntent {
  SymbolId symbol = kNoSymbol;       // from the SymbolTable
  Side side = Side::kLong;           // BUY -> kLong, SELL -> kShort
  double confidence = 0;             // [0,1]
  double entry_price = 0;            // > 0
  double stop_loss = 0;              // 0 = none; else on the loss side of entry_price
  double take_profit = 0;            // 0 = none; else on the profit side of entry_price
  double position_size_usd = 0;      // > 0
  double leverage = 0;               // the producer's default (seeds: 1); 0 = absent
  double atr_value = 0;              // >= 0
  double volatility_factor = 0;      // [0,1]
  double exchange_divergence = 0;    // finite
  double funding_rate = 0;           // [-1,1]
  Regime regime = Regime::kUnknown;  // unknown / range / trending / volatile
  TimeMs timestamp_ms = 0;           // when the producer made it
  std::string model;                 // free text, at most 128 bytes
  std::string reason;                // free text, at most 256 bytes
};

}  // namespace exitbrain
