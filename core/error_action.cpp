#include "core/error_action.hpp"

namespace exitbrain {

const char* to_string(ErrorAction a) noexcept {
  switch (a) {
    case ErrorAction::kNone:
      return "none";
    case ErrorAction::kUnknownOutcome:
      return "unknown_outcome";
    case ErrorAction::kAlreadyAccepted:
      return "already_accepted";
    case ErrorAction::kRetryBackoff:
      return "retry_backoff";
    case ErrorAction::kRateLimited:
      return "rate_limited";
    case ErrorAction::kBanned:
      return "banned";
    case ErrorAction::kResyncClock:
      return "resync_clock";
    case ErrorAction::kNothingToReduce:
      return "nothing_to_reduce";
    case ErrorAction::kOurBug:
      return "our_bug";
    case ErrorAction::kRejected:
      return "rejected";
  }
  return "unknown";
}

}  // namespace exitbrain
