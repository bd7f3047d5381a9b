#pragma once
// One owner per state directory: `exitbrain run` holds an exclusive flock(2) on
// <state_dir>/lock for as long as it runs (the kernel drops it when the process dies, even
// by kill -9, so a crash never leaves a stale lock). A second run on the same directory
// is refused, naming the pid that holds it.
#include <string>

namespace exitbrain {

class StateLock {
 public:
  StateLock() = default;
  ~StateLock();
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

  // Creates `dir` (mode 0700) if needed and takes the lock. Error text or "".
  std::string acquire(const std::string& dir);
  bool held() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace exitbrain
