#pragma once
// What an exchange answer means for the order that caused it (binance-api.md §2.2, §6).
// Pure classification; the order sender acts on it.
#include <string_view>

#include "core/error_action.hpp"

namespace exitbrain {

// `http_status` of the answer, Binance's `code` (0 when the body had none) and its `msg`.
ErrorAction classify_exchange_error(int http_status, int code, std::string_view msg) noexcept;

}  // namespace exitbrain
