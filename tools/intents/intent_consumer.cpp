#include "tools/intents/intent_consumer.hpp"

#include <algorithm>
#include <array>

#include "core/decimal.hpp"
#include "tools/common/event_log.hpp"
#include "tools/common/json_line.hpp"
#include "tools/common/number_text.hpp"
#include "tools/intents/redis_fields.hpp"

namespace exitbrain {

namespace {

RedisOptions redis_options(const RedisSettings& s, const std::string& password) {
  RedisOptions o;
  o.url = parse_redis_url(s.url).url;  // validated with the config
  if (!password.empty()) o.url.password = password;
  // A blocking read must end before the reply timeout does.
  o.command_timeout = std::chrono::milliseconds(std::max<std::int64_t>(5'000, s.block_ms + 2'000));
  return o;
}

}  // namespace

IntentConsumer::IntentConsumer(const RedisSettings& settings, const SymbolTable& symbols,
                               std::string password, IntentLinks links)
    : settings_(settings),
      symbols_(symbols),
      links_(links),
      redis_(redis_options(settings, password)),
      parser_(symbols),
      adapter_(cross_exchange::Config{settings.cross_exchange_stale_ms,
                                      static_cast<int>(settings.cross_exchange_max_failures)}) {}

void IntentConsumer::log_event(std::string json_fields) {
  if (links_.event_log) links_.event_log->text(std::move(json_fields));
}

bool IntentConsumer::failed(const RedisReply& r, const char* what) {
  if (r.ok()) return false;
  ++stats_.redis_errors;
  log_event(R"("event":"redis_error","command":")" + std::string(what) + R"(","error":)" +
            JsonLine::quote(r.error()));
  return true;
}

std::string IntentConsumer::connect() {
  if (std::string err = redis_.connect(); !err.empty()) return err;
  // From the stream's first entry, so a backlog written before the group existed is read.
  const RedisReply r = redis_.command(
      {"XGROUP", "CREATE", settings_.intent_stream, settings_.group, "0", "MKSTREAM"});
  if (r.io_error()) return "XGROUP CREATE: " + r.error();
  if (!r.ok() && !r.error().starts_with("BUSYGROUP")) return "XGROUP CREATE: " + r.error();
  // Whatever was delivered to this consumer and not acked comes first.
  reading_own_pending_ = true;
  pending_cursor_ = "0";
  return {};
}

int IntentConsumer::step(TimeMs now_ms, bool block) {
  if (!redis_.connected()) return -1;
  int got = 0;
  if (reclaim_cursor_ != "0-0" || now_ms >= next_reclaim_ms_) {
    const int n = reclaim(now_ms);
    if (n < 0) return -1;
    got += n;
  }
  if (reading_own_pending_) {
    const int n = read_batch(pending_cursor_, false, now_ms);
    if (n < 0) return -1;
    if (n == 0) reading_own_pending_ = false;
    got += n;
  } else if (got == 0) {
    const int n = read_batch(">", block, now_ms);
    if (n < 0) return -1;
    got += n;
  }
  if (bracket_fetch_ && now_ms >= next_bracket_refresh_ms_) refresh_leverage_brackets(now_ms);
  if (settings_.cross_exchange && now_ms >= next_cross_ms_) {
    poll_cross_exchange(now_ms);
    next_cross_ms_ = now_ms + settings_.cross_exchange_poll_ms;
  }
  publish_alerts(now_ms);
  take_closed(now_ms);
  publish_closed();
  if (now_ms >= next_status_ms_) {
    publish_status(now_ms);
    next_status_ms_ = now_ms + settings_.status_interval_ms;
  }
  return redis_.connected() ? got : -1;
}

void IntentConsumer::idle(TimeMs now_ms) {
  take_closed(now_ms);
}

void IntentConsumer::flush(TimeMs now_ms) {
  take_closed(now_ms);
  if (!redis_.connected()) return;
  publish_alerts(now_ms);
  publish_closed();
}

// ---- leverage brackets -----------------------------------------------------------------

void IntentConsumer::use_leverage_brackets(LeverageBracketTable table, std::string_view error,
                                           TimeMs now_ms, BracketFetch fetch, TimeMs refresh_ms) {
  brackets_ = std::move(table);
  bracket_fetch_ = std::move(fetch);
  bracket_refresh_ms_ = refresh_ms;
  if (error.empty()) {
    log_brackets("startup");
    next_bracket_refresh_ms_ = now_ms + refresh_ms;
  } else {
    ++stats_.bracket_refresh_errors;
    alert(now_ms, "LEVERAGE_BRACKETS_UNAVAILABLE",
          std::string(error) + "; intents use maint_margin_rate until a refresh succeeds");
    next_bracket_refresh_ms_ = now_ms + std::min<TimeMs>(refresh_ms, 60'000);
  }
}

void IntentConsumer::refresh_leverage_brackets(TimeMs now_ms) {
  LeverageBracketTable fresh;
  const std::string err = bracket_fetch_(fresh);
  if (err.empty()) {
    brackets_ = std::move(fresh);
    ++stats_.bracket_refreshes;
    log_brackets("refresh");
    next_bracket_refresh_ms_ = now_ms + bracket_refresh_ms_;
    return;
  }
  ++stats_.bracket_refresh_errors;
  alert(now_ms, "LEVERAGE_BRACKETS_STALE",
        err + (brackets_.empty() ? "; intents use maint_margin_rate"
                                 : "; intents keep the brackets fetched earlier"));
  next_bracket_refresh_ms_ = now_ms + std::min<TimeMs>(bracket_refresh_ms_, 60'000);
}

void IntentConsumer::log_brackets(std::string_view source) {
  std::size_t brackets = 0;
  for (const SymbolBrackets& s : brackets_.symbols()) brackets += s.brackets.size();
  log_event(R"("event":"leverage_brackets","source":")" + std::string(source) + R"(","symbols":)" +
            std::to_string(brackets_.size()) + R"(,"brackets":)" + std::to_string(brackets));
}

// ---- reading -------------------------------------------------------------------------

int IntentConsumer::read_batch(std::string_view start_id, bool block, TimeMs now_ms) {
  RedisArgs a;
  a << "XREADGROUP"
    << "GROUP" << settings_.group << settings_.consumer << "COUNT"
    << std::to_string(settings_.batch);
  if (block) a << "BLOCK" << std::to_string(settings_.block_ms);
  a << "STREAMS" << settings_.intent_stream << std::string(start_id);
  const auto v = a.views();
  const RedisReply r = redis_.command(v);
  if (r.io_error()) {
    failed(r, "XREADGROUP");
    return -1;
  }
  if (!r.ok()) {
    failed(r, "XREADGROUP");
    // The group vanished (Redis restarted without persistence, or someone deleted it):
    // make it again and carry on.
    if (r.error().starts_with("NOGROUP")) {
      const std::string err = connect();
      if (!err.empty()) return -1;
    }
    return 0;
  }
  if (r.value().is_null()) return 0;  // BLOCK timed out
  // [[stream, [entries...]]]
  const RedisValue entries = r.value()[0][1];
  std::vector<StreamEntry> batch = read_stream_entries(entries);
  if (batch.empty()) return 0;
  if (start_id != ">") pending_cursor_ = batch.back().id;
  if (!handle(batch, now_ms)) return -1;
  return static_cast<int>(batch.size());
}

int IntentConsumer::reclaim(TimeMs now_ms) {
  const RedisReply r = redis_.command({"XAUTOCLAIM", settings_.intent_stream, settings_.group,
                                       settings_.consumer, std::to_string(settings_.claim_idle_ms),
                                       reclaim_cursor_, "COUNT", std::to_string(settings_.batch)});
  if (r.io_error()) {
    failed(r, "XAUTOCLAIM");
    return -1;
  }
  if (!r.ok()) {
    failed(r, "XAUTOCLAIM");
    reclaim_cursor_ = "0-0";
    next_reclaim_ms_ = now_ms + std::max<std::int64_t>(1'000, settings_.claim_idle_ms / 2);
    return 0;
  }
  // [next-cursor, [entries...], [deleted ids...]]
  reclaim_cursor_ = std::string(r.value()[0].text());
  if (reclaim_cursor_.empty()) reclaim_cursor_ = "0-0";
  if (reclaim_cursor_ == "0-0")
    next_reclaim_ms_ = now_ms + std::max<std::int64_t>(1'000, settings_.claim_idle_ms / 2);
  std::vector<StreamEntry> batch = read_stream_entries(r.value()[1]);
  stats_.reclaimed += batch.size();
  if (!batch.empty())
    log_event(R"("event":"intents_reclaimed","count":)" + std::to_string(batch.size()) +
              R"(,"from_id":")" + batch.front().id + "\"");
  if (r.value().size() > 2 && !count_trimmed(r.value()[2])) return -1;
  if (batch.empty()) return 0;
  if (!handle(batch, now_ms)) return -1;
  return static_cast<int>(batch.size());
}

// Redis 7's XAUTOCLAIM drops the pending entries that were trimmed from the stream from the
// group as it passes them, whoever read them, and lists their ids apart: there is nothing
// left to ack or handle. They are counted, a duplicate when an attempt had marked one and
// trimmed otherwise, and never marked here: another consumer may be handling one right now
// from the fields it read, and a mark would stop it.
bool IntentConsumer::count_trimmed(RedisValue deleted) {
  std::vector<std::string> ids;
  for (std::size_t k = 0; k < deleted.size(); ++k) ids.emplace_back(deleted[k].text());
  for (const std::string& id : ids) redis_.append({"GET", settings_.applied_prefix + id});
  for (const std::string& id : ids) {
    const RedisReply r = redis_.read_reply();
    if (r.io_error()) return !failed(r, "GET applied");
    if (failed(r, "GET applied")) continue;
    if (!r.value().text().empty()) {
      ++stats_.duplicates;
      continue;
    }
    count_lost_to_trimming(id);
  }
  return true;
}

void IntentConsumer::count_lost_to_trimming(const std::string& id) {
  ++stats_.trimmed;
  log_event(R"("event":"intent_trimmed","intent_id":")" + id +
            R"(","note":"trimmed from the stream while pending, before any mark")");
}

// ---- handling ------------------------------------------------------------------------

bool IntentConsumer::handle(std::vector<StreamEntry>& batch, TimeMs now_ms) {
  stats_.read += batch.size();
  const std::string ttl = std::to_string(settings_.applied_ttl_s);
  auto mark_key = [&](const StreamEntry& e) { return settings_.applied_prefix + e.id; };

  // 1. What an earlier attempt already did with each entry.
  for (const StreamEntry& e : batch) redis_.append({"GET", mark_key(e)});
  std::vector<std::string> marks(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const RedisReply r = redis_.read_reply();
    if (r.io_error()) return !failed(r, "GET applied");
    marks[i] = std::string(r.value().text());
  }

  // 2. Parse, evaluate, and claim what is to be executed.
  struct Outcome {
    IntentParseResult parsed;
    IntentVerdict verdict;
    std::string status;  // as published
    bool publish = false;
    // Bad input (the parser's or the policy's verdict): dead-lettered with its field.
    bool invalid() const { return !parsed.ok() || verdict.status == IntentStatus::kInvalid; }
    std::string error_field() const {
      return parsed.ok() ? std::string(verdict.error_field ? verdict.error_field : "")
                         : parsed.error.field;
    }
    std::string error_reason() const { return parsed.ok() ? verdict.reason : parsed.error.reason; }
  };
  std::vector<Outcome> out(batch.size());
  const cross_exchange::Adjustments live = adapter_.adjustments(now_ms);
  std::vector<std::size_t> to_claim;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    StreamEntry& e = batch[i];
    Outcome& o = out[i];
    if (e.deleted || marks[i] == "done") continue;
    std::vector<IntentField> fields;
    fields.reserve(e.names.size());
    for (std::size_t f = 0; f < e.names.size(); ++f) fields.push_back({e.names[f], e.values[f]});
    o.parsed = parser_.parse(fields);
    o.publish = true;
    if (!o.parsed.ok()) continue;
    o.verdict = evaluate_intent(o.parsed.intent, e.id_ms, now_ms, live,
                                symbols_.filters(o.parsed.intent.symbol), settings_.policy,
                                brackets_.find(symbols_.name(o.parsed.intent.symbol)));
    o.status = to_string(o.verdict.status);
    if (o.verdict.status != IntentStatus::kExecute) continue;
    if (!marks[i].empty()) {  // "claimed": an earlier attempt handed it over already
      o.status = "replayed";
      continue;
    }
    to_claim.push_back(i);
  }
  for (std::size_t i : to_claim)
    redis_.append({"SET", mark_key(batch[i]), "claimed", "NX", "EX", ttl});
  for (std::size_t i : to_claim) {
    const RedisReply r = redis_.read_reply();
    if (r.io_error()) return !failed(r, "SET claimed");
    Outcome& o = out[i];
    if (r.value().is_null()) {  // someone else claimed it meanwhile
      o.status = "replayed";
      continue;
    }
    const IntentVerdict& v = o.verdict;
    EntryOrder eo;
    eo.intent_ms = batch[i].id_ms;
    eo.intent_seq = batch[i].id_seq;
    eo.symbol = o.parsed.intent.symbol;
    eo.side = o.parsed.intent.side;
    eo.qty = v.qty;
    eo.entry = Decimal::from_double(o.parsed.intent.entry_price).value_or(Price{});
    eo.sl = Decimal::from_double(v.levels.guarded_stop).value_or(Price{});
    eo.tp = Decimal::from_double(v.levels.dynamic_tp).value_or(Price{});
    eo.leverage = v.levels.target_leverage;
    eo.notional = v.notional;
    if (!links_.entries || !links_.entries->try_push(eo)) {
      // Claimed but not handed over: never executed, which is the safe side of "at most once".
      o.status = "refused";
      o.verdict.reason = links_.entries ? "engine queue full" : "no engine to execute it";
    }
  }

  // 3. Publish, mark done and ack, one transaction per entry.
  // Replies to read per entry: MULTI's, one "QUEUED" per command, EXEC's.
  std::vector<std::size_t> replies(batch.size(), 0);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const StreamEntry& e = batch[i];
    const Outcome& o = out[i];
    redis_.append({"MULTI"});
    std::size_t commands = 2;  // SET done, XACK
    if (o.publish && o.invalid()) {
      RedisArgs a;
      a << "XADD" << settings_.dead_letter_stream << "MAXLEN"
        << "~" << std::to_string(settings_.dead_letter_maxlen) << "*"
        << "intent.id" << e.id << "error.field" << o.error_field() << "error.reason"
        << o.error_reason() << "consumer" << settings_.consumer << "time" << std::to_string(now_ms);
      for (std::size_t f = 0; f < e.names.size(); ++f) a << e.names[f] << e.values[f];
      redis_.append(a.views());
      commands += 1;
    } else if (o.publish) {
      const TradeIntent& t = o.parsed.intent;
      const IntentVerdict& v = o.verdict;
      const AdaptiveLevels& l = v.levels;
      RedisArgs f;  // the fields of the levels entry and of the metadata hash
      f << "intent_id" << e.id << "symbol" << std::string(symbols_.name(t.symbol)) << "side"
        << (t.side == Side::kLong ? "BUY" : "SELL") << "status" << o.status << "reason"
        << (o.status == "replayed" ? "handed to the engine by an earlier attempt" : v.reason)
        << "confidence" << shortest_text(t.confidence) << "volatility_factor"
        << shortest_text(t.volatility_factor) << "entry_price" << eight_decimals_text(t.entry_price)
        << "stop_loss" << (t.stop_loss > 0 ? eight_decimals_text(t.stop_loss) : "") << "take_profit"
        << (t.take_profit > 0 ? eight_decimals_text(t.take_profit) : "") << "regime"
        << std::string(to_string(t.regime)) << "funding_rate" << shortest_text(v.input.funding_rate)
        << "exchange_divergence" << shortest_text(v.input.exchange_divergence) << "cross_exchange"
        << (v.live_cross_exchange ? "live" : "intent") << "input_leverage"
        << shortest_text(t.leverage) << "position_size_usd" << shortest_text(t.position_size_usd)
        << "target_leverage" << std::to_string(l.target_leverage) << "formula_leverage"
        << std::to_string(l.formula_leverage) << "raw_leverage" << shortest_text(l.raw_leverage)
        << "dynamic_tp" << eight_decimals_text(l.dynamic_tp) << "dynamic_sl"
        << eight_decimals_text(l.dynamic_sl) << "guarded_stop"
        << eight_decimals_text(l.guarded_stop) << "liquidation_price"
        << eight_decimals_text(l.liquidation_price) << "maint_margin_rate"
        << shortest_text(l.maint_margin_rate) << "clamped" << clamp_names(l.clamps) << "qty"
        << to_string(v.qty) << "notional" << shortest_text(v.notional) << "age_ms"
        << std::to_string(v.age_ms) << "intent_timestamp" << std::to_string(t.timestamp_ms)
        << "timestamp" << std::to_string(now_ms);
      RedisArgs x;
      x << "XADD" << settings_.levels_stream << "MAXLEN"
        << "~" << std::to_string(settings_.levels_maxlen) << "*";
      for (auto& s : f.items) x << s;
      redis_.append(x.views());
      RedisArgs h;
      h << "HSET" << settings_.metadata_prefix + std::string(symbols_.name(t.symbol));
      for (auto& s : f.items) h << s;
      redis_.append(h.views());
      commands += 2;
    }
    redis_.append({"SET", mark_key(e), "done", "EX", ttl});
    redis_.append({"XACK", settings_.intent_stream, settings_.group, e.id});
    redis_.append({"EXEC"});
    replies[i] = 1 + commands + 1;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Outcome& o = out[i];
    RedisReply last;
    for (std::size_t k = 0; k < replies[i]; ++k) {
      last = redis_.read_reply();
      if (last.io_error()) return !failed(last, "MULTI");
    }
    const bool committed = last.ok() && last.value().is_array();
    if (!committed) {
      failed(last.ok() ? RedisReply(nullptr, "EXEC aborted") : std::move(last), "EXEC");
      continue;  // stays pending: re-read after a reconnect, its mark protects it
    }
    // EXEC runs every queued command even if one fails (a key of the wrong type, say).
    for (std::size_t k = 0; k < last.value().size(); ++k)
      if (last.value()[k].is_error())
        failed(RedisReply(nullptr, std::string(last.value()[k].text())), "EXEC item");
    stats_.last_intent_ms = now_ms;
    const StreamEntry& e = batch[i];
    // Trimmed from the stream (MAXLEN, XDEL) while pending: its fields are gone. Lost if no
    // earlier attempt handled it, else one more duplicate.
    if (e.deleted && marks[i].empty()) {
      count_lost_to_trimming(e.id);
      continue;
    }
    if (e.deleted || !o.publish) {
      ++stats_.duplicates;
      continue;
    }
    if (o.invalid()) {
      ++stats_.dead_lettered;
      log_event(R"("event":"intent_dead_lettered","intent_id":")" + e.id + R"(","field":)" +
                JsonLine::quote(o.error_field()) + R"(,"reason":)" +
                JsonLine::quote(o.error_reason()));
      continue;
    }
    if (o.status == "execute") ++stats_.executed;
    if (o.status == "observe") ++stats_.observed;
    if (o.status == "expired") ++stats_.expired;
    if (o.status == "refused") ++stats_.refused;
    if (o.status == "replayed") ++stats_.replayed;
    if (o.status != "expired")  // a drained backlog would otherwise flood the log
      log_event(R"("event":"intent","intent_id":")" + e.id + R"(","symbol":")" +
                std::string(symbols_.name(o.parsed.intent.symbol)) + R"(","status":")" + o.status +
                R"(","target_leverage":)" + std::to_string(o.verdict.levels.target_leverage) +
                R"(,"qty":)" + to_string(o.verdict.qty) + R"(,"reason":)" +
                JsonLine::quote(o.verdict.reason));
    if (o.status == "refused")
      alert(now_ms, "ENTRY_REFUSED",
            std::string(symbols_.name(o.parsed.intent.symbol)) + " " + e.id + ": " +
                o.verdict.reason);
  }
  return redis_.connected();
}

}  // namespace exitbrain
