// exitbrain: the command-line entry point. Subcommands live in tools/cli/cmd_*.cpp.
#include "tools/cli/commands.hpp"
#include "tools/common/build_version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"exitbrain: exit engine for Binance USD-M perpetual futures positions"};
  app.set_version_flag("--version", exitbrain::version_line("exitbrain"));
  app.require_subcommand(1);
  int exit_code = 0;
  exitbrain::cli::add_replay_command(app, exit_code);
  exitbrain::cli::add_backtest_command(app, exit_code);
  exitbrain::cli::add_levels_command(app, exit_code);
  exitbrain::cli::add_indicators_command(app, exit_code);
  exitbrain::cli::add_synth_command(app, exit_code);
  exitbrain::cli::add_sign_command(app, exit_code);
  exitbrain::cli::add_run_command(app, exit_code);
  exitbrain::cli::add_intents_command(app, exit_code);
  exitbrain::cli::add_ctl_command(app, exit_code);
  exitbrain::cli::add_validate_command(app, exit_code);
  return exitbrain::cli::run_app(app, argc, argv, exit_code);
}
