#pragma once
// A program started and stopped for real by the benchmarks and the tests (exitbrain-sim,
// exitbrain run, redis-server): output appended to a log file (0600), in a process group
// of its own (a Ctrl-C reaches the parent, which stops its children in order), told to stop
// if its parent dies (PR_SET_PDEATHSIG: a crashed or killed test leaves nothing running),
// stopped with SIGTERM like an operator would, killed if it does not stop, or killed with
// SIGKILL on purpose (a crash, as far as its peers can tell).
//
// PR_SET_PDEATHSIG fires when the *thread* that started the child ends: start children
// from a thread that outlives them (the main thread, in the tests and the benchmarks).
#include <sys/types.h>

#include <string>
#include <vector>

namespace exitbrain {

class ChildProcess {
 public:
  // `name` is what error messages call it ("exitbrain-sim").
  explicit ChildProcess(std::string name = "child process") : name_(std::move(name)) {}
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Stops it (SIGTERM, SIGKILL after 5 s) if it still runs.
  ~ChildProcess();

  // Starts `argv[0]` with stdout and stderr appended to `log_path`. Throws
  // std::runtime_error naming the program when it is not an executable file, or when it
  // cannot be started.
  void start(const std::vector<std::string>& argv, const std::string& log_path);
  // True while it runs; once it has ended, exit_code() and exit_text() say how.
  bool running();
  // SIGTERM, then up to `timeout_ms` (then SIGKILL). Returns exit_code().
  int stop(int timeout_ms = 10'000);
  // SIGKILL now. Returns exit_code(): -SIGKILL, unless it had already ended by itself.
  int kill();
  // The exit code, or -signal when a signal ended it; 0 when it never ran.
  int exit_code() const noexcept;

  pid_t pid() const noexcept { return pid_; }
  const std::string& name() const noexcept { return name_; }
  const std::string& log_path() const noexcept { return log_path_; }
  // "exited with code 2" / "was killed by signal 9" / "is running" / "was not started".
  std::string exit_text() const;

 private:
  std::string name_;
  std::string log_path_;
  pid_t pid_ = -1;
  bool ended_ = false;
  int status_ = 0;
};

// The last `lines` lines of a file, each prefixed "  | " (for errors that point at a log).
std::string tail_of_file(const std::string& path, int lines);

}  // namespace exitbrain
