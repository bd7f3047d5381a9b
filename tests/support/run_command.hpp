#pragma once
#include <string>

namespace exitbrain::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line and captures its output and exit code.
CommandResult run_command(const std::string& command);

}  // namespace exitbrain::testing
