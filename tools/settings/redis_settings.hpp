#pragma once
// [redis] of the config file: the Redis side of DESIGN.md §4. Present → `exitbrain run`
// starts the intent thread; `exitbrain intents` reads it too.
//   url, password_env, group, consumer, intent_stream, dead_letter_stream, levels_stream,
//   metadata_prefix, applied_prefix, normalized_stream, status_stream, alerts_stream,
//   closed_stream, *_maxlen, entries, size_basis, intent_max_age_ms,
//   max_order_notional_usd, max_total_notional_usd, claim_idle_ms, block_ms, batch,
//   applied_ttl_s, cross_exchange, cross_exchange_poll_ms, cross_exchange_stale_ms,
//   cross_exchange_max_failures, status_interval_ms, closed_buffer
// The password comes from the variable named by password_env (or the URL, for a local
// test Redis); it is never printed.
#include <cstdint>
#include <string>

#include "core/types.hpp"
#include "strategies/intent_policy.hpp"

namespace exitbrain {

struct RedisSettings {
  std::string url = "redis://127.0.0.1:6379";
  std::string password_env;  // e.g. "EXITBRAIN_REDIS_PASSWORD"; empty: none
  std::string group = "exitbrain";
  std::string consumer = "exitbrain-1";
  std::string intent_stream = "quantum:stream:trade.intent";
  std::string dead_letter_stream = "quantum:stream:trade.intent.dead";
  std::string levels_stream = "quantum:stream:exitbrain.adaptive_levels";
  std::string metadata_prefix = "quantum:ilf:metadata:";
  // applied_prefix + stream id: "claimed" once an intent is handed to the engine, "done"
  // once it is fully handled. What makes an intent apply at most once.
  std::string applied_prefix = "quantum:exitbrain:applied:";
  std::string normalized_stream = "quantum:stream:exchange.normalized";
  std::string status_stream = "quantum:stream:exitbrain.status";
  std::string alerts_stream = "quantum:stream:exitbrain.alerts";
  std::string closed_stream = "quantum:stream:trade.closed";
  std::string heartbeat_prefix = "quantum:exitbrain:consumer:";
  // lease_prefix + the account's fingerprint: one exitbrain per account across hosts
  // (tools/intents/owner_lease.hpp).
  std::string lease_prefix = "quantum:exitbrain:lease:";
  std::int64_t lease_ttl_ms = 15'000;
  std::int64_t levels_maxlen = 100'000;
  std::int64_t dead_letter_maxlen = 100'000;
  std::int64_t status_maxlen = 1'000;
  std::int64_t alerts_maxlen = 500;
  std::int64_t closed_maxlen = 100'000;
  IntentPolicy policy;  // entries, size_basis, intent_max_age_ms, max_order_notional_usd
  double max_total_notional_usd = 5'000;
  std::int64_t claim_idle_ms = 60'000;  // XAUTOCLAIM what another consumer left this long
  std::int64_t block_ms = 500;          // XREADGROUP BLOCK
  std::int64_t batch = 256;             // XREADGROUP COUNT
  std::int64_t applied_ttl_s = 7 * 24 * 3600;
  // false: no cross-exchange adjustments are read (local mode, the levels as computed).
  bool cross_exchange = true;
  std::int64_t cross_exchange_poll_ms = 1'000;
  std::int64_t cross_exchange_stale_ms = 60'000;
  std::int64_t cross_exchange_max_failures = 3;
  std::int64_t status_interval_ms = 10'000;
  std::int64_t closed_buffer = 10'000;  // trade.closed events held while Redis is down
  std::int64_t reconnect_min_ms = 100;
  std::int64_t reconnect_max_ms = 5'000;
};

}  // namespace exitbrain
