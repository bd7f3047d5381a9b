#include "tools/intents/normalized_input.hpp"

#include "net/trade_intent_parser.hpp"

namespace exitbrain {

bool read_normalized_input(const StreamEntry& e, cross_exchange::NormalizedInput& in) noexcept {
  if (e.deleted || e.id_ms <= 0) return false;
  double n = 0;
  bool ok = parse_finite(e.field("exchange_divergence"), in.exchange_divergence);
  ok = ok && parse_finite(e.field("funding_delta"), in.funding_delta);
  ok = ok && parse_finite(e.field("volatility_factor"), in.volatility_factor);
  ok = ok && parse_finite(e.field("num_exchanges"), n);
  // Out of range is a failed read, and the range keeps the conversion to int defined.
  ok = ok && n >= 1 && n <= 1000;
  in.num_exchanges = ok ? static_cast<int>(n) : 0;
  // The aggregator's own stamp when it gives one (ISO or epoch), else when Redis took it.
  const std::string_view ts = e.field("timestamp");
  in.timestamp_ms = e.id_ms;
  if (!ts.empty()) {
    if (auto t = parse_intent_timestamp(ts))
      in.timestamp_ms = *t;
    else
      ok = false;
  }
  return ok;
}

}  // namespace exitbrain
