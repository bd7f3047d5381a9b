#include "tests/support/redis_server.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "net/redis_client.hpp"
#include "tests/support/loopback_port.hpp"

namespace exitbrain::testing {

namespace {

std::string redis_server_binary() {
  for (const char* p : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"})
    if (std::filesystem::exists(p)) return p;
  return {};
}

bool answers_ping(int port) {
  RedisOptions o;
  o.url.port = port;
  o.connect_timeout = std::chrono::milliseconds(200);
  RedisConnection c(o);
  if (!c.connect().empty()) return false;
  return c.command({"PING"}).value().text() == "PONG";
}

}  // namespace

std::string RedisServer::start(const std::string& dir, bool persistent) {
  dir_ = dir;
  persistent_ = persistent;
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    if (port_ == 0) return "no free loopback port";
    if (std::string err = launch(); err.empty()) return {};
  }
  return "redis-server did not start; see " + dir_ + "/redis.log";
}

std::string RedisServer::launch() {
  const std::string bin = redis_server_binary();
  if (bin.empty()) return "redis-server is not installed (tools/install-deps.sh installs it)";
  process_.start(
      {bin, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "", "--appendonly",
       persistent_ ? "yes" : "no", "--appendfsync", "always", "--dir", dir_, "--daemonize", "no"},
      dir_ + "/redis.log");
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    if (answers_ping(port_)) return {};
    if (!process_.running()) return "redis-server exited";  // e.g. port taken
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  process_.stop(2000);
  return "redis-server did not answer PING";
}

std::string RedisServer::restart() {
  stop();
  return launch();
}

void RedisServer::stop() {
  if (process_.running()) process_.stop(5000);
}

void RedisServer::kill() {
  if (process_.running()) process_.kill();
}

}  // namespace exitbrain::testing
