#pragma once
// Offset between the local millisecond clock and Binance's server time, from GET
// /fapi/v1/time samples (binance-api.md §2.12, §3.1). Signed requests are rejected with
// -1021 when their timestamp is more than 1 s ahead of the server or older than recvWindow,
// so the order path stamps `server_now(local)`.
//
// Each sample is (local send time, serverTime, local receive time). The server read its
// clock somewhere inside the round trip; assuming the middle, offset = serverTime - midpoint,
// wrong by at most half the round trip. Of the recent samples, the one with the smallest
// round trip is the most precise and is the one used. Pure: times are passed in.
#include <array>
#include <cstddef>
#include <cstdint>

#include "core/types.hpp"

namespace exitbrain {

struct ServerClockOptions {
  std::size_t window = 8;                   // recent samples considered (1..kMaxSamples)
  TimeMs resync_interval_ms = 10 * 60'000;  // resample after this long
  TimeMs max_round_trip_ms = 10'000;        // slower samples are refused
  // Samples received this long before the newest are no longer considered: the two clocks
  // drift apart, so a precise but old sample stops being the better one.
  TimeMs max_sample_age_ms = 30 * 60'000;
};

class ServerClock {
 public:
  static constexpr std::size_t kMaxSamples = 32;

  explicit ServerClock(const ServerClockOptions& options = {}) noexcept;

  // False (and ignored) when received < sent, the round trip exceeds max_round_trip_ms or
  // server_time is not positive. After on_timestamp_rejected() the older samples are
  // dropped: the first new sample decides alone.
  bool add_sample(TimeMs local_sent, TimeMs server_time, TimeMs local_received) noexcept;

  bool synced() const noexcept { return count_ != 0; }
  // serverTime - local time, of the best sample (0 until synced).
  TimeMs offset_ms() const noexcept { return best_offset_; }
  // Round trip of the best sample; the offset is within half of it.
  TimeMs round_trip_ms() const noexcept { return best_round_trip_; }
  TimeMs uncertainty_ms() const noexcept { return (best_round_trip_ + 1) / 2; }
  // The server's clock now; `local` itself until synced.
  TimeMs server_now(TimeMs local) const noexcept { return local + best_offset_; }

  // True before the first sample, after a -1021 (until the next sample), and once
  // resync_interval_ms has passed since the newest sample was received.
  bool needs_resync(TimeMs local_now) const noexcept;
  // A signed request came back -1021 INVALID_TIMESTAMP.
  void on_timestamp_rejected() noexcept;

  std::size_t sample_count() const noexcept { return count_; }
  std::uint64_t samples_refused() const noexcept { return refused_; }
  std::uint64_t timestamp_rejections() const noexcept { return rejections_; }

 private:
  struct Sample {
    TimeMs received = 0;
    TimeMs round_trip = 0;
    TimeMs offset = 0;
  };
  void choose_best() noexcept;

  ServerClockOptions options_;
  std::array<Sample, kMaxSamples> samples_{};
  std::size_t next_ = 0;   // ring position of the next sample
  std::size_t count_ = 0;  // samples held (<= window)
  TimeMs best_offset_ = 0;
  TimeMs best_round_trip_ = 0;
  TimeMs newest_received_ = 0;
  bool rejected_ = false;
  std::uint64_t refused_ = 0;
  std::uint64_t rejections_ = 0;
};

}  // namespace exitbrain
