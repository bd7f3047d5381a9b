// exitbrain backtest: the replay engine over many synthetic entries, one comparison table
// per profile and leverage mode. Entries carry no signal (both sides at every entry by
// default), so the table measures the exit policy and the leverage, not a predictor.
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/interval.hpp"
#include "strategies/adaptive_levels.hpp"
#include "tools/cli/commands.hpp"
#include "tools/replay/backtest_stats.hpp"
#include "tools/replay/market_input.hpp"
#include "tools/replay/replay_session.hpp"

namespace exitbrain::cli {
namespace {

enum class LeverageMode { kFixed1x, kAdaptive, kIlfLevels };
const char* to_string(LeverageMode m) {
  return m == LeverageMode::kFixed1x    ? "1x"
         : m == LeverageMode::kAdaptive ? "adaptive"
                                        : "ilf-levels";
}

struct BacktestOptions {
  std::vector<std::string> klines;
  std::string entries = "every:4h";
  std::string profiles = "CHALLENGE_100,RANGE,TRENDING,VOLATILE,AUTO";
  std::string config;
  std::string sides = "both";
  std::string symbol;
  double margin = 200;  // USDT per entry (the seeds' position_size_usd, taken as margin)
  double confidence = 0.72;
  double volatility_factor = 0.5513;
  double taker_fee = 0.0005;
  double slippage_bps = 1.0;
};

struct Group {
  int profile;
  LeverageMode mode;
};

// When to open positions: every `every_ms` once the ATRs are warm, or at the times a
// file lists (JSON lines {"opened_at":ms,"side":"LONG|SHORT|BOTH","symbol":"..."}; side
// and symbol optional). The entry price is the market's at that moment.
struct ListedEntry {
  TimeMs at = 0;
  int sides = 3;  // bit 0 LONG, bit 1 SHORT
  std::string symbol;
};
struct EntrySchedule {
  std::int64_t every_ms = 0;  // 0: use `listed`
  std::vector<ListedEntry> listed;
};

EntrySchedule parse_entries(const std::string& spec) {
  EntrySchedule sched;
  if (spec.rfind("every:", 0) == 0) {
    const auto ms = parse_interval_ms(spec.substr(6));
    if (!ms)
      throw InputError("--entries: \"" + spec.substr(6) +
                       "\" is not an interval (1m 5m 1h 4h 1d ...)");
    sched.every_ms = *ms;
    return sched;
  }
  std::ifstream in(spec);
  if (!in)
    throw InputError("--entries: expected every:<interval> or a readable file, got \"" + spec +
                     "\"");
  simdjson::dom::parser parser;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string at = spec + ":" + std::to_string(n) + ": ";
    simdjson::dom::object obj;
    if (parser.parse(line).get(obj)) throw InputError(at + "not a JSON object");
    ListedEntry e;
    for (auto [key, value] : obj) {
      if (key == "opened_at") {
        if (value.get_int64().get(e.at) || e.at < 0)
          throw InputError(at + "field 'opened_at': must be milliseconds since the epoch");
      } else if (key == "side") {
        std::string_view side;
        if (value.get_string().get(side)) throw InputError(at + "field 'side': must be a string");
        e.sides = side == "LONG" ? 1 : side == "SHORT" ? 2 : side == "BOTH" ? 3 : 0;
        if (!e.sides) throw InputError(at + "field 'side': must be LONG, SHORT or BOTH");
      } else if (key == "symbol") {
        std::string_view sym;
        if (value.get_string().get(sym)) throw InputError(at + "field 'symbol': must be a string");
        e.symbol = std::string(sym);
      } else {
        throw InputError(at + "field '" + std::string(key) +
                         "': unknown field (expected opened_at, side, symbol)");
      }
    }
    if (e.at == 0) throw InputError(at + "field 'opened_at': is missing");
    sched.listed.push_back(e);
  }
  if (sched.listed.empty()) throw InputError("--entries: " + spec + " lists no entries");
  std::stable_sort(sched.listed.begin(), sched.listed.end(),
                   [](const ListedEntry& a, const ListedEntry& b) { return a.at < b.at; });
  return sched;
}

std::vector<int> parse_profiles(const std::string& list, const Config& cfg) {
  std::vector<int> out;
  std::stringstream ss(list);
  std::string name;
  while (std::getline(ss, name, ',')) {
    if (name.empty()) continue;
    const int i = cfg.find_profile(name);
    if (i < 0) throw InputError("--profiles: no profile named \"" + name + "\"");
    out.push_back(i);
  }
  if (out.empty()) throw InputError("--profiles: name at least one profile");
  return out;
}

// One file's run.
void run_file(const std::string& path, const BacktestOptions& o, const Config& cfg,
              const std::vector<Group>& groups, const EntrySchedule& schedule,
              std::vector<std::vector<TradeOutcome>>& outcomes) {
  SymbolTable symbols;
  MarketMerger merger = open_market_files({path}, symbols, o.symbol, false);
  std::vector<int> used;
  std::int64_t warmup_ms = 0;
  for (const Group& g : groups) {
    used.push_back(g.profile);
    const Profile& p = cfg.profiles[static_cast<std::size_t>(g.profile)];
    warmup_ms = std::max(warmup_ms, (p.atr_period + 1) * p.atr_interval_ms);
  }
  ReplaySession session(cfg, symbols, {}, nullptr, nullptr, used);
  struct Opened {
    std::size_t group;
    double margin;
    double leverage;
    double liquidation_price;
  };
  std::vector<Opened> opened;
  const int option_sides = o.sides == "long" ? 1 : o.sides == "short" ? 2 : 3;
  std::int64_t first = -1, next_entry = 0;
  std::size_t next_listed = 0;
  MarketEvent ev;
  std::size_t record = 0;
  while (merger.next(ev)) {
    if (first < 0) {
      first = ev.event_time;
      if (schedule.every_ms)
        next_entry = ((first + warmup_ms) / schedule.every_ms + 1) * schedule.every_ms;
    }
    session.on_event(ev);
    if (ev.kind != MarketEventKind::kSynthetic) continue;
    int sides = 0;
    if (schedule.every_ms) {
      if (ev.event_time < next_entry) continue;
      next_entry += schedule.every_ms;
      sides = option_sides;
    } else {
      const std::string_view symbol = symbols.name(ev.symbol);
      for (;
           next_listed < schedule.listed.size() && schedule.listed[next_listed].at <= ev.event_time;
           ++next_listed)
        if (schedule.listed[next_listed].symbol.empty() ||
            schedule.listed[next_listed].symbol == symbol)
          sides |= schedule.listed[next_listed].sides & option_sides;
      if (!sides) continue;
    }
    const double entry = ev.price.to_double();
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
      for (const Side side : {Side::kLong, Side::kShort}) {
        if (!(sides & (side == Side::kLong ? 1 : 2))) continue;
        const Group& g = groups[gi];
        PositionRecord rec;
        rec.id = "b" + std::to_string(record++);
        rec.symbol = std::string(symbols.name(ev.symbol));
        rec.position.symbol = ev.symbol;
        rec.position.side = side;
        rec.position.entry = ev.price;
        rec.position.profile = static_cast<std::uint16_t>(g.profile);
        double leverage = 1;
        double liquidation = 0;
        if (g.mode != LeverageMode::kFixed1x) {
          AdaptiveLevelsInput in;
          in.side = side;
          in.entry_price = entry;
          in.confidence = o.confidence;
          in.volatility_factor = o.volatility_factor;
          in.regime = session.state_engine().state(ev.symbol).regime;
          if (g.mode == LeverageMode::kAdaptive) {
            // Guard against the widest stop this profile can place now (high-vol mode).
            const Profile& p = cfg.profiles[static_cast<std::size_t>(g.profile)];
            const auto& st = session.state_engine().state(ev.symbol);
            const double atr = st.atr[0];
            in.stop_loss = entry - side_sign(side) *
                                       std::max(p.atr_multiplier, p.high_vol_atr_multiplier) * atr;
            if (in.stop_loss <= 0) in.stop_loss = 0;
          }
          const AdaptiveLevelsResult r = compute_adaptive_levels(in);
          if (!r.ok()) continue;  // inputs are ours and valid; a refused entry is skipped
          leverage = r.levels.target_leverage;
          liquidation = r.levels.liquidation_price;
          if (g.mode == LeverageMode::kIlfLevels) {
            rec.position.sl = Decimal::from_double(r.levels.dynamic_sl);
            rec.position.tp[0] = Decimal::from_double(r.levels.dynamic_tp).value_or(Price{});
            rec.position.tp_count = 1;
          }
        }
        SymbolFilters& f = symbols.filters(ev.symbol);
        if (!f.step_known) f.step_size = Decimal::from_units(1), f.step_known = true;
        const auto qty = Decimal::from_double(o.margin * leverage / entry);
        if (!qty || !qty->floor_to(f.step_size).is_positive()) continue;
        rec.position.qty = qty->floor_to(f.step_size);
        rec.leverage = leverage;
        session.add_position(rec);
        opened.push_back(Opened{gi, o.margin, leverage, liquidation});
      }
    }
  }
  session.finish();
  // Positions still open are marked at the last price; an isolated loss stops at the margin.
  for (std::size_t i = 0; i < opened.size(); ++i) {
    const PositionResult& r = session.results()[i];
    const PositionState& pos = session.engine().position(static_cast<std::uint32_t>(i));
    TradeOutcome t;
    t.margin = opened[i].margin;
    t.leverage = opened[i].leverage;
    // Opening costs a taker fee too (the replay only books exits).
    t.pnl = r.realized_pnl - o.taker_fee * (pos.entry.to_double() * pos.original_qty.to_double());
    t.closed_at = r.closed_at;
    if (!pos.closed) {
      const Price last = session.state_engine().state(pos.symbol).mark;
      t.pnl += side_sign(pos.side) * (last - pos.entry).to_double() * pos.remaining.to_double();
      t.closed_at = session.now();
    }
    if (t.pnl < -t.margin) {
      t.pnl = -t.margin;
      t.liquidated = true;
    }
    outcomes[opened[i].group].push_back(t);
  }
}

