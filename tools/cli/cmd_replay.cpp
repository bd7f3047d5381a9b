// exitbrain replay: recorded market data + positions -> the engine's decisions.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "tools/cli/commands.hpp"
#include "tools/live/journal_replay.hpp"
#include "tools/replay/chart.hpp"
#include "tools/replay/market_input.hpp"
#include "tools/replay/replay_session.hpp"
#include "tools/replay/replay_summary.hpp"

namespace exitbrain::cli {
namespace {

struct ReplayOptions {
  std::vector<std::string> market;
  std::string positions;
  std::string config;
  std::string profile;
  std::string out;
  std::string chart;
  std::string exchange_info;
  std::string symbol;
  bool skip_bad_lines = false;
  std::string journal;
};

// A live run's state journal through the same decide stage: its decision lines again.
int run_journal_replay(const ReplayOptions& o) {
  if (o.config.empty())
    throw InputError(
        "--journal: --config is required (the live run's config: its symbols and "
        "profiles)");
  if (!o.market.empty() || !o.positions.empty())
    throw InputError(
        "--journal: replays a live run's inputs; --market and --positions do not apply");
  const Config config = load_config(o.config);
  std::FILE* out = stdout;
  if (!o.out.empty()) {
    out = std::fopen(o.out.c_str(), "w");
    if (!out) throw InputError("--out: cannot write " + o.out);
  }
  const JournalReplayResult r = replay_journal(config, o.journal, out);
  if (out != stdout) std::fclose(out);
  std::fprintf(
      o.out.empty() ? stderr : stdout,
      "journal %s: records %llu..%llu, %llu applied, %llu decisions%s%s\n", o.journal.c_str(),
      static_cast<unsigned long long>(r.first_seq + 1), static_cast<unsigned long long>(r.last_seq),
      static_cast<unsigned long long>(r.records), static_cast<unsigned long long>(r.decisions),
      r.damage.empty() ? "" : "; stopped: ", r.damage.c_str());
  return 0;
}

int run_replay(const ReplayOptions& o) {
  if (!o.journal.empty()) return run_journal_replay(o);
  if (o.market.empty() || o.positions.empty())
    throw InputError("--market and --positions are required (or --journal DIR)");
  Config config = o.config.empty() ? Config{} : load_config(o.config);
  if (!o.profile.empty()) {
    if (config.find_profile(o.profile) < 0)
      throw InputError("--profile: no profile named \"" + o.profile + "\"");
    config.default_profile = o.profile;
  }
  SymbolTable symbols;
  auto positions = load_positions(o.positions, symbols, config, config.default_profile);
  load_exchange_info_into(
      o.exchange_info.empty() ? config.exchange_info.value_or("") : o.exchange_info, symbols);
  MarketMerger merger = open_market_files(o.market, symbols, o.symbol, o.skip_bad_lines);

  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!o.out.empty()) {
    file.open(o.out);
    if (!file) throw InputError("--out: cannot write " + o.out);
    out = &file;
  }
  std::unique_ptr<ChartRecorder> chart;
  if (!o.chart.empty()) chart = std::make_unique<ChartRecorder>(symbols);

  std::vector<std::string> labels;
  for (const auto& p : positions) labels.push_back(p.id);
  ReplaySession session(config, symbols, std::move(positions), out, chart.get());
  MarketEvent ev;
  while (merger.next(ev)) session.on_event(ev);
  session.finish();
  out->flush();

  // The human-readable report goes where it does not mix with the JSON lines.
  std::FILE* report = o.out.empty() ? stderr : stdout;
  print_replay_report(report, session, merger);
  if (chart) {
    chart->write_png(o.chart, labels);
    std::fprintf(report, "chart written to %s\n", o.chart.c_str());
  }
  if (const auto missing = session.positions_without_data(); !missing.empty()) {
    const PositionRecord& r = *missing.front();
    throw InputError(o.positions + ":" + std::to_string(r.line) +
                     ": field 'symbol': no market data for " + r.symbol + " in the given files (" +
                     std::to_string(missing.size()) + " position(s) affected)");
  }
  return 0;
}

}  // namespace

void add_replay_command(CLI::App& root, int& exit_code) {
  auto o = std::make_shared<ReplayOptions>();
  CLI::App* cmd = root.add_subcommand(
      "replay", "Replay recorded market data through the exit engine for a list of positions");
  cmd->add_option("--market", o->market,
                  "market files: websocket captures (raw or combined, optional '<ts> ' or "
                  "'<ts>: ' prefix) or 1m kline CSVs; gzip is read transparently")
      ->check(CLI::ExistingFile);
  cmd->add_option("--positions", o->positions,
                  "positions, JSON lines: {\"id\",\"symbol\",\"side\",\"qty\",\"entry_price\","
                  "\"opened_at\"} and optional profile, sl, tp, leverage")
      ->check(CLI::ExistingFile);
  cmd->add_option("--journal", o->journal,
                  "a live run's state directory ([run] state_dir): replay its journal and print "
                  "its decision lines again (with --config)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--config", o->config, "TOML configuration (profiles, symbols, fill model)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--profile", o->profile, "profile for positions that name none");
  cmd->add_option("--out", o->out, "write the JSON lines here instead of stdout");
  cmd->add_option("--chart", o->chart, "draw price, stops, TP levels and exits into this PNG");
  cmd->add_option("--exchange-info", o->exchange_info,
                  "a saved GET /fapi/v1/exchangeInfo body: tick and step sizes")
      ->check(CLI::ExistingFile);
  cmd->add_option("--symbol", o->symbol, "symbol of kline CSVs whose file name does not say it");
  cmd->add_flag("--skip-bad-lines", o->skip_bad_lines,
                "count and report malformed market lines instead of stopping at the first");
  cmd->callback([o, &exit_code] { exit_code = run_replay(*o); });
}

}  // namespace exitbrain::cli
