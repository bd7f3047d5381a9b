#pragma once
// The operations thread (eb-ops): one io_context that serves /metrics and /health, the
// control socket, and the timers beside them (the systemd watchdog, the automatic
// limits). Never on the hot path: it only reads what the pipeline threads publish and
// pushes kill-switch commands into their rings.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <list>
#include <thread>

namespace exitbrain {

class OpsThread {
 public:
  OpsThread();
  ~OpsThread();
  boost::asio::io_context& io() noexcept { return io_; }
  // Calls `fn` every `period` on the ops thread, from start() until stop().
  void every(std::chrono::milliseconds period, std::function<void()> fn);
  void start();
  // Runs `before_stop` on the ops thread (close the servers), then stops and joins.
  void stop(std::function<void()> before_stop = {});

 private:
  struct Periodic {
    boost::asio::steady_timer timer;
    std::chrono::milliseconds period;
    std::function<void()> fn;
  };
  void arm(Periodic& p);

  boost::asio::io_context io_;
  std::list<Periodic> periodic_;  // stable addresses for the timers' handlers
  std::thread thread_;
  bool running_ = false;
};

}  // namespace exitbrain
