#pragma once
// A program exitbrain-bench starts (exitbrain-sim, exitbrain run): output appended to a log
// file, in a process group of its own (a Ctrl-C reaches the bench, which stops its children
// in order), told to stop if the bench itself dies (PR_SET_PDEATHSIG), stopped with SIGTERM
// like an operator would, and killed if it does not stop.
#include <sys/types.h>

#include <string>
#include <vector>

namespace exitbrain::bench {

class ChildProcess {
 public:
  // `name` is what error messages call it ("exitbrain-sim").
  explicit ChildProcess(std::string name) : name_(std::move(name)) {}
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  // Starts `argv[0]` with stdout and stderr appended to `log_path`. Throws
  // std::runtime_error naming the program when it is not an executable file.
  void start(const std::vector<std::string>& argv, const std::string& log_path);
  // True while it runs; once it has ended, exit_text() says how.
  bool running();
  // SIGTERM, then up to `timeout_ms` (then SIGKILL). Returns the exit code, or -signal.
  int stop(int timeout_ms = 10'000);

  pid_t pid() const noexcept { return pid_; }
  const std::string& name() const noexcept { return name_; }
  const std::string& log_path() const noexcept { return log_path_; }
  // "exited with code 2" / "was killed by signal 9" / "is running".
  std::string exit_text() const;

 private:
  std::string name_;
  std::string log_path_;
  pid_t pid_ = -1;
  bool ended_ = false;
  int status_ = 0;
};

// The last `lines` lines of a file (for error messages that point at a child's log).
std::string tail_of_file(const std::string& path, int lines);

}  // namespace exitbrain::bench
