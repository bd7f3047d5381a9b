#pragma once
// exitbrain-bench's modes (bench/e2e/cmd_*.cpp). Each add_*_command registers one
// subcommand on the root; its callback sets `exit_code`.
#include <CLI/CLI.hpp>

namespace exitbrain::bench {

void add_loopback_command(CLI::App& app, int& exit_code);  // cmd_loopback.cpp
void add_at_rest_command(CLI::App& app, int& exit_code);   // cmd_at_rest.cpp

}  // namespace exitbrain::bench
