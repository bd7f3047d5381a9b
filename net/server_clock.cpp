#include "net/server_clock.hpp"

#include <algorithm>

namespace exitbrain {

ServerClock::ServerClock(const ServerClockOptions& options) noexcept : options_(options) {
  options_.window = std::clamp<std::size_t>(options_.window, 1, kMaxSamples);
  if (options_.max_round_trip_ms < 0) options_.max_round_trip_ms = 0;
}

bool ServerClock::add_sample(TimeMs local_sent, TimeMs server_time,
                             TimeMs local_received) noexcept {
  const TimeMs round_trip = local_received - local_sent;
  if (round_trip < 0 || round_trip > options_.max_round_trip_ms || server_time <= 0) {
    ++refused_;
    return false;
  }
  if (rejected_) {
    // The server refused a timestamp made with the current offset: start over.
    count_ = 0;
    next_ = 0;
    rejected_ = false;
  }
  samples_[next_] = Sample{local_received, round_trip, server_time - (local_sent + round_trip / 2)};
  next_ = (next_ + 1) % options_.window;
  count_ = std::min(count_ + 1, options_.window);
  newest_received_ = local_received;
  choose_best();
  return true;
}

void ServerClock::choose_best() noexcept {
  // Smallest round trip wins; among equals, the newest (the clocks drift apart).
  const Sample* best = nullptr;
  for (std::size_t i = 0; i < count_; ++i) {
    const Sample& s = samples_[i];
    if (newest_received_ - s.received > options_.max_sample_age_ms) continue;
    if (best == nullptr || s.round_trip < best->round_trip ||
        (s.round_trip == best->round_trip && s.received > best->received))
      best = &s;
  }
  if (best != nullptr) {
    best_offset_ = best->offset;
    best_round_trip_ = best->round_trip;
  }
}

bool ServerClock::needs_resync(TimeMs local_now) const noexcept {
  if (!synced() || rejected_) return true;
  return local_now - newest_received_ >= options_.resync_interval_ms;
}

void ServerClock::on_timestamp_rejected() noexcept {
  rejected_ = true;
  ++rejections_;
}

}  // namespace exitbrain
