#pragma once
// The exitbrain subcommands. Each add_*_command registers its options on the root
// app; when the subcommand is chosen, its callback runs and stores the exit code.
#include <CLI/CLI.hpp>
#include <string>

#include "tools/common/input_error.hpp"

namespace exitbrain::cli {

// Parses and runs `app` (its subcommands registered): the chosen callback's exit code, 2
// for bad usage or an InputError, 1 for anything else thrown; errors go to stderr.
int run_app(CLI::App& app, int argc, char** argv, const int& exit_code);

void add_replay_command(CLI::App& root, int& exit_code);
void add_backtest_command(CLI::App& root, int& exit_code);
void add_levels_command(CLI::App& root, int& exit_code);
void add_indicators_command(CLI::App& root, int& exit_code);
void add_synth_command(CLI::App& root, int& exit_code);
void add_sign_command(CLI::App& root, int& exit_code);
void add_run_command(CLI::App& root, int& exit_code);
void add_intents_command(CLI::App& root, int& exit_code);
void add_ctl_command(CLI::App& root, int& exit_code);
void add_validate_command(CLI::App& root, int& exit_code);

}  // namespace exitbrain::cli
