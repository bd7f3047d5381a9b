#include "tools/replay/replay_summary.hpp"

#include <string>

namespace exitbrain {

void print_replay_report(std::FILE* out, const ReplaySession& session, const MarketMerger& inputs) {
  for (std::size_t f = 0; f < inputs.size(); ++f) {
    const MarketFileReader& r = inputs.reader(f);
    const MarketReaderStats& s = r.stats();
    std::fprintf(out, "input %s (%s): %llu lines, %llu events, %llu ignored, %llu malformed\n",
                 r.path().c_str(), to_string(r.format()), static_cast<unsigned long long>(s.lines),
                 static_cast<unsigned long long>(s.events),
                 static_cast<unsigned long long>(s.ignored),
                 static_cast<unsigned long long>(s.malformed));
    for (const std::string& e : s.first_errors) std::fprintf(out, "  skipped: %s\n", e.c_str());
  }
  const PriceStateCounters& c = session.state_engine().counters();
  std::fprintf(out, "state: %llu events, %llu closed candles",
               static_cast<unsigned long long>(c.events),
               static_cast<unsigned long long>(c.candles));
  // Input the indicators could not use is reported, never dropped in silence.
  if (c.rejected_candles)
    std::fprintf(out, ", %llu candles refused by the ATR (bad high/low/close)",
                 static_cast<unsigned long long>(c.rejected_candles));
  if (c.unusable_klines)
    std::fprintf(out, ", %llu klines whose interval does not divide the ATR interval",
                 static_cast<unsigned long long>(c.unusable_klines));
  std::fprintf(out, "\n");
  for (const std::string& f : session.inferred_filters())
    std::fprintf(out, "note: no tick/step configured for %s (inferred from the data)\n", f.c_str());

  std::fprintf(out, "\n%-12s %-10s %-5s %-13s %-11s %5s %5s %5s %5s %5s %5s %14s\n", "position",
               "symbol", "side", "profile", "status", "SL", "TRAIL", "BE", "TP", "HARV", "TIME",
               "realised PnL");
  double total = 0;
  int flat = 0, open = 0, not_started = 0;
  for (std::size_t i = 0; i < session.results().size(); ++i) {
    const PositionResult& r = session.results()[i];
    const char* status = "not_started";
    if (r.started) {
      status = r.closed_at > 0 ? "flat" : "open";
      (r.closed_at > 0 ? flat : open)++;
    } else {
      ++not_started;
    }
    const auto& e = r.exits_by_reason;
    std::fprintf(
        out, "%-12s %-10s %-5s %-13s %-11s %5d %5d %5d %5d %5d %5d %14.4f\n", r.id.c_str(),
        r.symbol.c_str(), r.side == Side::kLong ? "LONG" : "SHORT", r.profile.c_str(), status,
        e[static_cast<int>(ExitReason::kStopLoss)], e[static_cast<int>(ExitReason::kTrailingStop)],
        e[static_cast<int>(ExitReason::kBreakEven)], e[static_cast<int>(ExitReason::kTakeProfit)],
        e[static_cast<int>(ExitReason::kHarvest)], e[static_cast<int>(ExitReason::kTimeStop)],
        r.realized_pnl);
    total += r.realized_pnl;
  }
  std::fprintf(out,
               "%zu positions: %d flat, %d open, %d not reached by the data; realised PnL %.4f\n",
               session.results().size(), flat, open, not_started, total);
}

}  // namespace exitbrain
