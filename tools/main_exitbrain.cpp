// exitbrain: the command-line entry point. Subcommands live in tools/cmd_*.cpp.
#include <cstdio>
#include <exception>

#include "tools/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"exitbrain: exit engine for Binance USD-M perpetual futures positions"};
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const exitbrain::cli::InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return exit_code;
}
