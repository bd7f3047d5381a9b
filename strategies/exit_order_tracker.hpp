#pragma once
// From exit decisions to exit orders, for one account: one order in flight per position,
// and nothing ever executed twice (DESIGN.md §3 rule 5).
//
//  - A decision while an order is in flight waits; its quantity joins the next order.
//  - An answer whose outcome is unknown (503 "Unknown error", -1006/-1007, a timeout,
//    -4116 duplicate) leads to a lookup by client id, never to a blind resend. Only when
//    the exchange says it never saw the order is it sent again, under the same client id.
//  - A definite refusal that is worth retrying (throttle, rate limit, clock) resends the
//    same order, same id, after the sender's back-off.
//  - A refusal that will not go away (our bug, a rejection) raises an alert; the quantity
//    joins the next exit of the position (the exchange-side hard stop still protects it).
//  - A partial fill puts the rest back in line under a new order.
// Pure and allocation-free after construction; the order sender thread drives it.
#include <cstdint>
#include <optional>
#include <vector>

#include "core/decimal.hpp"
#include "core/error_action.hpp"

namespace exitbrain {

enum class TrackerCommandKind : std::uint8_t {
  kSend,    // send (or resend) order `order_seq` for `qty`
  kLookup,  // query order `order_seq` by its client id
  kAlert,   // the order failed for good: `reason` says why; nothing is sent
};

struct TrackerCommand {
  TrackerCommandKind kind = TrackerCommandKind::kSend;
  std::uint32_t position = 0;
  std::uint32_t order_seq = 0;  // the client id's sequence number (per position, from 1)
  Qty qty{};
  bool after_backoff = false;  // kSend: wait before sending (throttled, rate limited, ...)
  ErrorAction reason = ErrorAction::kNone;
};

// What a lookup by client id found.
enum class LookupStatus : std::uint8_t {
  kNotFound,  // the exchange never received it
  kOpen,      // still working (NEW / PARTIALLY_FILLED): look again later
  kFinal,     // FILLED, CANCELED, EXPIRED or REJECTED, with its executed quantity
};

class ExitOrderTracker {
 public:
  explicit ExitOrderTracker(std::size_t max_positions);

  // The engine decided to exit `qty` of `position`.
  std::optional<TrackerCommand> on_exit(std::uint32_t position, Qty qty) noexcept;
  // Order `order_seq` reached a final state with `executed` filled (a MARKET order's answer
  // with newOrderRespType=RESULT, or the user-data stream).
  std::optional<TrackerCommand> on_final(std::uint32_t position, std::uint32_t order_seq,
                                         Qty executed) noexcept;
  // Order `order_seq` was answered with an error (or timed out: kUnknownOutcome).
  std::optional<TrackerCommand> on_error(std::uint32_t position, std::uint32_t order_seq,
                                         ErrorAction action) noexcept;
  std::optional<TrackerCommand> on_lookup(std::uint32_t position, std::uint32_t order_seq,
                                          LookupStatus status, Qty executed) noexcept;

  bool in_flight(std::uint32_t position) const noexcept { return slots_[position].in_flight; }
  Qty waiting(std::uint32_t position) const noexcept { return slots_[position].waiting; }
  Qty executed(std::uint32_t position) const noexcept { return slots_[position].executed; }
  // Answers about orders that are not the one in flight (late duplicates): ignored, counted.
  std::uint64_t stale_answers() const noexcept { return stale_; }

 private:
  struct Slot {
    bool in_flight = false;
    std::uint32_t order_seq = 0;  // of the order in flight, or of the last one
    Qty order_qty{};
    Qty waiting{};   // decided, not yet in an order
    Qty executed{};  // filled on the exchange, all orders together
  };
  bool is_current(std::uint32_t position, std::uint32_t order_seq) noexcept;
  std::optional<TrackerCommand> send_waiting(std::uint32_t position) noexcept;
  std::optional<TrackerCommand> finish(std::uint32_t position, Qty executed) noexcept;

  std::vector<Slot> slots_;
  std::uint64_t stale_ = 0;
};

}  // namespace exitbrain
