#pragma once
// One replay: recorded market events in, the engine's decisions out as JSON lines, then a
// summary per position. The state and decision stages are the very objects the live
// pipeline runs; only the fills are simulated (at the trigger price, with the configured
// slippage and taker fee).
#include <array>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/price_state_engine.hpp"
#include "strategies/exit_engine.hpp"
#include "tools/replay/positions_file.hpp"
#include "tools/settings/atr_plan.hpp"
#include "tools/settings/config.hpp"

namespace exitbrain {

class ChartRecorder;

struct PositionResult {
  std::string id;
  std::string symbol;
  Side side = Side::kLong;
  std::string profile;
  Qty qty{};
  Price entry{};
  double leverage = 1.0;
  bool started = false;
  double realized_pnl = 0.0;  // after fees
  double fees = 0.0;
  std::array<int, kExitReasonCount> exits_by_reason{};
  TimeMs closed_at = 0;
};

class ReplaySession {
 public:
  // `out` receives the JSON lines (may be null); `chart` records for --chart (may be null).
  // `extra_profiles`: profiles of positions added later with add_position().
  ReplaySession(const Config& config, SymbolTable& symbols, std::vector<PositionRecord> positions,
                std::ostream* out, ChartRecorder* chart,
                const std::vector<int>& extra_profiles = {});
  ~ReplaySession();

  void on_event(const MarketEvent& ev);
  // Adds a position while replaying (backtest entries); its opened_at is the current time.
  void add_position(PositionRecord rec);
  // Writes the summary lines; positions never reached by the data are reported as such.
  void finish();

  const std::vector<PositionResult>& results() const noexcept { return results_; }
  const ExitEngine& engine() const noexcept { return *engine_; }
  const PriceStateEngine& state_engine() const noexcept { return *state_; }
  TimeMs now() const noexcept { return now_; }
  // Positions whose symbol never appeared in the market data (bad input: no stop could
  // ever be managed for them).
  std::vector<const PositionRecord*> positions_without_data() const;
  // Filters that were inferred (no config, no exchangeInfo): symbol names, for the report.
  const std::vector<std::string>& inferred_filters() const noexcept { return inferred_; }

 private:
  void start_due_positions();
  void start(std::size_t record);
  void infer_filters(SymbolId s, const PositionRecord& rec);
  void on_decision(const Decision& d);
  void write_summary(std::size_t record);
  bool has_data(SymbolId s) const noexcept { return max_price_places_[s] >= 0; }

  const Config& config_;
  SymbolTable& symbols_;
  std::vector<PositionRecord> records_;
  std::vector<PositionResult> results_;
  std::vector<int> max_price_places_;  // per symbol, for tick inference
  std::unique_ptr<PriceStateEngine> state_;
  std::unique_ptr<ExitEngine> engine_;
  std::ostream* out_;
  ChartRecorder* chart_;
  std::size_t next_record_ = 0;
  TimeMs now_ = 0;
  std::vector<std::string> inferred_;
};

}  // namespace exitbrain
