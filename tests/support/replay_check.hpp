#pragma once
// Runs `exitbrain replay` and checks the money-safety invariants on its JSON lines.
#include <map>
#include <string>
#include <vector>

namespace exitbrain::testing {

struct ReplayRun {
  int exit_code = -1;
  std::string output;     // the command's own stdout+stderr
  std::string decisions;  // the --out file
};

ReplayRun run_replay(const std::vector<std::string>& market, const std::string& positions_file,
                     const std::string& extra_args = "");

struct InvariantReport {
  std::vector<std::string> violations;
  int positions = 0;
  int levels = 0;
  int exits = 0;
  int stop_moves = 0;
  int flat = 0;
  int open = 0;
  std::map<std::string, int> exits_by_reason;
};

// positions: id -> (side, qty text, entry text) as written to the positions file.
struct PositionSpec {
  std::string side;
  std::string qty;
  std::string entry;
};
InvariantReport check_invariants(const std::string& decisions,
                                 const std::map<std::string, PositionSpec>& positions);

}  // namespace exitbrain::testing
