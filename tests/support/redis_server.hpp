#pragma once
// A real redis-server for one test: started on a free loopback port in the test's own
// directory, no persistence, stopped (or killed, or restarted on the same port) at will.
#include <string>

#include "tools/process/child_process.hpp"

namespace exitbrain::testing {

class RedisServer {
 public:
  RedisServer() = default;
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  ~RedisServer() { stop(); }

  // Starts redis-server (from PATH or /usr/bin) with its files and log in `dir`, on a free
  // port, and waits until it answers PING. Returns "" or why it could not.
  // `persistent`: an append-only file synced on every write, so a kill -9 and a restart
  // keep every acknowledged write (the other tests run without persistence).
  std::string start(const std::string& dir, bool persistent = false);
  // Stops it (SIGTERM) and starts it again on the same port. Without persistence the data
  // is gone, as after a crash.
  std::string restart();
  void stop();
  // SIGKILL, for a Redis that vanishes mid-command.
  void kill();

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string launch();

  ChildProcess process_{"redis-server"};
  std::string dir_;
  int port_ = 0;
  bool persistent_ = false;
};

}  // namespace exitbrain::testing
