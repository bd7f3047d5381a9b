// The consumer group as Redis reports it, for `exitbrain intents --status` and the drain
// summary: XLEN, XINFO GROUPS / CONSUMERS, and each consumer's heartbeat hash.
#include "tools/intents/intent_consumer.hpp"
#include "tools/intents/redis_fields.hpp"

namespace exitbrain {

// ---- status --------------------------------------------------------------------------

IntentGroupStatus IntentConsumer::group_status() {
  return read_group_status(redis_, settings_);
}

IntentGroupStatus read_group_status(RedisConnection& redis_, const RedisSettings& settings_) {
  IntentGroupStatus s;
  if (!redis_.connected()) {
    s.error = "not connected";
    return s;
  }
  const RedisReply len = redis_.command({"XLEN", settings_.intent_stream});
  if (!len.ok()) {
    s.error = "XLEN: " + len.error();
    return s;
  }
  s.stream_length = len.value().integer();
  const RedisReply exists = redis_.command({"EXISTS", settings_.intent_stream});
  s.stream_exists = exists.ok() && exists.value().integer() == 1;
  if (!s.stream_exists) return s;
  const RedisReply groups = redis_.command({"XINFO", "GROUPS", settings_.intent_stream});
  if (!groups.ok()) {
    s.error = "XINFO GROUPS: " + groups.error();
    return s;
  }
  for (std::size_t g = 0; g < groups.value().size(); ++g) {
    const RedisValue info = groups.value()[g];
    bool ours = false;
    for (std::size_t i = 0; i + 1 < info.size(); i += 2)
      if (info[i].text() == "name" && info[i + 1].text() == settings_.group) ours = true;
    if (!ours) continue;
    s.group_exists = true;
    for (std::size_t i = 0; i + 1 < info.size(); i += 2) {
      const std::string_view k = info[i].text();
      const RedisValue v = info[i + 1];
      if (k == "consumers") s.consumers = v.integer();
      if (k == "pending") s.pending = v.integer();
      if (k == "last-delivered-id") s.last_delivered_id = std::string(v.text());
      if (k == "lag") s.lag = v.is_integer() ? v.integer() : -1;
    }
  }
  if (!s.group_exists) return s;
  const RedisReply cons =
      redis_.command({"XINFO", "CONSUMERS", settings_.intent_stream, settings_.group});
  for (std::size_t c = 0; cons.ok() && c < cons.value().size(); ++c) {
    const RedisValue info = cons.value()[c];
    IntentGroupStatus::Consumer hc;
    for (std::size_t i = 0; i + 1 < info.size(); i += 2)
      if (info[i].text() == "name") hc.name = std::string(info[i + 1].text());
    const RedisReply hb =
        redis_.command({"HMGET", settings_.heartbeat_prefix + settings_.group + ":" + hc.name,
                        "heartbeat_ms", "last_intent_ms"});
    if (hb.ok() && hb.value().size() == 2 && !hb.value()[0].is_null()) {
      hc.heartbeat_ms = parse_epoch_ms(hb.value()[0].text());
      hc.last_intent_ms = parse_epoch_ms(hb.value()[1].text());
      hc.alive = true;  // the hash expires 3 status intervals after the last heartbeat
    }
    s.heartbeats.push_back(std::move(hc));
  }
  return s;
}

}  // namespace exitbrain
