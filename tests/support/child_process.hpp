#pragma once
// A program started by a test (exitbrain-sim, exitbrain run), with its output going to a
// file, stopped with SIGTERM like an operator would, and killed if it does not stop.
#include <sys/types.h>

#include <string>
#include <vector>

namespace exitbrain::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  // Starts `argv[0]` with its stdout and stderr appended to `log_path`.
  void start(const std::vector<std::string>& argv, const std::string& log_path);
  // SIGTERM, then waits up to `timeout_ms` (then SIGKILL). Returns the exit code, or
  // -signal when it was killed by one.
  int stop(int timeout_ms = 10'000);
  // SIGKILL: a crash, as far as its peers can tell. Returns -SIGKILL.
  int kill();
  // Waits for it to end by itself. Returns the exit code (-1 on timeout: still running).
  int wait(int timeout_ms);
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
};

// Reads a whole file ("" when it does not exist).
std::string read_file(const std::string& path);

// Polls `path` until a line containing every one of `needles` appears, or `timeout_ms`.
// Returns that line ("" on timeout).
std::string wait_for_line(const std::string& path, const std::vector<std::string>& needles,
                          int timeout_ms);

// A fresh directory under the build tree for one test's files.
std::string make_test_dir(const std::string& name);

}  // namespace exitbrain::testing
