#pragma once
// exitbrain-bench's modes (bench/e2e/cmd_*.cpp). Each add_*_command registers one
// subcommand on the root; its callback sets `exit_code`.
#include <CLI/CLI.hpp>

namespace exitbrain::bench {

// In-process pipeline over recorded frames: tick-to-order percentiles per hop.
void add_pipeline_command(CLI::App& root, int& exit_code);
// Instructions per markPrice tick, parse + state + decision, under callgrind.
void add_instructions_command(CLI::App& root, int& exit_code);
// BENCHMARKS.md's results section from the JSON tools/bench.sh collected.
void add_report_command(CLI::App& root, int& exit_code);
// Breach-to-order over real sockets against exitbrain-sim, beside 10 s polling.
void add_loopback_command(CLI::App& root, int& exit_code);
// CPU of `exitbrain run` at rest (9 positions, markPrice@1s), block beside spin.
void add_at_rest_command(CLI::App& root, int& exit_code);

}  // namespace exitbrain::bench