int run_backtest(const BacktestOptions& o) {
  Config cfg = o.config.empty() ? Config{} : load_config(o.config);
  if (!(o.margin > 0)) throw InputError("--margin: must be positive");
  if (!(o.confidence >= 0 && o.confidence <= 1)) throw InputError("--confidence: must be in [0,1]");
  if (!(o.volatility_factor >= 0 && o.volatility_factor <= 1))
    throw InputError("--volatility-factor: must be in [0,1]");
  if (!(o.taker_fee >= 0 && o.taker_fee <= 0.01))
    throw InputError("--taker-fee: must be in [0, 0.01]");
  if (!(o.slippage_bps >= 0 && o.slippage_bps <= 1000))
    throw InputError("--slippage-bps: must be in [0, 1000]");
  if (o.sides != "both" && o.sides != "long" && o.sides != "short")
    throw InputError("--sides: must be both, long or short");
  cfg.fills.taker_fee = o.taker_fee;
  cfg.fills.slippage_bps = o.slippage_bps;
  const EntrySchedule schedule = parse_entries(o.entries);
  std::vector<Group> groups;
  for (int p : parse_profiles(o.profiles, cfg))
    for (LeverageMode m : {LeverageMode::kFixed1x, LeverageMode::kAdaptive})
      groups.push_back(Group{p, m});
  groups.push_back(Group{cfg.find_profile(cfg.default_profile), LeverageMode::kIlfLevels});

  std::vector<std::vector<TradeOutcome>> outcomes(groups.size());
  for (const std::string& path : o.klines) run_file(path, o, cfg, groups, schedule, outcomes);

  std::printf(
      "backtest: %zu file(s), entries %s, sides %s, margin %.2f USDT, fee %.4f%%, slippage %.1f "
      "bps\n",
      o.klines.size(), o.entries.c_str(), o.sides.c_str(), o.margin, o.taker_fee * 100,
      o.slippage_bps);
  std::printf(
      "adaptive leverage: confidence %.2f, volatility_factor %.4f (ILF v3.5 formula + liquidation "
      "guard)\n\n",
      o.confidence, o.volatility_factor);
  std::printf("%-14s %-10s %7s %8s %12s %9s %12s %8s %7s %6s\n", "profile", "leverage", "trades",
              "win %", "PnL USDT", "ret/marg", "max DD USDT", "Sharpe", "avg lev", "liqs");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const GroupStats s = summarize(outcomes[g]);
    std::printf("%-14s %-10s %7d %8.2f %12.2f %8.2f%% %12.2f %8.3f %7.1f %6d\n",
                cfg.profiles[static_cast<std::size_t>(groups[g].profile)].name.c_str(),
                to_string(groups[g].mode), s.trades, s.win_rate * 100, s.pnl,
                s.return_on_margin * 100, s.max_drawdown, s.sharpe, s.avg_leverage, s.liquidations);
  }
  std::printf(
      "\nSharpe is per trade (mean / std of PnL over margin), not annualised. ilf-levels uses the\n"
      "ILF dynamic_tp / dynamic_sl as the position's explicit levels at the adaptive leverage.\n");
  return 0;
}

}  // namespace

