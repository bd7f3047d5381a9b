#pragma once
#include <string>

namespace exitbrain::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line and captures its output (stdout, and stderr unless
// merge_stderr is false: then stderr goes to /dev/null) and exit code.
CommandResult run_command(const std::string& command, bool merge_stderr = true);

}  // namespace exitbrain::testing
