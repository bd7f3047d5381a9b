// exitbrain ctl: the kill switch of a running `exitbrain run`, over the control socket in
// its state directory (<state_dir>/control.sock, mode 0600: the daemon's user, or root).
//   status   entries allowed or halted, health, positions, today's realised PnL
//   halt     no new entries; exits, stops and the hard stops go on
//   flatten  a reduce-only MARKET exit of every open position now (hard stops stay until
//            flat), then halted
//   resume   entries again
// Prints the daemon's JSON answer; exit code 0 when it says ok, 1 when it refused, 2 when
// there is no daemon to ask.
#include <cstdio>
#include <memory>
#include <string>

#include "tools/cli/commands.hpp"
#include "tools/ops/control_socket.hpp"
#include "tools/settings/config.hpp"

namespace exitbrain::cli {
namespace {

struct CtlOptions {
  std::string command;
  std::string config;
  std::string socket;
  int timeout_ms = 10'000;
};

int run_ctl(const CtlOptions& o) {
  std::string path = o.socket;
  if (path.empty()) {
    if (o.config.empty()) throw InputError("--config or --socket: which daemon to ask");
    path = control_socket_path(load_config(o.config).live.run.state_dir);
  }
  std::string error;
  const std::string reply = control_request(path, o.command, o.timeout_ms, error);
  if (!error.empty()) {
    std::fprintf(stderr, "exitbrain ctl %s: %s\n", o.command.c_str(), error.c_str());
    return 2;
  }
  std::printf("%s\n", reply.c_str());
  return reply.rfind(R"({"ok":true)", 0) == 0 ? 0 : 1;
}

}  // namespace

void add_ctl_command(CLI::App& root, int& exit_code) {
  auto o = std::make_shared<CtlOptions>();
  CLI::App* cmd = root.add_subcommand(
      "ctl", "The kill switch of a running exitbrain run: status, halt, flatten or resume");
  cmd->add_option("command", o->command, "status | halt | flatten | resume")
      ->required()
      ->check(CLI::IsMember({"status", "halt", "flatten", "resume"}));
  cmd->add_option("--config", o->config, "the daemon's config (its [run] state_dir)");
  cmd->add_option("--socket", o->socket, "the control socket itself (<state_dir>/control.sock)");
  cmd->add_option("--timeout-ms", o->timeout_ms, "how long to wait for the answer")
      ->capture_default_str()
      ->check(CLI::Range(100, 600'000));
  cmd->callback([o, &exit_code] { exit_code = run_ctl(*o); });
}

}  // namespace exitbrain::cli
