#pragma once
// Real recorded prices for the simulator from 1m kline CSVs (../shared/data/klines): each
// candle is walked open -> high -> low -> close (open -> low -> high -> close for a down
// candle) as in `exitbrain replay`, and each point becomes a markPriceUpdate. Long real
// histories (months) where the websocket captures last minutes: enough for an ATR backfill
// and an hour of exits in the demo.
#include <memory>
#include <string>
#include <vector>

#include "tools/sim/market_feed.hpp"

namespace exitbrain::sim {

// Several files are merged by time. Null and `error` set when a file cannot be read.
std::unique_ptr<MarketFeed> open_kline_csv_feed(const std::vector<std::string>& paths,
                                                std::string* error);

}  // namespace exitbrain::sim
