#pragma once
// One entry of the cross-exchange aggregator's normalized stream
// (quantum:stream:exchange.normalized, DESIGN.md §4) read into the adapter's input. Its
// own file so the fuzzer (fuzz/fuzz_cross_exchange.cpp) reads entries exactly as the intent
// thread does.
#include "strategies/cross_exchange.hpp"
#include "tools/intents/redis_fields.hpp"

namespace exitbrain {

// False when the entry cannot be used: a field missing or not a finite number, a
// num_exchanges outside [1, 1000], a timestamp that is not one. `in` is complete when true.
bool read_normalized_input(const StreamEntry& e, cross_exchange::NormalizedInput& in) noexcept;

}  // namespace exitbrain
