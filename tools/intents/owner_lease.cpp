#include "tools/intents/owner_lease.hpp"

#include <signal.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <string_view>

#include "core/clock.hpp"
#include "core/thread_affinity.hpp"

namespace exitbrain {

namespace {

// Compare-and-renew, compare-and-delete: only the holder may touch its lease.
constexpr const char* kRenew =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
constexpr const char* kTakeOver =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) else return 0 end";
constexpr const char* kRelease =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) "
    "else return 0 end";

std::int64_t mono_ms() {
  return mono_now_ns() / 1'000'000;
}

// "host:pid:run" of a holder on this host whose process no longer runs (killed, crashed).
// A live process, another host, or a holder text of another shape: false.
bool dead_holder_on_this_host(std::string_view holder, std::string_view ours) {
  const auto host_end = ours.find(':');
  if (host_end == std::string_view::npos ||
      holder.substr(0, host_end + 1) != ours.substr(0, host_end + 1))
    return false;
  const std::string_view rest = holder.substr(host_end + 1);
  const std::string_view pid_text = rest.substr(0, rest.find(':'));
  long pid = 0;
  const auto [end, ec] = std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), pid);
  if (ec != std::errc{} || end != pid_text.data() + pid_text.size() || pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH;
}

}  // namespace

OwnerLease::OwnerLease(RedisOptions options, std::string key, std::string holder,
                       std::int64_t ttl_ms)
    : redis_([&] {
        options.command_timeout =
            std::chrono::milliseconds(std::max<std::int64_t>(ttl_ms / 6, 200));
        options.connect_timeout = options.command_timeout;
        return options;
      }()),
      key_(std::move(key)),
      holder_(std::move(holder)),
      ttl_ms_(ttl_ms) {}

OwnerLease::~OwnerLease() {
  stop(false);
}

std::string OwnerLease::acquire() {
  if (std::string err = redis_.connect(); !err.empty())
    return "[redis] the owner lease " + key_ + " cannot be taken: " + err;
  const std::string ttl = std::to_string(ttl_ms_);
  const RedisReply set = redis_.command({"SET", key_, holder_, "NX", "PX", ttl});
  if (!set.ok()) return "[redis] the owner lease " + key_ + " cannot be taken: " + set.error();
  if (set.value().is_string()) return {};  // OK: ours
  const RedisReply get = redis_.command({"GET", key_});
  const std::string by = get.ok() && get.value().is_string() ? std::string(get.value().text())
                                                             : std::string("(expired meanwhile)");
  // The earlier process of this host was killed or crashed: its lease is taken over at
  // once (compare-and-set), so a restart after kill -9 need not wait out the TTL.
  if (dead_holder_on_this_host(by, holder_)) {
    const RedisReply t = redis_.command({"EVAL", kTakeOver, "1", key_, by, holder_, ttl});
    if (t.ok() && t.value().is_string()) {
      taken_from_ = by;
      return {};
    }
  }
  return "[redis] the owner lease " + key_ + " is held by " + by +
         ": another exitbrain manages this account (one owner at a time); it expires " +
         std::to_string(ttl_ms_) + " ms after its holder stops renewing it";
}

int OwnerLease::renew() {
  if (!redis_.connected() && !redis_.connect().empty()) return -1;
  const std::string ttl = std::to_string(ttl_ms_);
  const RedisReply r = redis_.command({"EVAL", kRenew, "1", key_, holder_, ttl});
  if (r.io_error()) return -1;
  if (!r.ok()) return -1;
  return r.value().integer() == 1 ? 1 : 0;
}

bool OwnerLease::regain() {
  const int r = renew();
  if (r == 1) return true;
  if (r == -1) return false;
  const RedisReply set =
      redis_.command({"SET", key_, holder_, "NX", "PX", std::to_string(ttl_ms_)});
  return set.ok() && set.value().is_string();
}

void OwnerLease::start(std::function<void(const std::string&)> on_lost,
                       std::function<void()> on_regained) {
  on_lost_ = std::move(on_lost);
  on_regained_ = std::move(on_regained);
  stop_ = false;
  thread_ = std::thread([this] {
    name_current_thread("eb-lease");
    run();
  });
}

void OwnerLease::run() {
  std::int64_t renewed_at = mono_ms();
  const std::int64_t every = std::max<std::int64_t>(ttl_ms_ / 3, 50);
  while (!stop_.load()) {
    const std::int64_t next = mono_ms() + every;
    if (lost_.load()) {
      if (regain()) {
        lost_ = false;
        renewed_at = mono_ms();
        if (on_regained_) on_regained_();
      }
      while (!stop_.load() && mono_ms() < next)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    const int r = renew();
    const std::int64_t now = mono_ms();
    std::string why;
    if (r == 1) {
      renewed_at = now;
    } else if (r == 0) {
      why = "the lease " + key_ + " is no longer ours (another holder, or it expired)";
    } else if (now - renewed_at >= 2 * ttl_ms_ / 3) {
      why = "the lease " + key_ + " could not be renewed for " + std::to_string(now - renewed_at) +
            " ms (Redis unreachable): another host may take it";
    }
    if (!why.empty()) {
      lost_ = true;
      if (on_lost_) on_lost_(why);
    }
    while (!stop_.load() && mono_ms() < next)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void OwnerLease::stop(bool release) {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (release && !lost_.load() && (redis_.connected() || redis_.connect().empty()))
    (void)redis_.command({"EVAL", kRelease, "1", key_, holder_});
}

}  // namespace exitbrain
