#include "tools/process/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace exitbrain {

ChildProcess::~ChildProcess() {
  if (running()) stop(5'000);
}

void ChildProcess::start(const std::vector<std::string>& argv, const std::string& log_path) {
  if (argv.empty() || ::access(argv[0].c_str(), X_OK) != 0)
    throw std::runtime_error(name_ + ": " + (argv.empty() ? std::string("no program") : argv[0]) +
                             " is not an executable file (build it, or give its path)");
  if (running()) throw std::runtime_error(name_ + ": already running");
  log_path_ = log_path;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(name_ + ": fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl took effect
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  pid_ = pid;
  ended_ = false;
  status_ = 0;
}

bool ChildProcess::running() {
  if (pid_ <= 0 || ended_) return false;
  if (::waitpid(pid_, &status_, WNOHANG) == pid_) ended_ = true;
  return !ended_;
}

int ChildProcess::stop(int timeout_ms) {
  if (running()) {
    ::kill(pid_, SIGTERM);
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (running() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (running()) return kill();
  }
  return exit_code();
}

int ChildProcess::kill() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    ended_ = true;
  }
  return exit_code();
}

int ChildProcess::exit_code() const noexcept {
  if (!ended_) return 0;
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -WTERMSIG(status_);
}

std::string ChildProcess::exit_text() const {
  if (pid_ <= 0) return "was not started";
  if (!ended_) return "is running";
  if (WIFEXITED(status_)) return "exited with code " + std::to_string(WEXITSTATUS(status_));
  return "was killed by signal " + std::to_string(WTERMSIG(status_));
}

std::string tail_of_file(const std::string& path, int lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string out;
  for (const std::string& l : last) out += "  | " + l + "\n";
  return out;
}

}  // namespace exitbrain
