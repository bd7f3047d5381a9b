#include "tools/state/state_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace exitbrain {

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

std::string StateLock::acquire(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "state_dir " + dir + ": cannot create it: " + ec.message();
  ::chmod(dir.c_str(), 0700);
  const std::string path = dir + "/lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return "state_dir " + dir + ": cannot write there: " + std::strerror(errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char pid[32] = {};
    (void)!::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      std::string p(pid);
      while (!p.empty() && (p.back() == '\n' || p.back() == ' ')) p.pop_back();
      return "state_dir " + dir + " is in use by another exitbrain run (pid " +
             (p.empty() ? std::string("unknown") : p) +
             "): one process manages an account at a time";
    }
    return "state_dir " + dir + ": cannot lock " + path + ": " + std::strerror(err);
  }
  const std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
    const std::string e = std::strerror(errno);
    ::close(fd);
    return "state_dir " + dir + ": cannot write " + path + ": " + e;
  }
  fd_ = fd;
  return {};
}

}  // namespace exitbrain
