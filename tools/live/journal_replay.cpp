#include "tools/live/journal_replay.hpp"

#include "tools/common/input_error.hpp"
#include "tools/live/state_journal.hpp"
#include "tools/settings/atr_plan.hpp"

namespace exitbrain {

JournalReplayResult replay_journal(const Config& config, const std::string& dir, std::FILE* out) {
  if (list_by_seq(dir, "journal-", ".seg").empty() &&
      list_by_seq(dir, "snapshot-", ".snap").empty())
    throw InputError("--journal " + dir + ": no state journal there");
  SymbolTable symbols;
  for (const std::string& name : config.live.symbols) (void)symbols.intern(name);
  const AtrPlan plan = plan_atr_specs(config, {config.find_profile(config.default_profile)});
  EventLog log(symbols, out);
  log.start();
  StateJournalSettings js;
  js.dir = dir;
  js.identity = journal_identity(config, "");
  js.identity.account = 0;  // any account: a replay never trades
  JournalReplayResult res;
  {
    StateJournal journal(config, plan, symbols, log, js, 4096);
    journal.set_replay();
    RestoreReport rr;
    if (std::string err = journal.restore(rr); !err.empty()) {
      log.stop();
      throw InputError("--journal " + err);
    }
    res.records = rr.records;
    res.first_seq = rr.snapshot_seq;
    res.last_seq = rr.last_seq;
    res.damage = rr.damage;
    res.decisions = journal.replica().decisions.load();
  }
  log.stop();
  return res;
}

}  // namespace exitbrain
