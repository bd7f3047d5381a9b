#include "tools/settings/redis_settings.hpp"

#include "net/redis_client.hpp"
#include "tools/settings/toml_fields.hpp"

namespace exitbrain {
namespace {

std::int64_t int_in(const toml::table& t, const Where& w, const char* key, std::int64_t current,
                    std::int64_t lo, std::int64_t hi) {
  const std::int64_t v = get_int(t, w, key, current);
  if (v < lo || v > hi)
    w.fail(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

void read_name(const toml::table& t, const Where& w, const char* key, std::string& out) {
  auto s = get_string(t, w, key);
  if (!s) return;
  if (s->empty() || s->size() > 200) w.fail(key, "must be 1 to 200 characters");
  for (char c : *s)
    if (c <= ' ' || c == 127) w.fail(key, "must not contain spaces or control characters");
  out = *s;
}

}  // namespace

void read_redis_table(const toml::table& t, const std::string& source, RedisSettings& r) {
  const Where w{source, "redis"};
  reject_unknown_keys(t, w,
                      {"url",
                       "password_env",
                       "password",
                       "group",
                       "consumer",
                       "intent_stream",
                       "dead_letter_stream",
                       "levels_stream",
                       "metadata_prefix",
                       "applied_prefix",
                       "normalized_stream",
                       "status_stream",
                       "alerts_stream",
                       "closed_stream",
                       "heartbeat_prefix",
                       "lease_prefix",
                       "lease_ttl_ms",
                       "levels_maxlen",
                       "dead_letter_maxlen",
                       "status_maxlen",
                       "alerts_maxlen",
                       "closed_maxlen",
                       "entries",
                       "size_basis",
                       "intent_max_age_ms",
                       "max_order_notional_usd",
                       "max_total_notional_usd",
                       "claim_idle_ms",
                       "block_ms",
                       "batch",
                       "applied_ttl_s",
                       "cross_exchange",
                       "cross_exchange_poll_ms",
                       "cross_exchange_stale_ms",
                       "cross_exchange_max_failures",
                       "status_interval_ms",
                       "closed_buffer",
                       "reconnect_min_ms",
                       "reconnect_max_ms"});
  if (t.contains("password"))
    w.fail("password",
           "secrets are never read from the config file: name an environment variable "
           "(password_env)");
  if (auto s = get_string(t, w, "url")) {
    const RedisUrlResult u = parse_redis_url(*s);
    if (!u.error.empty()) w.fail("url", u.error);
    if (!u.url.password.empty()) w.fail("url", "must not carry a password: use password_env");
    r.url = *s;
  }
  if (auto s = get_string(t, w, "password_env")) r.password_env = *s;
  read_name(t, w, "group", r.group);
  read_name(t, w, "consumer", r.consumer);
  read_name(t, w, "intent_stream", r.intent_stream);
  read_name(t, w, "dead_letter_stream", r.dead_letter_stream);
  read_name(t, w, "levels_stream", r.levels_stream);
  read_name(t, w, "metadata_prefix", r.metadata_prefix);
  read_name(t, w, "applied_prefix", r.applied_prefix);
  read_name(t, w, "normalized_stream", r.normalized_stream);
  read_name(t, w, "status_stream", r.status_stream);
  read_name(t, w, "alerts_stream", r.alerts_stream);
  read_name(t, w, "closed_stream", r.closed_stream);
  read_name(t, w, "heartbeat_prefix", r.heartbeat_prefix);
  read_name(t, w, "lease_prefix", r.lease_prefix);
  r.lease_ttl_ms = int_in(t, w, "lease_ttl_ms", r.lease_ttl_ms, 1'000, 600'000);
  r.levels_maxlen = int_in(t, w, "levels_maxlen", r.levels_maxlen, 100, 100'000'000);
  r.dead_letter_maxlen = int_in(t, w, "dead_letter_maxlen", r.dead_letter_maxlen, 100, 100'000'000);
  r.status_maxlen = int_in(t, w, "status_maxlen", r.status_maxlen, 10, 100'000'000);
  r.alerts_maxlen = int_in(t, w, "alerts_maxlen", r.alerts_maxlen, 10, 100'000'000);
  r.closed_maxlen = int_in(t, w, "closed_maxlen", r.closed_maxlen, 100, 100'000'000);

  IntentPolicy& p = r.policy;
  if (auto s = get_string(t, w, "entries")) {
    if (*s == "observe")
      p.entries = EntryMode::kObserve;
    else if (*s == "execute")
      p.entries = EntryMode::kExecute;
    else
      w.fail("entries", "must be \"observe\" or \"execute\"");
  }
  if (auto s = get_string(t, w, "size_basis")) {
    if (*s == "margin")
      p.size_basis = SizeBasis::kMargin;
    else if (*s == "notional")
      p.size_basis = SizeBasis::kNotional;
    else
      w.fail("size_basis", "must be \"margin\" or \"notional\"");
  }
  p.max_age_ms = int_in(t, w, "intent_max_age_ms", p.max_age_ms, 100, 86'400'000);
  p.max_order_notional_usd = get_double(t, w, "max_order_notional_usd", p.max_order_notional_usd);
  if (!(p.max_order_notional_usd > 0 && p.max_order_notional_usd <= 1e9))
    w.fail("max_order_notional_usd", "must be in (0, 1e9]");
  r.max_total_notional_usd = get_double(t, w, "max_total_notional_usd", r.max_total_notional_usd);
  if (!(r.max_total_notional_usd >= p.max_order_notional_usd && r.max_total_notional_usd <= 1e10))
    w.fail("max_total_notional_usd", "must be in [max_order_notional_usd, 1e10]");
  r.claim_idle_ms = int_in(t, w, "claim_idle_ms", r.claim_idle_ms, 1'000, 86'400'000);
  r.block_ms = int_in(t, w, "block_ms", r.block_ms, 1, 10'000);
  r.batch = int_in(t, w, "batch", r.batch, 1, 10'000);
  r.applied_ttl_s = int_in(t, w, "applied_ttl_s", r.applied_ttl_s, 60, 365LL * 86'400);
  // A re-delivered intent must still find its "applied" mark, or be too old to execute.
  if (r.applied_ttl_s * 1000 <= p.max_age_ms)
    w.fail("applied_ttl_s", "must be longer than intent_max_age_ms");
  r.cross_exchange = get_bool(t, w, "cross_exchange", r.cross_exchange);
  r.cross_exchange_poll_ms =
      int_in(t, w, "cross_exchange_poll_ms", r.cross_exchange_poll_ms, 50, 600'000);
  r.cross_exchange_stale_ms =
      int_in(t, w, "cross_exchange_stale_ms", r.cross_exchange_stale_ms, 1'000, 3'600'000);
  r.cross_exchange_max_failures =
      int_in(t, w, "cross_exchange_max_failures", r.cross_exchange_max_failures, 1, 1'000);
  r.status_interval_ms = int_in(t, w, "status_interval_ms", r.status_interval_ms, 100, 3'600'000);
  r.closed_buffer = int_in(t, w, "closed_buffer", r.closed_buffer, 16, 10'000'000);
  r.reconnect_min_ms = int_in(t, w, "reconnect_min_ms", r.reconnect_min_ms, 10, 60'000);
  r.reconnect_max_ms =
      int_in(t, w, "reconnect_max_ms", r.reconnect_max_ms, r.reconnect_min_ms, 600'000);
}

}  // namespace exitbrain
