#pragma once
// Cross-exchange adjustments (seed 003, DESIGN.md §3): a pure state machine fed with
// readings of quantum:stream:exchange.normalized. No I/O, no exceptions, no
// allocation: the caller reads Redis, feeds results in, and publishes what comes out.
//
// Formulas (the seed's worked example disagrees with them; the formulas stand):
//   atr_multiplier = 1 + volatility_factor × 0.6      (vf 1.8 → 2.08)
//   tp_multiplier  = 1 + funding_delta × 0.8
//   sl_multiplier  = 1 + |exchange_divergence| × 0.4
//   use_trailing   = volatility_factor < 3
// Inputs are capped first: volatility_factor ≤ 5, |exchange_divergence| ≤ 1.
// Divergence enters as a magnitude: a spread in either direction is uncertainty,
// and uncertainty widens the stop (seed: "higher divergence → wider SL").
//
// Local mode (every multiplier 1.0, trailing on) while any of:
//   - no valid reading has arrived yet;
//   - the newest reading is older than stale_after_ms (60 000; exactly 60 000 is fresh);
//   - the last max_consecutive_failures (3) reads failed.
// Invalid readings (non-finite numbers, negative volatility, num_exchanges < 1)
// count as failed reads. A valid reading resets the failure run; if its data is fresh
// the adapter leaves local mode.
// Every entry into local mode raises one FALLBACK_TO_LOCAL alert and every exit one
// RECOVERED alert (never a RECOVERED without a FALLBACK before it: the first reading
// at start-up is not a recovery). Staying in local mode raises nothing.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/types.hpp"

namespace exitbrain::cross_exchange {

inline constexpr double kMaxVolatilityFactor = 5.0;
inline constexpr double kMaxDivergence = 1.0;
// DESIGN.md caps volatility and divergence only. A funding delta is capped to +-1 (100 %,
// beyond anything a funding rate does) as well: past -1.25 the TP multiplier turned
// negative, and 1e300 made it astronomic (found by fuzz/fuzz_cross_exchange).
inline constexpr double kMaxFundingDelta = 1.0;
inline constexpr double kTrailingVolatilityLimit = 3.0;
inline constexpr double kMinTpFraction = 0.003;   // 0.3 % of entry
inline constexpr double kMinSlFraction = 0.0015;  // 0.15 % of entry

// One entry of quantum:stream:exchange.normalized.
struct NormalizedInput {
  double exchange_divergence = 0;
  double funding_delta = 0;
  double volatility_factor = 0;
  int num_exchanges = 0;
  TimeMs timestamp_ms = 0;  // when the aggregator produced it
};

struct Config {
  TimeMs stale_after_ms = 60'000;
  int max_consecutive_failures = 3;
};

enum class FallbackReason : std::uint8_t { kNone, kNoData, kStale, kReadFailures };
std::string_view to_string(FallbackReason r) noexcept;  // "NONE", "NO_DATA", ...

enum class AlertType : std::uint8_t { kFallbackToLocal, kRecovered };
std::string_view to_string(AlertType t) noexcept;  // "FALLBACK_TO_LOCAL", "RECOVERED"

struct Alert {
  AlertType type = AlertType::kFallbackToLocal;
  FallbackReason reason = FallbackReason::kNone;  // kNone for RECOVERED
  TimeMs time_ms = 0;
  TimeMs data_age_ms = -1;  // -1: no data yet
  int fail_count = 0;       // consecutive failures at the time of the alert
  // "Data stale (67.3s)", "3 consecutive read failures", "No data", "Fresh data".
  std::array<char, 48> reason_buf{};

  std::string_view reason_text() const noexcept { return reason_buf.data(); }
};

struct Adjustments {
  double atr_multiplier = 1.0;
  double tp_multiplier = 1.0;
  double sl_multiplier = 1.0;
  bool use_trailing = true;
  bool local_mode = true;
  FallbackReason reason = FallbackReason::kNoData;
  TimeMs data_age_ms = -1;  // -1: no data yet
  // The inputs the multipliers came from, after capping (0 in local mode).
  double volatility_factor = 0;
  double exchange_divergence = 0;
  double funding_delta = 0;
};

// "Vol:1.80 Div:0.042 Fund:0.0012 | ATRx2.08 TPx1.00 SLx1.02", or
// "Local mode (Data stale (67.3s))". Writes at most cap-1 chars plus a terminator;
// returns the length of the text (truncated to fit).
std::size_t format_reasoning(const Adjustments& a, char* out, std::size_t cap) noexcept;

// TP/SL distances from entry as fractions of entry (0.01 = 1 %).
struct Fractions {
  double tp = 0;
  double sl = 0;
  bool tp_floored = false;  // lifted to kMinTpFraction
  bool sl_floored = false;  // lifted to kMinSlFraction
};
Fractions apply_adjustments(const Adjustments& a, double base_tp, double base_sl) noexcept;

// Counters for quantum:stream:exitbrain.status.
struct Status {
  bool local_mode = true;
  FallbackReason reason = FallbackReason::kNoData;
  std::uint64_t total_reads = 0;     // every read attempt, failed or not
  std::uint64_t total_failures = 0;  // failed reads, ever
  int fail_count = 0;                // failed reads in a row
  std::uint64_t dropped_alerts = 0;  // alerts lost because nobody drained the queue
};

class Adapter {
 public:
  static constexpr std::size_t kAlertQueueCapacity = 8;

  explicit Adapter(Config config = {}) noexcept : config_(config) {}

  // A reading arrived at now_ms. Returns false (and counts a failure) if it is invalid.
  bool on_data(const NormalizedInput& in, TimeMs now_ms) noexcept;
  // A read failed (timeout, Redis error, unparsable entry).
  void on_read_failure(TimeMs now_ms) noexcept;
  // Re-checks staleness at now_ms; may raise FALLBACK_TO_LOCAL.
  void poll(TimeMs now_ms) noexcept;
  // The multipliers to use at now_ms (polls first).
  Adjustments adjustments(TimeMs now_ms) noexcept;

  // Alerts in the order raised. The queue keeps the newest kAlertQueueCapacity.
  std::optional<Alert> pop_alert() noexcept;
  std::size_t pending_alerts() const noexcept { return alert_count_; }

  const Status& status() const noexcept { return status_; }
  const Config& config() const noexcept { return config_; }

 private:
  FallbackReason local_reason(TimeMs now_ms) const noexcept;
  TimeMs data_age(TimeMs now_ms) const noexcept;
  void update_mode(TimeMs now_ms) noexcept;
  void push_alert(AlertType type, FallbackReason reason, TimeMs now_ms) noexcept;

  Config config_;
  Status status_;
  std::optional<NormalizedInput> latest_;
  bool fallback_alerted_ = false;  // a FALLBACK_TO_LOCAL awaits its RECOVERED
  std::array<Alert, kAlertQueueCapacity> alerts_{};
  std::size_t alert_head_ = 0;
  std::size_t alert_count_ = 0;
};

}  // namespace exitbrain::cross_exchange
