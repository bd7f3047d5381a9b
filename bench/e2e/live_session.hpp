#pragma once
// exitbrain-sim and `exitbrain run` started together for one end-to-end measurement, as
// tools/demo_live.sh and tests/test_live_loopback.cpp run them: the sim on a free loopback
// port (plain, or TLS with a test CA it generates), streaming a seeded synthetic market in
// real time after `history_minutes` of klines for exitbrain's backfill; exitbrain with a
// config generated here. Throw-away credentials travel in environment variables (never in a
// file, never printed). Both children are stopped by stop() or the destructor, also when a
// step throws.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/e2e/event_lines_tail.hpp"
#include "tools/process/child_process.hpp"

namespace exitbrain {
class RestClient;
}

namespace exitbrain::bench {

// What `exitbrain run` is asked to do with its threads ([threads] in its config).
struct ThreadChoice {
  std::string wait = "block";  // spin | spin-yield | block, for every thread
  bool fused = false;          // state and decide on one thread
  std::vector<int> cpus;       // md, state, decide, orders, user (-1 or absent: not pinned)
};

struct LiveSessionOptions {
  std::string sim_path;        // exitbrain-sim
  std::string exitbrain_path;  // exitbrain
  std::string dir;             // an existing directory for the config, logs and events
  bool tls = false;
  std::vector<std::pair<std::string, double>> symbols;  // synthetic market: name, start price
  std::vector<std::string> open_at_start;  // "SYMBOL:LONG|SHORT:QTY", opened as streaming starts
  int history_minutes = 120;
  ThreadChoice threads;
};

class LiveSession {
 public:
  explicit LiveSession(LiveSessionOptions options);
  ~LiveSession();
  LiveSession(const LiveSession&) = delete;
  LiveSession& operator=(const LiveSession&) = delete;

  // Starts the sim, then exitbrain; returns once exitbrain's market feed and user-data
  // stream are connected. Throws std::runtime_error naming what failed (with the end of
  // that child's log).
  void start();
  // SIGTERM to exitbrain (which exits 0 after a clean drain), then to the sim. Returns
  // exitbrain's exit code.
  int stop();

  // A /sim/* control request; the body of a 200 answer, else throws naming the request.
  std::string control(bool post, std::string_view path, std::string_view query = {});

  // Polls the events file from line `from` until a line matches, checking that both
  // children still run and that the bench was not interrupted. Returns the line's index;
  // throws "timed out after N s waiting for <what>" otherwise.
  std::size_t wait_for_event(std::size_t from, const std::function<bool(std::string_view)>& match,
                             const std::string& what, int timeout_ms = 30'000);
  // Throws when a child has ended or the bench was interrupted.
  void check_running();

  EventLinesTail& event_log() noexcept { return event_log_; }
  ChildProcess& sim() noexcept { return sim_; }
  ChildProcess& exitbrain() noexcept { return run_; }
  const LiveSessionOptions& options() const noexcept { return opt_; }
  std::uint16_t port() const noexcept { return port_; }

 private:
  void start_sim();
  void write_config() const;
  [[noreturn]] void fail_with_log(const ChildProcess& child, const std::string& what) const;

  LiveSessionOptions opt_;
  ChildProcess sim_{"exitbrain-sim"};
  ChildProcess run_{"exitbrain run"};
  EventLinesTail event_log_;
  std::uint16_t port_ = 0;
  std::unique_ptr<RestClient> control_;
};

// exitbrain-sim and exitbrain: the given paths, else beside exitbrain-bench (the build's
// bin/). Throws InputError naming a program that is not an executable file.
struct ProgramPaths {
  std::string sim, exitbrain;
};
ProgramPaths find_programs(const std::string& sim, const std::string& exitbrain);

// A fresh directory: `wanted` (created) when given, else a new one under $TMPDIR or /tmp.
std::string make_work_dir(const std::string& wanted);

// SIGINT / SIGTERM set a flag that the waits above check, so that an interrupted run still
// stops its children (they are in process groups of their own: a Ctrl-C reaches only the
// bench).
void install_interrupt_handlers();
bool interrupted() noexcept;
// Sleeps `ms`, in short steps, throwing when the bench is interrupted meanwhile.
void sleep_checked(int ms);

// "--cpus 0,1,-1": CPU numbers separated by commas. Throws on anything else.
std::vector<int> parse_cpu_list(const std::string& text);

}  // namespace exitbrain::bench
