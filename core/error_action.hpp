#pragma once
// What an exchange answer means for the order that caused it. The vocabulary shared by
// the order tracker (pure) and the exchange edge that classifies real answers
// (net/binance_errors.hpp).
#include <cstdint>

namespace exitbrain {

enum class ErrorAction : std::uint8_t {
  kNone,             // success
  kUnknownOutcome,   // may have been executed (503 "Unknown error", -1006, -1007, a
                     // timeout): look the order up by its client id before anything else
  kAlreadyAccepted,  // -4116 duplicate client id: an earlier attempt got through
  kRetryBackoff,     // a definite failure worth retrying later (503 "Service Unavailable", -1008)
  kRateLimited,      // 429 / -1003 / -1015: stop sending, honour Retry-After or back off
  kBanned,           // 418: the IP is banned until the time in the message
  kResyncClock,      // -1021: refresh the server-time offset, then retry
  kNothingToReduce,  // -2022 / -2024: the position is already smaller or gone
  kOurBug,           // a request exitbrain should never build (-1022, -4061, -1106, -1111,
                     // -4164, -4120, -1102, ...): stop, alert, never retry blindly
  kRejected,         // any other refusal: report it; the position keeps its hard stop
};
const char* to_string(ErrorAction a) noexcept;

}  // namespace exitbrain
