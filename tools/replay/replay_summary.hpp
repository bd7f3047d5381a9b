#pragma once
// The human-readable end of a replay: one row per position, totals, and what the input
// files held (events, ignored and malformed lines, inferred tick / step sizes).
#include <cstdio>

#include "tools/market_data/market_reader.hpp"
#include "tools/replay/replay_session.hpp"

namespace exitbrain {

void print_replay_report(std::FILE* out, const ReplaySession& session, const MarketMerger& inputs);

}  // namespace exitbrain
