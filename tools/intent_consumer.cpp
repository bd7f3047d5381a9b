#include "tools/intent_consumer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "core/decimal.hpp"
#include "tools/json_line.hpp"
#include "tools/live_journal.hpp"
#include "tools/number_text.hpp"

namespace exitbrain {

namespace {

constexpr std::size_t kMaxPendingAlerts = 64;

// A command built from owned strings, passed as views.
struct Args {
  std::vector<std::string> items;
  Args& operator<<(std::string s) {
    items.push_back(std::move(s));
    return *this;
  }
  std::vector<std::string_view> views() const { return {items.begin(), items.end()}; }
};

RedisOptions redis_options(const RedisSettings& s, const std::string& password) {
  RedisOptions o;
  o.url = parse_redis_url(s.url).url;  // validated with the config
  if (!password.empty()) o.url.password = password;
  // A blocking read must end before the reply timeout does.
  o.command_timeout = std::chrono::milliseconds(std::max<std::int64_t>(5'000, s.block_ms + 2'000));
  return o;
}

std::string_view field_of(const std::vector<std::string>& names,
                          const std::vector<std::string>& values, std::string_view name) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return values[i];
  return {};
}

bool parse_double(std::string_view s, double& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
}

}  // namespace

bool parse_stream_id(std::string_view id, TimeMs& ms, std::uint64_t& seq) noexcept {
  const auto dash = id.find('-');
  if (dash == std::string_view::npos) return false;
  const auto [p1, e1] = std::from_chars(id.data(), id.data() + dash, ms);
  const auto [p2, e2] = std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
  return e1 == std::errc() && p1 == id.data() + dash && e2 == std::errc() &&
         p2 == id.data() + id.size();
}

