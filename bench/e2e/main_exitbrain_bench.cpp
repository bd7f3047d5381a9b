// exitbrain-bench: end-to-end latency figures (see BENCHMARKS.md). Modes live in
// bench/e2e/cmd_*.cpp.
#include "bench/e2e/bench_commands.hpp"
#include "tools/cli/commands.hpp"
#include "tools/common/build_version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"exitbrain-bench: end-to-end latency of the exitbrain pipeline"};
  app.set_version_flag("--version", exitbrain::version_line("exitbrain-bench"));
  app.require_subcommand(1);
  int exit_code = 0;
  exitbrain::bench::add_pipeline_command(app, exit_code);
  exitbrain::bench::add_instructions_command(app, exit_code);
  exitbrain::bench::add_report_command(app, exit_code);
  exitbrain::bench::add_loopback_command(app, exit_code);
  exitbrain::bench::add_at_rest_command(app, exit_code);
  return exitbrain::cli::run_app(app, argc, argv, exit_code);
}