void add_backtest_command(CLI::App& root, int& exit_code) {
  auto o = std::make_shared<BacktestOptions>();
  CLI::App* cmd = root.add_subcommand(
      "backtest",
      "Run the exit engine over synthetic entries on kline data; compare profiles and leverage");
  cmd->add_option("--klines", o->klines, "1m kline CSV files (one symbol each)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--entries", o->entries,
                  "every:<interval> (e.g. every:4h), or a file of JSON lines "
                  "{\"opened_at\":ms,\"side\":\"LONG|SHORT|BOTH\",\"symbol\":\"...\"}");
  cmd->add_option("--profiles", o->profiles, "comma-separated profile names");
  cmd->add_option("--config", o->config, "TOML configuration (more profiles)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--sides", o->sides, "both | long | short");
  cmd->add_option("--symbol", o->symbol, "symbol, when the file name does not say it");
  cmd->add_option("--margin", o->margin, "margin per entry in USDT (notional = margin x leverage)");
  cmd->add_option("--confidence", o->confidence, "confidence fed to the adaptive leverage");
  cmd->add_option("--volatility-factor", o->volatility_factor,
                  "volatility_factor fed to the adaptive leverage");
  cmd->add_option("--taker-fee", o->taker_fee, "taker fee per exit, fraction of notional");
  cmd->add_option("--slippage-bps", o->slippage_bps, "adverse slippage per exit in basis points");
  cmd->callback([o, &exit_code] { exit_code = run_backtest(*o); });
}

}  // namespace exitbrain::cli
