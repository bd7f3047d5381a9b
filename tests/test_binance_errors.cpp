#include <gtest/gtest.h>

#include "net/binance_errors.hpp"

namespace exitbrain {
namespace {

TEST(BinanceErrors, SuccessIsNothingToDo) {
  EXPECT_EQ(classify_exchange_error(200, 0, ""), ErrorAction::kNone);
}

TEST(BinanceErrors, TheThree503VariantsDiffer) {
  EXPECT_EQ(classify_exchange_error(503, 0,
                                    "Unknown error, please check your request or try again later."),
            ErrorAction::kUnknownOutcome);
  EXPECT_EQ(classify_exchange_error(503, 0, "Service Unavailable."), ErrorAction::kRetryBackoff);
  EXPECT_EQ(classify_exchange_error(503, -1008, "Request throttled by system-level protection."),
            ErrorAction::kRetryBackoff);
}

TEST(BinanceErrors, UnknownStatusMeansLookUpFirst) {
  EXPECT_EQ(classify_exchange_error(400, -1006, "Unexpected response"),
            ErrorAction::kUnknownOutcome);
  EXPECT_EQ(
      classify_exchange_error(400, -1007, "Timeout waiting for response from backend server."),
      ErrorAction::kUnknownOutcome);
  EXPECT_EQ(classify_exchange_error(408, 0, ""), ErrorAction::kUnknownOutcome);
  EXPECT_EQ(classify_exchange_error(502, 0, "Bad Gateway"), ErrorAction::kUnknownOutcome);
  EXPECT_EQ(classify_exchange_error(400, -4116, "ClientOrderId is duplicated."),
            ErrorAction::kAlreadyAccepted);
}

TEST(BinanceErrors, LimitsBansAndClock) {
  EXPECT_EQ(classify_exchange_error(429, -1003, "Too many requests"), ErrorAction::kRateLimited);
  EXPECT_EQ(
      classify_exchange_error(418, -1003, "Way too many requests; IP banned until 1591702613943."),
      ErrorAction::kBanned);
  EXPECT_EQ(classify_exchange_error(400, -1015, "Too many new orders"), ErrorAction::kRateLimited);
  EXPECT_EQ(classify_exchange_error(400, -1021,
                                    "Timestamp for this request is outside of the recvWindow."),
            ErrorAction::kResyncClock);
}

TEST(BinanceErrors, RequestsWeNeverBuildAreOurBug) {
  for (int code : {-1022, -1102, -1106, -1111, -4061, -4120, -4164, -4015})
    EXPECT_EQ(classify_exchange_error(400, code, ""), ErrorAction::kOurBug) << code;
  EXPECT_EQ(classify_exchange_error(400, -2022, "ReduceOnly Order is rejected."),
            ErrorAction::kNothingToReduce);
  EXPECT_EQ(classify_exchange_error(400, -2019, "Margin is insufficient."), ErrorAction::kRejected);
}

}  // namespace
}  // namespace exitbrain
