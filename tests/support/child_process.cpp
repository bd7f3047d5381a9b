#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/paths.hpp"

namespace exitbrain::testing {

ChildProcess::~ChildProcess() {
  if (pid_ > 0) stop(2000);
}

void ChildProcess::start(const std::vector<std::string>& argv, const std::string& log_path) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  pid_ = pid;
}

int ChildProcess::wait(int timeout_ms) {
  if (pid_ <= 0) return WIFEXITED(status_) ? WEXITSTATUS(status_) : -WTERMSIG(status_);
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {  // looks at least once, so wait(0) tells whether it has ended
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status_) ? WEXITSTATUS(status_) : -WTERMSIG(status_);
    }
    if (std::chrono::steady_clock::now() >= until) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int ChildProcess::kill() {
  if (pid_ <= 0) return wait(0);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status_, 0);
  pid_ = -1;
  return -SIGKILL;
}

int ChildProcess::stop(int timeout_ms) {
  if (pid_ <= 0) return wait(0);
  ::kill(pid_, SIGTERM);
  const int code = wait(timeout_ms);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    pid_ = -1;
    return -SIGKILL;
  }
  return code;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string wait_for_line(const std::string& path, const std::vector<std::string>& needles,
                          int timeout_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  do {
    std::istringstream in(read_file(path));
    std::string line;
    while (std::getline(in, line)) {
      bool all = true;
      for (const auto& n : needles) all = all && line.find(n) != std::string::npos;
      if (all) return line;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < until);
  return {};
}

std::string make_test_dir(const std::string& name) {
  const auto dir = bin_dir().parent_path() / "test-output" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace exitbrain::testing
