#include "net/binance_errors.hpp"

namespace exitbrain {

ErrorAction classify_exchange_error(int http_status, int code, std::string_view msg) noexcept {
  if (http_status >= 200 && http_status < 300 && code == 0) return ErrorAction::kNone;
  if (http_status == 418) return ErrorAction::kBanned;
  switch (code) {
    case -1003:  // too many requests / banned until
      return http_status == 418 ? ErrorAction::kBanned : ErrorAction::kRateLimited;
    case -1015:
      return ErrorAction::kRateLimited;
    case -1006:
    case -1007:
      return ErrorAction::kUnknownOutcome;  // "execution status unknown"
    case -1008:
      return ErrorAction::kRetryBackoff;  // throttled; exits are exempt, so rare
    case -1021:
      return ErrorAction::kResyncClock;
    case -4116:
      return ErrorAction::kAlreadyAccepted;
    case -2022:
    case -2024:
      return ErrorAction::kNothingToReduce;
    case -1022:  // signature
    case -1102:  // mandatory parameter missing or malformed
    case -1106:  // parameter sent when not required (reduceOnly in hedge mode / with closePosition)
    case -1111:  // precision over the tick / step
    case -4061:  // positionSide does not match the account's mode
    case -4120:  // stop type on the plain order endpoint
    case -4164:  // min notional (reduce-only is exempt: we sent a non-reduce-only exit)
    case -4015:  // client order id invalid
    case -4137:
    case -4138:
      return ErrorAction::kOurBug;
    default:
      break;
  }
  if (http_status == 429) return ErrorAction::kRateLimited;
  if (http_status == 503) {
    // Variant (A) may have been executed; (B) "Service Unavailable" has not.
    if (msg.find("Unknown error") != std::string_view::npos) return ErrorAction::kUnknownOutcome;
    return ErrorAction::kRetryBackoff;
  }
  if (http_status == 408 || http_status >= 500) return ErrorAction::kUnknownOutcome;
  return ErrorAction::kRejected;
}

}  // namespace exitbrain