std::string iso_utc(TimeMs ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // sized for any int the format could meet, as GCC checks
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

IntentConsumer::IntentConsumer(const RedisSettings& settings, const SymbolTable& symbols,
                               std::string password, IntentLinks links)
    : settings_(settings),
      symbols_(symbols),
      links_(links),
      redis_(redis_options(settings, password)),
      parser_(symbols),
      adapter_(cross_exchange::Config{settings.cross_exchange_stale_ms,
                                      static_cast<int>(settings.cross_exchange_max_failures)}) {}

void IntentConsumer::journal(std::string json_fields) {
  if (links_.journal) links_.journal->text(std::move(json_fields));
}

bool IntentConsumer::failed(const RedisReply& r, const char* what) {
  if (r.ok()) return false;
  ++stats_.redis_errors;
  journal(R"("event":"redis_error","command":")" + std::string(what) + R"(","error":)" +
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
  if (now_ms >= next_cross_ms_) {
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

// ---- reading -------------------------------------------------------------------------

namespace {

// [id, [f, v, f, v, ...]] -> Entry. A nil field list: trimmed from the stream.
bool to_entry(RedisValue e, std::vector<std::string>& names, std::vector<std::string>& values,
              std::string& id, bool& deleted) {
  if (!e.is_array() || e.size() < 2 || !e[0].is_string()) return false;
  id = std::string(e[0].text());
  const RedisValue fields = e[1];
  if (fields.is_null()) {
    deleted = true;
    return true;
  }
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    names.emplace_back(fields[i].text());
    values.emplace_back(fields[i + 1].text());
  }
  return true;
}

}  // namespace

std::vector<IntentConsumer::Entry> IntentConsumer::entries_of(RedisValue entries) {
  std::vector<Entry> batch;
  batch.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    Entry e;
    if (!to_entry(entries[i], e.names, e.values, e.id, e.deleted)) continue;
    parse_stream_id(e.id, e.id_ms, e.id_seq);
    batch.push_back(std::move(e));
  }
  return batch;
}

int IntentConsumer::read_batch(std::string_view start_id, bool block, TimeMs now_ms) {
  Args a;
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
  std::vector<Entry> batch = entries_of(entries);
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
  const RedisValue entries = r.value()[1];
  std::vector<Entry> batch = entries_of(entries);
  if (batch.empty()) return 0;
  stats_.reclaimed += batch.size();
  journal(R"("event":"intents_reclaimed","count":)" + std::to_string(batch.size()) +
          R"(,"from_id":")" + batch.front().id + "\"");
  if (!handle(batch, now_ms)) return -1;
  return static_cast<int>(batch.size());
}

// ---- handling ------------------------------------------------------------------------

bool IntentConsumer::handle(std::vector<Entry>& batch, TimeMs now_ms) {
  stats_.read += batch.size();
  const std::string ttl = std::to_string(settings_.applied_ttl_s);
  auto mark_key = [&](const Entry& e) { return settings_.applied_prefix + e.id; };

  // 1. What an earlier attempt already did with each entry.
  for (const Entry& e : batch) redis_.append({"GET", mark_key(e)});
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
  };
  std::vector<Outcome> out(batch.size());
  const cross_exchange::Adjustments live = adapter_.adjustments(now_ms);
  std::vector<std::size_t> to_claim;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Entry& e = batch[i];
    Outcome& o = out[i];
    if (e.deleted || marks[i] == "done") continue;
    std::vector<IntentField> fields;
    fields.reserve(e.names.size());
    for (std::size_t f = 0; f < e.names.size(); ++f) fields.push_back({e.names[f], e.values[f]});
    o.parsed = parser_.parse(fields);
    o.publish = true;
    if (!o.parsed.ok()) continue;
    o.verdict = evaluate_intent(o.parsed.intent, e.id_ms, now_ms, live,
                                symbols_.filters(o.parsed.intent.symbol), settings_.policy);
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
    const Entry& e = batch[i];
    const Outcome& o = out[i];
    redis_.append({"MULTI"});
    std::size_t commands = 2;  // SET done, XACK
    if (o.publish && !o.parsed.ok()) {
      Args a;
      a << "XADD" << settings_.dead_letter_stream << "MAXLEN"
        << "~" << std::to_string(settings_.dead_letter_maxlen) << "*"
        << "intent.id" << e.id << "error.field" << o.parsed.error.field << "error.reason"
        << o.parsed.error.reason << "consumer" << settings_.consumer << "time"
        << std::to_string(now_ms);
      for (std::size_t f = 0; f < e.names.size(); ++f) a << e.names[f] << e.values[f];
      redis_.append(a.views());
      commands += 1;
    } else if (o.publish && o.verdict.status == IntentStatus::kInvalid) {
      Args a;
      a << "XADD" << settings_.dead_letter_stream << "MAXLEN"
        << "~" << std::to_string(settings_.dead_letter_maxlen) << "*"
        << "intent.id" << e.id << "error.field" << o.verdict.error_field << "error.reason"
        << o.verdict.reason << "consumer" << settings_.consumer << "time" << std::to_string(now_ms);
      for (std::size_t f = 0; f < e.names.size(); ++f) a << e.names[f] << e.values[f];
      redis_.append(a.views());
      commands += 1;
    } else if (o.publish) {
      const TradeIntent& t = o.parsed.intent;
      const IntentVerdict& v = o.verdict;
      const AdaptiveLevels& l = v.levels;
      Args f;  // the fields of the levels entry and of the metadata hash
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
        << eight_decimals_text(l.liquidation_price) << "clamped" << clamp_names(l.clamps) << "qty"
        << to_string(v.qty) << "notional" << shortest_text(v.notional) << "age_ms"
        << std::to_string(v.age_ms) << "intent_timestamp" << std::to_string(t.timestamp_ms)
        << "timestamp" << std::to_string(now_ms);
      Args x;
      x << "XADD" << settings_.levels_stream << "MAXLEN"
        << "~" << std::to_string(settings_.levels_maxlen) << "*";
      for (auto& s : f.items) x << s;
      redis_.append(x.views());
      Args h;
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
    const Entry& e = batch[i];
    if (e.deleted || !o.publish) {
      ++stats_.duplicates;
      continue;
    }
    if (!o.parsed.ok() || o.verdict.status == IntentStatus::kInvalid) {
      ++stats_.dead_lettered;
      const std::string field = o.parsed.ok() ? o.verdict.error_field : o.parsed.error.field;
      const std::string why = o.parsed.ok() ? o.verdict.reason : o.parsed.error.reason;
      journal(R"("event":"intent_dead_lettered","intent_id":")" + e.id + R"(","field":)" +
              JsonLine::quote(field) + R"(,"reason":)" + JsonLine::quote(why));
      continue;
    }
    if (o.status == "execute") ++stats_.executed;
    if (o.status == "observe") ++stats_.observed;
    if (o.status == "expired") ++stats_.expired;
    if (o.status == "refused") ++stats_.refused;
    if (o.status == "replayed") ++stats_.replayed;
    if (o.status != "expired")  // a drained backlog would otherwise flood the log
      journal(R"("event":"intent","intent_id":")" + e.id + R"(","symbol":")" +
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

// ---- cross-exchange ------------------------------------------------------------------

void IntentConsumer::poll_cross_exchange(TimeMs now_ms) {
  const RedisReply r =
      redis_.command({"XREVRANGE", settings_.normalized_stream, "+", "-", "COUNT", "1"});
  if (!r.ok()) {
    failed(r, "XREVRANGE normalized");
    adapter_.on_read_failure(now_ms);
  } else if (r.value().size() == 0) {
    adapter_.poll(now_ms);  // nothing published yet: local mode, reason NO_DATA
  } else {
    std::vector<std::string> names, values;
    std::string id;
    bool deleted = false;
    cross_exchange::NormalizedInput in;
    bool ok = to_entry(r.value()[0], names, values, id, deleted) && !deleted;
    TimeMs id_ms = 0;
    std::uint64_t seq = 0;
    ok = ok && parse_stream_id(id, id_ms, seq);
    double n = 0;
    ok = ok && parse_double(field_of(names, values, "exchange_divergence"), in.exchange_divergence);
    ok = ok && parse_double(field_of(names, values, "funding_delta"), in.funding_delta);
    ok = ok && parse_double(field_of(names, values, "volatility_factor"), in.volatility_factor);
    ok = ok && parse_double(field_of(names, values, "num_exchanges"), n);
    in.num_exchanges = static_cast<int>(n);
    // The aggregator's own stamp when it gives one (ISO or epoch), else when Redis took it.
    const std::string_view ts = field_of(names, values, "timestamp");
    in.timestamp_ms = id_ms;
    if (!ts.empty()) {
      if (auto t = parse_intent_timestamp(ts))
        in.timestamp_ms = *t;
      else
        ok = false;
    }
    if (ok)
      adapter_.on_data(in, now_ms);
    else
      adapter_.on_read_failure(now_ms);
    last_normalized_id_ = id;
  }
  const cross_exchange::Adjustments adj = adapter_.adjustments(now_ms);
  const bool changed = !have_sent_adjustments_ || adj.local_mode != sent_adjustments_.local_mode ||
                       adj.atr_multiplier != sent_adjustments_.atr_multiplier ||
                       adj.tp_multiplier != sent_adjustments_.tp_multiplier ||
                       adj.sl_multiplier != sent_adjustments_.sl_multiplier ||
                       adj.use_trailing != sent_adjustments_.use_trailing;
  if (changed && links_.adjustments && links_.adjustments->try_push(adj)) {
    have_sent_adjustments_ = true;
    sent_adjustments_ = adj;
    std::array<char, 128> text{};
    cross_exchange::format_reasoning(adj, text.data(), text.size());
    journal(R"("event":"cross_exchange","local_mode":)" +
            std::string(adj.local_mode ? "true" : "false") + R"(,"reasoning":)" +
            JsonLine::quote(text.data()));
  }
  while (auto a = adapter_.pop_alert()) {
    Args x;
    x << "XADD" << settings_.alerts_stream << "MAXLEN"
      << "~" << std::to_string(settings_.alerts_maxlen) << "*"
      << "timestamp" << iso_utc(a->time_ms) << "type" << std::string(to_string(a->type)) << "reason"
      << std::string(a->reason_text()) << "fail_count" << std::to_string(a->fail_count)
      << "data_age_seconds"
      << (a->data_age_ms < 0 ? std::string()
                             : shortest_text(static_cast<double>(a->data_age_ms) / 1000))
      << "source"
      << "cross_exchange";
    journal(R"("event":"alert","alert":")" + std::string(to_string(a->type)) + R"(","reason":)" +
            JsonLine::quote(std::string(a->reason_text())));
    const RedisReply ar = redis_.command(x.views());
    if (!failed(ar, "XADD alerts")) ++stats_.alerts_published;
  }
}

void IntentConsumer::alert(TimeMs now_ms, std::string_view type, std::string_view reason) {
  journal(R"("event":"alert","alert":")" + std::string(type) + R"(","reason":)" +
          JsonLine::quote(std::string(reason)));
  std::string entry = iso_utc(now_ms) + '\n' + std::string(type) + '\n' + std::string(reason);
  if (pending_alerts_.size() < kMaxPendingAlerts) pending_alerts_.push_back(std::move(entry));
}

void IntentConsumer::publish_alerts(TimeMs /*now_ms*/) {
  while (!pending_alerts_.empty() && redis_.connected()) {
    const std::string& a = pending_alerts_.front();
    const auto p1 = a.find('\n');
    const auto p2 = a.find('\n', p1 + 1);
    const RedisReply r = redis_.command(
        {"XADD", settings_.alerts_stream, "MAXLEN", "~", std::to_string(settings_.alerts_maxlen),
         "*", "timestamp", std::string_view(a).substr(0, p1), "type",
         std::string_view(a).substr(p1 + 1, p2 - p1 - 1), "reason",
         std::string_view(a).substr(p2 + 1), "source", "exitbrain"});
    if (r.io_error()) {
      failed(r, "XADD alerts");
      return;
    }
    if (!failed(r, "XADD alerts")) ++stats_.alerts_published;
    pending_alerts_.erase(pending_alerts_.begin());
  }
}

void IntentConsumer::publish_status(TimeMs now_ms) {
  const cross_exchange::Adjustments a = adapter_.adjustments(now_ms);
  const cross_exchange::Status& st = adapter_.status();
  std::array<char, 128> text{};
  cross_exchange::format_reasoning(a, text.data(), text.size());
  Args x;
  x << "XADD" << settings_.status_stream << "MAXLEN"
    << "~" << std::to_string(settings_.status_maxlen) << "*"
    << "timestamp" << iso_utc(now_ms) << "cross_exchange_active"
    << (a.local_mode ? "false" : "true") << "data_age_seconds"
    << (a.data_age_ms < 0 ? std::string()
                          : shortest_text(static_cast<double>(a.data_age_ms) / 1000))
    << "volatility_factor" << shortest_text(a.volatility_factor) << "exchange_divergence"
    << shortest_text(a.exchange_divergence) << "funding_delta" << shortest_text(a.funding_delta)
    << "atr_multiplier" << shortest_text(a.atr_multiplier) << "tp_multiplier"
    << shortest_text(a.tp_multiplier) << "sl_multiplier" << shortest_text(a.sl_multiplier)
    << "use_trailing" << (a.use_trailing ? "true" : "false") << "reasoning"
    << std::string(text.data()) << "total_reads" << std::to_string(st.total_reads) << "fail_count"
    << std::to_string(st.fail_count) << "consumer" << settings_.consumer << "intents_read"
    << std::to_string(stats_.read) << "intents_executed" << std::to_string(stats_.executed)
    << "intents_dead_lettered" << std::to_string(stats_.dead_lettered) << "closed_buffered"
    << std::to_string(closed_buffer_.size()) << "closed_dropped"
    << std::to_string(stats_.closed_dropped);
  if (!failed(redis_.command(x.views()), "XADD status")) ++stats_.status_published;
  // The heartbeat `exitbrain intents --status` reads; it expires if this thread dies.
  const std::string key = settings_.heartbeat_prefix + settings_.group + ":" + settings_.consumer;
  redis_.append({"HSET", key, "heartbeat_ms", std::to_string(now_ms), "last_intent_ms",
                 std::to_string(stats_.last_intent_ms), "status_interval_ms",
                 std::to_string(settings_.status_interval_ms), "intents_read",
                 std::to_string(stats_.read)});
  redis_.append({"PEXPIRE", key, std::to_string(settings_.status_interval_ms * 3)});
  failed(redis_.read_reply(), "HSET heartbeat");
  failed(redis_.read_reply(), "PEXPIRE heartbeat");
}

// ---- trade.closed --------------------------------------------------------------------

void IntentConsumer::take_closed(TimeMs now_ms) {
  if (!links_.closed) return;
  ClosedTrade t;
  while (links_.closed->try_pop(t)) {
    if (closed_buffer_.size() >= static_cast<std::size_t>(settings_.closed_buffer)) {
      // The newest are kept: the oldest have the journal as their record.
      closed_buffer_.pop_front();
      ++stats_.closed_dropped;
      if (!overflow_alerted_) {
        overflow_alerted_ = true;
        alert(now_ms, "TRADE_CLOSED_OVERFLOW",
              "trade.closed buffer full (" + std::to_string(settings_.closed_buffer) +
                  "): oldest events dropped while Redis is unavailable");
      }
    }
    closed_buffer_.push_back(t);
  }
}

void IntentConsumer::publish_closed() {
  const std::size_t n = std::min<std::size_t>(closed_buffer_.size(), 256);
  if (n == 0 || !redis_.connected()) return;
  for (std::size_t i = 0; i < n; ++i) {
    const ClosedTrade& t = closed_buffer_[i];
    redis_.append({"XADD",
                   settings_.closed_stream,
                   "MAXLEN",
                   "~",
                   std::to_string(settings_.closed_maxlen),
                   "*",
                   "symbol",
                   symbols_.name(t.symbol),
                   "side",
                   to_string(t.side),
                   "qty",
                   to_string(t.qty),
                   "price",
                   to_string(t.price),
                   "reason",
                   t.hard_stop ? "hard_stop" : to_string(t.reason),
                   "pnl",
                   shortest_text(t.realized_pnl),
                   "client_order_id",
                   t.client_id.data(),
                   "timestamp",
                   std::to_string(t.time)});
  }
  std::size_t published = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const RedisReply r = redis_.read_reply();
    if (r.io_error()) {
      failed(r, "XADD trade.closed");
      break;
    }
    if (!failed(r, "XADD trade.closed")) ++published;
  }
  // Entries whose XADD was refused (not an I/O error) would fail again: they are dropped
  // with the error logged; unanswered ones stay for the next connection.
  closed_buffer_.erase(
      closed_buffer_.begin(),
      closed_buffer_.begin() + static_cast<std::ptrdiff_t>(redis_.connected() ? n : published));
  stats_.closed_published += published;
  if (closed_buffer_.empty()) overflow_alerted_ = false;
}

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
      double hbv = 0, li = 0;
      parse_double(hb.value()[0].text(), hbv);
      parse_double(hb.value()[1].text(), li);
      hc.heartbeat_ms = static_cast<TimeMs>(hbv);
      hc.last_intent_ms = static_cast<TimeMs>(li);
      hc.alive = true;  // the hash expires 3 status intervals after the last heartbeat
    }
    s.heartbeats.push_back(std::move(hc));
  }
  return s;
}

}  // namespace exitbrain
