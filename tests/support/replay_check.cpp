#include "tests/support/replay_check.hpp"

#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/decimal.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/run_command.hpp"

namespace exitbrain::testing {
namespace {

Decimal number(simdjson::dom::element e) {
  // Numbers are printed exactly; read them back from their text.
  std::string text = simdjson::minify(e);
  Decimal d;
  if (parse_decimal(text, d) != DecimalError::kOk)
    throw std::runtime_error("not a decimal: " + text);
  return d;
}

struct Tracked {
  PositionSpec spec;
  Decimal remaining;
  Decimal entry;
  bool is_long = true;
  std::uint64_t last_seq = 0;
  bool levels_seen = false;
  bool closed = false;
};

}  // namespace

ReplayRun run_replay(const std::vector<std::string>& market, const std::string& positions_file,
                     const std::string& extra_args) {
  static int counter = 0;
  const auto out =
      std::filesystem::temp_directory_path() / ("exitbrain-replay-" + std::to_string(::getpid()) +
                                                "-" + std::to_string(counter++) + ".jsonl");
  std::string cmd = (bin_dir() / "exitbrain").string() + " replay --positions '" + positions_file +
                    "' --out '" + out.string() + "' " + extra_args;
  for (const auto& m : market) cmd += " --market '" + m + "'";
  ReplayRun run;
  const CommandResult r = run_command(cmd);
  run.exit_code = r.exit_code;
  run.output = r.output;
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  run.decisions = ss.str();
  std::filesystem::remove(out);
  return run;
}

InvariantReport check_invariants(const std::string& decisions,
                                 const std::map<std::string, PositionSpec>& positions) {
  InvariantReport rep;
  std::map<std::string, Tracked> state;
  for (const auto& [id, spec] : positions) {
    Tracked t;
    t.spec = spec;
    if (parse_decimal(spec.qty, t.remaining) != DecimalError::kOk ||
        parse_decimal(spec.entry, t.entry) != DecimalError::kOk)
      rep.violations.push_back(id + ": bad qty or entry_price in the positions file");
    t.is_long = spec.side == "LONG";
    state[id] = t;
  }
  auto fail = [&](const std::string& id, const std::string& what, const std::string& line) {
    rep.violations.push_back(id + ": " + what + " | " + line);
  };
  simdjson::dom::parser parser;
  std::istringstream lines(decisions);
  std::string line;
  while (std::getline(lines, line)) {
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc)) {
      rep.violations.push_back("not JSON: " + line);
      continue;
    }
    const std::string event(doc["event"].get_string().value());
    const std::string id(doc["id"].get_string().value());
    auto it = state.find(id);
    if (it == state.end()) {
      fail(id, "unknown position", line);
      continue;
    }
    Tracked& t = it->second;
    if (event == "summary") {
      ++rep.positions;
      const std::string status(doc["status"].get_string().value());
      if (status == "flat") {
        ++rep.flat;
        if (!t.closed || !t.remaining.is_zero())
          fail(id, "summary flat but quantity remains", line);
      } else if (status == "open") {
        ++rep.open;
        simdjson::dom::element sl;
        if (doc["sl"].get(sl) || sl.is_null() || !number(sl).is_positive())
          fail(id, "open at the end without a valid stop", line);
        if (number(doc["remaining"]) != t.remaining) fail(id, "summary remaining disagrees", line);
      }
      continue;
    }
    if (t.closed) fail(id, "decision after the position closed", line);
    if (event == "levels") {
      ++rep.levels;
      const Decimal sl = number(doc["sl"]);
      if (!t.levels_seen && (t.is_long ? sl >= t.entry : sl <= t.entry))
        fail(id, "initial stop on the wrong side of entry", line);
      for (auto tp : doc["tp"].get_array()) {
        const Decimal p = number(tp);
        if (t.is_long ? p <= t.entry : p >= t.entry)
          fail(id, "target on the wrong side of entry", line);
      }
      t.levels_seen = true;
    } else if (event == "sl_moved") {
      ++rep.stop_moves;
      const Decimal sl = number(doc["sl"]);
      const Decimal price = number(doc["price"]);
      if (t.is_long ? sl >= price : sl <= price)
        fail(id, "stop moved to the wrong side of the price", line);
    } else if (event == "exit") {
      ++rep.exits;
      ++rep.exits_by_reason[std::string(doc["reason"].get_string().value())];
      const Decimal qty = number(doc["qty"]);
      const auto seq = static_cast<std::uint64_t>(doc["exit_seq"].get_int64().value());
      if (!qty.is_positive()) fail(id, "exit of a non-positive quantity", line);
      if (qty > t.remaining) fail(id, "exit larger than what remains", line);
      if (seq != t.last_seq + 1) fail(id, "exit sequence repeated or skipped", line);
      t.last_seq = seq;
      t.remaining -= qty;
      if (number(doc["remaining"]) != t.remaining) fail(id, "remaining does not add up", line);
      if (t.remaining.is_zero()) t.closed = true;
    } else {
      fail(id, "unknown event " + event, line);
    }
  }
  if (rep.positions != static_cast<int>(positions.size()))
    rep.violations.push_back("expected one summary per position");
  return rep;
}

}  // namespace exitbrain::testing
