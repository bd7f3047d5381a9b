#pragma once
// Operating a running `exitbrain run` (README "Operating exitbrain"), on the ops thread:
//  - /metrics (Prometheus text) and /health (JSON) on [ops] listen, loopback only;
//  - the kill switch on <state_dir>/control.sock (mode 0600): status | halt | flatten |
//    resume, each command and its result an event line;
//  - the automatic limits ([run] daily_loss_limit, max_consecutive_errors): they halt
//    entries (and flatten, with flatten_on_limit), with an alert;
//  - systemd's watchdog: WATCHDOG=1 only while every pipeline thread's loop goes round.
// It reads what the pipeline threads publish (relaxed atomics, a mutex-guarded copy of the
// intent consumer's figures) and writes only to the decide stage's control ring, of which
// it is the one producer. Nothing on the hot path waits for it.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "tools/common/event_log.hpp"
#include "tools/intents/intent_consumer.hpp"
#include "tools/ops/health_report.hpp"
#include "tools/settings/config.hpp"

namespace exitbrain {

class HotPipeline;
class OrderGateway;
class UserStream;
class StateJournal;

// The intent consumer's figures, published by its thread after each round.
struct IntentFigures {
  bool connected = false;
  IntentStats stats{};
  bool group_read = false;  // the group's status below was read
  IntentGroupStatus group{};
};
class IntentBoard {
 public:
  void publish(const IntentFigures& f) {
    std::lock_guard<std::mutex> l(mu_);
    figures_ = f;
  }
  IntentFigures read() const {
    std::lock_guard<std::mutex> l(mu_);
    return figures_;
  }

 private:
  mutable std::mutex mu_;
  IntentFigures figures_;
};

struct OpsSources {
  const Config* config = nullptr;
  HotPipeline* hot = nullptr;
  const OrderGateway* gateway = nullptr;
  const UserStream* user = nullptr;
  const IntentBoard* intents = nullptr;  // null: no [redis]
  const StateJournal* journal = nullptr;
  const std::atomic<bool>* lease_lost = nullptr;  // null: no lease
  bool shadow = false;  // [run] mode = "shadow": nothing is sent, no hard stop is held
};

// The file in the state directory that holds the endpoint's bound address while it runs.
inline std::string ops_address_path(const std::string& state_dir) {
  return state_dir + "/ops.address";
}

class Operations {
 public:
  Operations(OpsSources sources, EventLog& event_log);
  ~Operations();
  // Binds /metrics and /health ([ops] listen, unless "") and the control socket, arms
  // the timers and starts the ops thread. "" or the error (the run does not start).
  std::string start();
  void stop();
  // The bound HTTP port (0: off).
  std::uint16_t http_port() const noexcept;

  // What the endpoints answer (on the ops thread; tests call them directly too).
  std::string metrics() const;
  HealthReport health() const;
  std::string command(std::string_view line);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace exitbrain
