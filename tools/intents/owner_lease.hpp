#pragma once
// One owner per account across hosts ([redis] configured): a lease key in Redis,
// SET NX PX, renewed by its own thread while exitbrain runs, released on a graceful stop.
// The state directory's lock keeps two processes of one host apart; this keeps two hosts
// apart. A lease that cannot be renewed — someone else holds the key now, or Redis has not
// answered for two thirds of the TTL (after which another host could take the key) — is
// lost: the callback says so and exitbrain stops deciding (its hard stops stay). A lost
// lease is asked for again on every turn: still ours, or free (it expired, or Redis came
// back without its data), it is regained and exitbrain decides again; held by another, it
// stays lost (the fault soak saw three Redis restarts in 12 s halt exitbrain for good, and
// positions opened meanwhile go without a stop until the next restart).
// A lease held by a process of this host that no longer runs (kill -9, a crash: its holder
// text names host and pid) is taken over at once instead of waiting out the TTL.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "net/redis_client.hpp"

namespace exitbrain {

class OwnerLease {
 public:
  // `holder`: who holds it (host, pid, run), shown to whoever is refused.
  OwnerLease(RedisOptions options, std::string key, std::string holder, std::int64_t ttl_ms);
  ~OwnerLease();
  OwnerLease(const OwnerLease&) = delete;
  OwnerLease& operator=(const OwnerLease&) = delete;

  // Before anything trades. "" or why not: held by another ("... is held by <holder>"), or
  // Redis unreachable (the start stops: without the lease nobody can tell two hosts apart).
  std::string acquire();
  // The dead holder acquire() took the lease over from ("" if it was free).
  const std::string& taken_from() const noexcept { return taken_from_; }
  // Renews every ttl/3 on its own thread; `on_lost(why)` is called when it is lost and
  // `on_regained()` when it is ours again, from that thread.
  void start(std::function<void(const std::string&)> on_lost,
             std::function<void()> on_regained = {});
  // Stops renewing; `release`: deletes the key if it is still ours (a graceful stop).
  void stop(bool release);

  bool lost() const noexcept { return lost_.load(); }
  const std::string& key() const noexcept { return key_; }

 private:
  void run();
  // 1: renewed, 0: not ours any more, -1: no answer.
  int renew();
  // A lost lease: true if it is ours again (still ours, or free and taken).
  bool regain();

  RedisConnection redis_;
  std::string key_, holder_, taken_from_;
  std::int64_t ttl_ms_;
  std::function<void(const std::string&)> on_lost_;
  std::function<void()> on_regained_;
  std::thread thread_;
  std::atomic<bool> stop_{false}, lost_{false};
};

}  // namespace exitbrain
