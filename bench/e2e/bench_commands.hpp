#pragma once
// exitbrain-bench's modes (bench/e2e/cmd_*.cpp). Each add_*_command registers one
// subcommand on the root; its callback sets `exit_code`.
#include <CLI/CLI.hpp>

namespace exitbrain::bench {}  // namespace exitbrain::bench
