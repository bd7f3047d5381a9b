#pragma once
// What the journal knows of each position's exit orders, for the start-up reconciliation:
// how much the engine decided to exit, how much the exchange confirmed executed, and the
// exit orders that were sent without a final answer (the ones to look up by client id
// after a crash, never to resend blindly). Fed by the decisions of the journal's replica
// and by the order sender's records; saved in every snapshot.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_codec.hpp"
#include "core/events.hpp"
#include "tools/common/event_log.hpp"

namespace exitbrain {

struct InFlightExit {
  std::uint64_t run_key = 0;  // of the run that sent it: part of its client id
  std::uint32_t seq = 0;
  Qty qty{};
};

struct PositionTrail {
  Qty decided{};   // exits the engine decided, in all
  Qty executed{};  // confirmed executed by the exchange
  std::array<InFlightExit, 4> in_flight{};
  std::uint8_t in_flight_count = 0;
  // The hard stop that stands for it (seq 0: none), and whether its fill was recorded: a
  // restart that finds it gone while the position went too looks up what it filled.
  std::uint64_t stop_run_key = 0;
  std::uint32_t stop_seq = 0;
  bool stop_fill_seen = false;
};

class OrderTrail {
 public:
  void on_run_started(std::uint64_t run_key) noexcept { run_key_ = run_key; }
  void on_decision(const Decision& d);
  // True when `r` is an exit's final answer seen for the first time.
  bool on_order(const OrderRecord& r);
  // Realised PnL of a fill at `t` (exits and hard stops), counted per UTC day: the daily
  // loss limit goes on from it after a restart.
  void add_realised(TimeMs t, double pnl) noexcept;
  double realised_on(std::int64_t day) const noexcept {
    return day == realised_day_ ? realised_pnl_ : 0.0;
  }

  // The position's trail (an empty one if nothing is known).
  const PositionTrail& of(std::uint32_t position) const noexcept;
  std::size_t size() const noexcept { return trails_.size(); }
  std::uint64_t run_key() const noexcept { return run_key_; }

  void save(ByteWriter& w) const;
  std::optional<std::string> load(ByteReader& r);

 private:
  PositionTrail& at(std::uint32_t position);

  std::uint64_t run_key_ = 0;
  std::vector<PositionTrail> trails_;
  std::int64_t realised_day_ = -1;  // days since the epoch, UTC
  double realised_pnl_ = 0;
};

}  // namespace exitbrain
