// The Redis side against a real redis-server started by the test on a free loopback port:
// the trade-intent consumer group (flat and JSON intents, validation and dead letters,
// stale intents, at-most-once across crashes and reclaims, Redis restarts), the
// cross-exchange reader with its status and alerts, and trade.closed publishing.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "net/redis_client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_files.hpp"
#include "tools/intents/intent_consumer.hpp"
#include "tools/live/startup.hpp"
#include "tools/sim/market_feed.hpp"
#include "tools/sim/sim_exchange.hpp"
#include "tools/sim/sim_server.hpp"

namespace exitbrain {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;
using Row = std::map<std::string, std::string>;

TimeMs wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Seed 004's NEARUSDT event, stamped `ts` (epoch ms as the producer's ISO text would be).
Fields near_intent(const std::string& ts) {
  return {{"symbol", "NEARUSDT"},         {"side", "BUY"},
          {"confidence", "0.72"},         {"entry_price", "1.465"},
          {"stop_loss", "1.4357"},        {"take_profit", "1.4943"},
          {"position_size_usd", "200.0"}, {"leverage", "1"},
          {"atr_value", "0.02"},          {"volatility_factor", "0.5513439007580968"},
          {"exchange_divergence", "0.0"}, {"funding_rate", "0.0"},
          {"regime", "unknown"},          {"timestamp", ts},
          {"model", "ensemble"},          {"reason", "AI signal"}};
}

std::string json_of(const Fields& f) {
  std::string j = "{";
  for (const auto& [k, v] : f) {
    if (j.size() > 1) j += ',';
    j += "\"" + k + "\":\"" + v + "\"";
  }
  return j + "}";
}

Fields with(Fields f, const std::string& key, const std::string& value) {
  for (auto& [k, v] : f)
    if (k == key) {
      v = value;
      return f;
    }
  f.emplace_back(key, value);
  return f;
}

Fields without(Fields f, const std::string& key) {
  std::erase_if(f, [&](const auto& kv) { return kv.first == key; });
  return f;
}

class IntentConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override { start_server(false); }

  void start_server(bool persistent) {
    dir_ = testing::make_test_dir(std::string("intent_consumer/") +
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    const std::string err = server_.start(dir_, persistent);
    ASSERT_EQ(err, "") << err;
    connect_client();
    symbols_.intern("NEARUSDT");
    symbols_.intern("RENDERUSDT");
    symbols_.filters(*symbols_.find("NEARUSDT")).step_size = Decimal::from_int(1);
    symbols_.filters(*symbols_.find("NEARUSDT")).min_qty = Decimal::from_int(1);
    settings_.url = server_.url();
    settings_.block_ms = 10;
    settings_.claim_idle_ms = 50;
    settings_.status_interval_ms = 200;
    settings_.cross_exchange_poll_ms = 50;
    settings_.policy.max_age_ms = 60'000;
  }

  void connect_client() {
    RedisOptions o;
    o.url.port = server_.port();
    client_ = std::make_unique<RedisConnection>(o);
    ASSERT_EQ(client_->connect(), "");
  }

  std::string xadd(const std::string& stream, const Fields& f) {
    std::vector<std::string_view> args = {"XADD", stream, "*"};
    for (const auto& [k, v] : f) {
      args.push_back(k);
      args.push_back(v);
    }
    const RedisReply r = client_->command(args);
    EXPECT_TRUE(r.ok()) << r.error();
    return std::string(r.value().text());
  }
  std::string add_intent(const Fields& f) { return xadd(settings_.intent_stream, f); }
  // One reading of the cross-exchange aggregator, stamped `ts`.
  void add_normalized(const char* divergence, const char* funding, const char* volatility,
                      const char* exchanges, TimeMs ts) {
    xadd(settings_.normalized_stream, {{"exchange_divergence", divergence},
                                       {"funding_delta", funding},
                                       {"volatility_factor", volatility},
                                       {"num_exchanges", exchanges},
                                       {"timestamp", std::to_string(ts)}});
  }

  std::vector<Row> xrange(const std::string& stream) {
    const RedisReply r = client_->command({"XRANGE", stream, "-", "+"});
    EXPECT_TRUE(r.ok()) << r.error();
    std::vector<Row> rows;
    for (std::size_t i = 0; i < r.value().size(); ++i) {
      Row row;
      row["_id"] = std::string(r.value()[i][0].text());
      const RedisValue f = r.value()[i][1];
      for (std::size_t k = 0; k + 1 < f.size(); k += 2)
        row[std::string(f[k].text())] = std::string(f[k + 1].text());
      rows.push_back(row);
    }
    return rows;
  }

  Row hgetall(const std::string& key) {
    const RedisReply r = client_->command({"HGETALL", key});
    Row row;
    for (std::size_t k = 0; k + 1 < r.value().size(); k += 2)
      row[std::string(r.value()[k].text())] = std::string(r.value()[k + 1].text());
    return row;
  }

  long long integer(std::initializer_list<std::string_view> cmd) {
    return client_->command(cmd).value().integer();
  }

  // Steps until two rounds in a row read nothing after the own pending entries.
  static void drain(IntentConsumer& c, TimeMs now) {
    int empty = 0;
    for (int i = 0; i < 1000 && empty < 2; ++i) {
      const int n = c.step(now, false);
      ASSERT_GE(n, 0) << "connection lost";
      empty = n == 0 && c.caught_up() ? empty + 1 : 0;
    }
    ASSERT_EQ(empty, 2) << "did not drain";
  }

  IntentGroupStatus status() { return read_group_status(*client_, settings_); }

  // A previous run of this consumer that read two fresh intents (now pending) and crashed;
  // `marks` are the applied marks it left for each (empty: none). Returns their ids.
  std::array<std::string, 2> crashed_after_reading(TimeMs now,
                                                   const std::array<const char*, 2>& marks) {
    settings_.policy.entries = EntryMode::kExecute;
    settings_.policy.max_order_notional_usd = 1e6;
    std::array<std::string, 2> ids;
    for (std::string& id : ids) id = add_intent(near_intent(std::to_string(now)));
    EXPECT_TRUE(client_
                    ->command({"XGROUP", "CREATE", settings_.intent_stream, settings_.group, "0",
                               "MKSTREAM"})
                    .ok());
    client_->command({"XREADGROUP", "GROUP", settings_.group, settings_.consumer, "COUNT", "10",
                      "STREAMS", settings_.intent_stream, ">"});
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (*marks[i]) client_->command({"SET", settings_.applied_prefix + ids[i], marks[i]});
    return ids;
  }

  // A consumer wired to an engine queue as `exitbrain run` wires it, drained at `now`.
  IntentStats drain_executing(TimeMs now) {
    IntentLinks links;
    links.entries = &entries_;
    IntentConsumer c(settings_, symbols_, "", links);
    EXPECT_EQ(c.connect(), "");
    drain(c, now);
    return c.stats();
  }
  // What the consumers handed to the engine so far.
  std::vector<EntryOrder> handed() {
    std::vector<EntryOrder> out;
    EntryOrder eo;
    while (entries_.try_pop(eo)) out.push_back(eo);
    return out;
  }

  std::string dir_;
  testing::RedisServer server_;
  std::unique_ptr<RedisConnection> client_;
  SymbolTable symbols_;
  RedisSettings settings_;
  SpscQueue<EntryOrder> entries_{1024};
};

// ---- the seeds' example, flat and JSON -------------------------------------------------

TEST_F(IntentConsumerTest, SeedNearIntentEndsInLevelsStreamAndMetadataWithLeverage26) {
  const TimeMs now = wall_ms();
  const std::string flat_id = add_intent(near_intent(std::to_string(now)));
  const std::string json_id = add_intent({{"data", json_of(near_intent(std::to_string(now)))}});
  IntentConsumer c(settings_, symbols_, "");
  ASSERT_EQ(c.connect(), "");
  drain(c, now);

  const std::vector<Row> levels = xrange(settings_.levels_stream);
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_EQ(levels[0].at("intent_id"), flat_id);
  EXPECT_EQ(levels[1].at("intent_id"), json_id);
  for (const Row& l : levels) {
    EXPECT_EQ(l.at("symbol"), "NEARUSDT");
    EXPECT_EQ(l.at("side"), "BUY");
    EXPECT_EQ(l.at("status"), "observe");
    EXPECT_EQ(l.at("target_leverage"), "26");
    // 1.465 x (1 + 0.05 x 26 / 20)
    EXPECT_EQ(l.at("dynamic_tp"), "1.560225");
    // The intent's stop is the one the liquidation guard checks (and the engine would use).
    EXPECT_EQ(l.at("guarded_stop"), "1.4357");
    EXPECT_EQ(l.at("cross_exchange"), "intent");  // no normalized data: local mode
    EXPECT_EQ(l.at("input_leverage"), "1");
  }
  // Flat and JSON are one intent: every computed field agrees.
  for (const char* k : {"target_leverage", "dynamic_tp", "dynamic_sl", "liquidation_price", "qty",
                        "notional", "confidence", "volatility_factor", "intent_timestamp"})
    EXPECT_EQ(levels[0].at(k), levels[1].at(k)) << k;

  const Row meta = hgetall(settings_.metadata_prefix + "NEARUSDT");
  EXPECT_EQ(meta.at("target_leverage"), "26");
  EXPECT_EQ(meta.at("intent_id"), json_id);  // the latest
  EXPECT_EQ(meta.at("volatility_factor"), "0.5513439007580968");
  EXPECT_EQ(meta.at("confidence"), "0.72");
  EXPECT_FALSE(meta.at("timestamp").empty());

  const IntentGroupStatus g = status();
  EXPECT_TRUE(g.group_exists);
  EXPECT_EQ(g.lag, 0);
  EXPECT_EQ(g.pending, 0);
  EXPECT_EQ(c.stats().observed, 2u);
  EXPECT_EQ(c.stats().executed, 0u);
}

// ---- validation -------------------------------------------------------------------------

TEST_F(IntentConsumerTest, EveryBadIntentIsAckedAndDeadLetteredWithItsFieldNeverExecuted) {
  const TimeMs now = wall_ms();
  const Fields good = near_intent(std::to_string(now));
  const std::vector<std::pair<Fields, std::string>> bad = {
      {without(good, "symbol"), "symbol"},
      {with(good, "symbol", "XYZUSDT"), "symbol"},
      {with(good, "side", "HOLD"), "side"},
      {without(good, "confidence"), "confidence"},
      {with(good, "confidence", "1.5"), "confidence"},
      {with(good, "confidence", "nan"), "confidence"},
      {with(good, "entry_price", "-1.465"), "entry_price"},
      {with(good, "entry_price", "abc"), "entry_price"},
      {with(good, "position_size_usd", "0"), "position_size_usd"},
      {with(good, "position_size_usd", "-200"), "position_size_usd"},
      {with(good, "volatility_factor", "1.2"), "volatility_factor"},
      {with(good, "stop_loss", "1.5"), "stop_loss"},  // above entry for a BUY
      {without(good, "timestamp"), "timestamp"},
      {{{"data", "{\"symbol\":\"NEARUSDT\",\"side\":"}}, "json"},
  };
  std::vector<std::string> ids;
  for (const auto& [f, field] : bad) ids.push_back(add_intent(f));

  settings_.policy.entries = EntryMode::kExecute;
  const IntentStats stats = drain_executing(now);

  const std::vector<Row> dead = xrange(settings_.dead_letter_stream);
  ASSERT_EQ(dead.size(), bad.size());
  for (std::size_t i = 0; i < bad.size(); ++i) {
    EXPECT_EQ(dead[i].at("intent.id"), ids[i]);
    EXPECT_EQ(dead[i].at("error.field"), bad[i].second) << "case " << i;
    EXPECT_FALSE(dead[i].at("error.reason").empty());
  }
  // The original fields travel with the dead letter, so nothing is lost.
  EXPECT_EQ(dead[1].at("symbol"), "XYZUSDT");
  EXPECT_EQ(stats.dead_lettered, bad.size());
  EXPECT_TRUE(xrange(settings_.levels_stream).empty());
  EXPECT_TRUE(handed().empty());
  EXPECT_EQ(status().pending, 0);
}

// ---- stale intents ------------------------------------------------------------------------

TEST_F(IntentConsumerTest, StaleBacklogIsPublishedAsExpiredAndNothingIsExecuted) {
  const TimeMs now = wall_ms();
  settings_.policy.entries = EntryMode::kExecute;
  settings_.policy.max_order_notional_usd = 1e6;
  for (int i = 0; i < 300; ++i)  // from the seeds' day: 2025-12-24
    add_intent(near_intent("2025-12-24T04:32:14.062679"));
  const std::string fresh = add_intent(near_intent(std::to_string(now)));
  const IntentStats stats = drain_executing(now);

  EXPECT_EQ(stats.expired, 300u);
  EXPECT_EQ(stats.executed, 1u);
  const std::vector<EntryOrder> orders = handed();
  EXPECT_EQ(orders.size(), 1u);
  for (const EntryOrder& eo : orders) {
    EXPECT_EQ(eo.leverage, 26);
    EXPECT_EQ(eo.side, Side::kLong);
    // margin 200 x 26 = 5200 USDT of notional at 1.465, on NEAR's whole-unit step
    EXPECT_EQ(to_string(eo.qty), "3549");
    EXPECT_EQ(to_string(eo.sl), "1.4357");
    EXPECT_EQ(to_string(eo.tp), "1.560225");
  }
  const std::vector<Row> levels = xrange(settings_.levels_stream);
  ASSERT_EQ(levels.size(), 301u);
  EXPECT_EQ(levels[0].at("status"), "expired");
  EXPECT_EQ(levels[300].at("status"), "execute");
  EXPECT_EQ(levels[300].at("intent_id"), fresh);
  const IntentGroupStatus g = status();
  EXPECT_EQ(g.lag, 0);
  EXPECT_EQ(g.pending, 0);
}

TEST_F(IntentConsumerTest, LimitsRefuseAnOversizedEntryWithAnAlert) {
  const TimeMs now = wall_ms();
  settings_.policy.entries = EntryMode::kExecute;
  settings_.policy.max_order_notional_usd = 1'000;  // 200 margin x 26 = 5200: too large
  add_intent(near_intent(std::to_string(now)));
  EXPECT_EQ(drain_executing(now).refused, 1u);
  EXPECT_TRUE(handed().empty());
  const std::vector<Row> levels = xrange(settings_.levels_stream);
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_EQ(levels[0].at("status"), "refused");
  EXPECT_EQ(levels[0].at("reason"), "notional above max_order_notional_usd");
  const std::vector<Row> alerts = xrange(settings_.alerts_stream);
  ASSERT_FALSE(alerts.empty());
  bool found = false;
  for (const Row& a : alerts) found = found || a.at("type") == "ENTRY_REFUSED";
  EXPECT_TRUE(found);
}

// ---- leverage brackets -------------------------------------------------------------------

// exitbrain-sim in process, over loopback sockets: the exchange `exitbrain run` fetches the
// leverage brackets from. NEARUSDT gets its altcoin brackets (0–5k 20x, 5k–25k 10x, ...).
class BracketExchange {
 public:
  BracketExchange() {
    sim::SimAccountConfig account;
    account.api_key = "bracket-key";
    account.api_secret = "bracket-secret";
    account.symbols.push_back({"NEARUSDT", Decimal::from_units(100'000), Decimal::from_int(1),
                               Decimal::from_int(1), Decimal::from_int(5)});
    exchange_ = std::make_unique<sim::SimExchange>(account);
    sim::SyntheticFeedOptions feed;
    feed.symbols = {{"NEARUSDT", 1.465}};
    feed.start_ms = wall_ms();
    sim::SimServerOptions o;
    o.shift_times = false;
    server_ = std::make_unique<sim::SimServer>(o, sim::make_synthetic_feed(feed),
                                               std::deque<sim::FeedMessage>{}, *exchange_);
    port_ = server_->listen();
    thread_ = std::thread([this] { server_->run(); });
  }
  ~BracketExchange() {
    server_->stop();
    thread_.join();
  }
  HttpTarget target() const { return HttpTarget{false, "127.0.0.1", std::to_string(port_)}; }
  static RestClientOptions options() {
    RestClientOptions o;
    o.api_key = "bracket-key";
    return o;
  }

 private:
  std::unique_ptr<sim::SimExchange> exchange_;
  std::unique_ptr<sim::SimServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(IntentConsumerTest, ExecutedIntentsUseTheLeverageBracketsFetchedAtStartUp) {
  const TimeMs now = wall_ms();
  BracketExchange ex;
  const HmacSha256Signer signer("bracket-secret");
  LiveConfig live;
  live.symbols = {"NEARUSDT"};
  StartupState st;
  {
    RestClient rest(ex.target(), nullptr, BracketExchange::options());
    ServerClock clock;
    st.brackets = fetch_leverage_brackets(rest, signer, clock, live);
  }
  ASSERT_EQ(st.brackets.find("NEARUSDT").size(), 5u);

  settings_.policy.entries = EntryMode::kExecute;
  settings_.policy.max_order_notional_usd = 1e6;
  IntentLinks links;
  links.entries = &entries_;
  IntentConsumer c(settings_, symbols_, "", links);
  attach_leverage_brackets(c, st, ex.target(), nullptr, BracketExchange::options(), signer, live);
  ASSERT_EQ(c.connect(), "");
  add_intent(near_intent(std::to_string(now)));
  drain(c, now);

  // 200 of margin: 26x would be 5 200, in the 10x bracket; 20x is 4 000, in the 20x one.
  const std::vector<EntryOrder> e = handed();
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].leverage, 20);
  EXPECT_DOUBLE_EQ(e[0].notional, 4'000);
  EXPECT_EQ(to_string(e[0].qty), "2730");
  const std::vector<Row> levels = xrange(settings_.levels_stream);
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_EQ(levels[0].at("status"), "execute");
  EXPECT_EQ(levels[0].at("target_leverage"), "20");
  EXPECT_EQ(levels[0].at("formula_leverage"), "26");
  EXPECT_EQ(levels[0].at("maint_margin_rate"), "0.025");
  EXPECT_NE(levels[0].at("clamped").find("bracket_leverage_cap"), std::string::npos);
  EXPECT_EQ(c.stats().bracket_refresh_errors, 0u);
}

TEST_F(IntentConsumerTest, BracketsMissingAtStartUpAreFetchedByTheRefreshWithAnAlertMeanwhile) {
  const TimeMs now = wall_ms();
  BracketExchange ex;
  const HmacSha256Signer signer("bracket-secret");
  LiveConfig live;
  live.symbols = {"NEARUSDT"};
  StartupState st;
  st.brackets_error = "start-up, leverageBracket: HTTP 503";  // as run_startup records it
  settings_.policy.max_age_ms = 600'000;  // the test's clock jumps ahead by minutes

  IntentConsumer c(settings_, symbols_, "");
  attach_leverage_brackets(c, st, ex.target(), nullptr, BracketExchange::options(), signer, live);
  EXPECT_TRUE(c.leverage_brackets().empty());
  ASSERT_EQ(c.connect(), "");
  // Meanwhile: the configured maint_margin_rate, the formula's 26x.
  add_intent(near_intent(std::to_string(now)));
  drain(c, now);
  std::vector<Row> levels = xrange(settings_.levels_stream);
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_EQ(levels[0].at("target_leverage"), "26");
  EXPECT_EQ(levels[0].at("maint_margin_rate"), "0.004");
  bool alerted = false;
  for (const Row& a : xrange(settings_.alerts_stream))
    alerted = alerted || a.at("type") == "LEVERAGE_BRACKETS_UNAVAILABLE";
  EXPECT_TRUE(alerted);

  // A minute later the refresh fetches them over the consumer's own connection.
  const TimeMs later = now + 61'000;
  ASSERT_GE(c.step(later, false), 0);
  EXPECT_EQ(c.stats().bracket_refreshes, 1u);
  EXPECT_EQ(c.leverage_brackets().find("NEARUSDT").size(), 5u);
  add_intent(near_intent(std::to_string(later)));
  drain(c, later);
  levels = xrange(settings_.levels_stream);
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_EQ(levels[1].at("target_leverage"), "20");
  EXPECT_EQ(levels[1].at("maint_margin_rate"), "0.025");
  // The next refresh is an hour on.
  ASSERT_GE(c.step(later + 60'000, false), 0);
  EXPECT_EQ(c.stats().bracket_refreshes, 1u);
  ASSERT_GE(c.step(later + kLeverageBracketRefreshMs, false), 0);
  EXPECT_EQ(c.stats().bracket_refreshes, 2u);
}

TEST_F(IntentConsumerTest, AFailedBracketRefreshKeepsTheTableInUseAndRetriesInAMinute) {
  const TimeMs now = wall_ms();
  BracketExchange ex;
  const HmacSha256Signer signer("bracket-secret"), wrong("not-the-secret");
  LiveConfig live;
  live.symbols = {"NEARUSDT"};
  StartupState st;
  {
    RestClient rest(ex.target(), nullptr, BracketExchange::options());
    ServerClock clock;
    st.brackets = fetch_leverage_brackets(rest, signer, clock, live);
  }
  settings_.policy.max_age_ms = 600'000;
  IntentConsumer c(settings_, symbols_, "");
  // The refresh signs with a secret the exchange refuses (-1022).
  attach_leverage_brackets(c, st, ex.target(), nullptr, BracketExchange::options(), wrong, live);
  ASSERT_EQ(c.connect(), "");
  const TimeMs hour = now + kLeverageBracketRefreshMs + 1'000;
  ASSERT_GE(c.step(hour, false), 0);
  EXPECT_EQ(c.stats().bracket_refresh_errors, 1u);
  EXPECT_EQ(c.leverage_brackets().find("NEARUSDT").size(), 5u) << "the earlier table is kept";
  bool alerted = false;
  for (const Row& a : xrange(settings_.alerts_stream))
    alerted = alerted || (a.at("type") == "LEVERAGE_BRACKETS_STALE" &&
                          a.at("reason").find("-1022") != std::string::npos);
  EXPECT_TRUE(alerted);
  ASSERT_GE(c.step(hour + 30'000, false), 0);
  EXPECT_EQ(c.stats().bracket_refresh_errors, 1u);
  ASSERT_GE(c.step(hour + 60'000, false), 0);
  EXPECT_EQ(c.stats().bracket_refresh_errors, 2u);  // retried a minute later
  // Intents are still evaluated with the kept brackets.
  add_intent(near_intent(std::to_string(hour)));
  drain(c, hour + 60'000);
  const std::vector<Row> levels = xrange(settings_.levels_stream);
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_EQ(levels[0].at("target_leverage"), "20");
}

// ---- at most once ----------------------------------------------------------------------

TEST_F(IntentConsumerTest, DeadConsumersPendingEntriesAreReclaimedAndAppliedOnce) {
  const TimeMs now = wall_ms();
  settings_.policy.entries = EntryMode::kExecute;
  settings_.policy.max_order_notional_usd = 1e6;
  add_intent(near_intent(std::to_string(now)));
  add_intent(near_intent(std::to_string(now)));
  // A consumer that read them and died before acking.
  ASSERT_TRUE(
      client_
          ->command({"XGROUP", "CREATE", settings_.intent_stream, settings_.group, "0", "MKSTREAM"})
          .ok());
  const RedisReply taken =
      client_->command({"XREADGROUP", "GROUP", settings_.group, "dead-one", "COUNT", "10",
                        "STREAMS", settings_.intent_stream, ">"});
  ASSERT_EQ(taken.value()[0][1].size(), 2u);
  ASSERT_EQ(status().pending, 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // > claim_idle_ms

  const IntentStats first = drain_executing(now);
  EXPECT_EQ(first.reclaimed, 2u);
  EXPECT_EQ(first.executed, 2u);
  // The same consumer restarted, and a second one: nothing is applied again.
  EXPECT_EQ(drain_executing(now).read, 0u);
  settings_.consumer = "exitbrain-2";
  EXPECT_EQ(drain_executing(now).read, 0u);
  EXPECT_EQ(handed().size(), 2u);
  EXPECT_EQ(xrange(settings_.levels_stream).size(), 2u);
  EXPECT_EQ(status().pending, 0);
}

TEST_F(IntentConsumerTest, AnIntentClaimedBeforeACrashIsNeverExecutedAgain) {
  const TimeMs now = wall_ms();
  // The previous run handed the first to its engine and crashed before its transaction;
  // it finished the second but crashed before XACK reached Redis.
  const std::string handed_id = crashed_after_reading(now, {"claimed", "done"})[0];

  const IntentStats stats = drain_executing(now);
  EXPECT_TRUE(handed().empty()) << "an intent was executed a second time";
  EXPECT_EQ(stats.replayed, 1u);
  EXPECT_EQ(stats.duplicates, 1u);
  const std::vector<Row> levels = xrange(settings_.levels_stream);
  ASSERT_EQ(levels.size(), 1u);  // the finished one is not published twice
  EXPECT_EQ(levels[0].at("intent_id"), handed_id);
  EXPECT_EQ(levels[0].at("status"), "replayed");
  EXPECT_EQ(status().pending, 0);
}

// Entries trimmed from the stream while pending (Redis 7's XAUTOCLAIM drops them from the
// group and lists them apart): one that no attempt had marked is counted as trimmed and
// journalled, one already handled as a duplicate; none is left pending and nothing is
// executed or published. The unmarked one gets no mark: another consumer could be handling
// it from the fields it read, and a mark would stop it.
TEST_F(IntentConsumerTest, IntentsTrimmedWhilePendingAreCountedAndNeverMarked) {
  const TimeMs now = wall_ms();
  const auto [lost_id, done_id] = crashed_after_reading(now, {"", "done"});
  ASSERT_TRUE(client_->command({"XDEL", settings_.intent_stream, lost_id, done_id}).ok());
  ASSERT_EQ(status().pending, 2);

  const IntentStats stats = drain_executing(now);
  EXPECT_EQ(stats.trimmed, 1u);
  EXPECT_EQ(stats.duplicates, 1u);
  EXPECT_TRUE(handed().empty());
  EXPECT_TRUE(xrange(settings_.levels_stream).empty());
  EXPECT_EQ(status().pending, 0);
  EXPECT_EQ(client_->command({"EXISTS", settings_.applied_prefix + lost_id}).value().integer(), 0);
}

TEST_F(IntentConsumerTest, RedisRestartMidStreamLosesAndRepeatsNothing) {
  server_.stop();
  start_server(true);  // with an fsynced append-only file, as production Redis runs
  const TimeMs now = wall_ms();
  for (int i = 0; i < 5; ++i) add_intent(near_intent(std::to_string(now)));
  IntentConsumer c(settings_, symbols_, "");
  ASSERT_EQ(c.connect(), "");
  drain(c, now);
  EXPECT_EQ(c.stats().observed, 5u);

  server_.kill();
  EXPECT_LT(c.step(now, true), 0) << "a dead Redis must be reported";
  EXPECT_FALSE(c.connected());
  ASSERT_EQ(server_.restart(), "");
  connect_client();
  for (int i = 0; i < 5; ++i) add_intent(near_intent(std::to_string(now)));
  ASSERT_EQ(c.connect(), "");
  drain(c, now);
  EXPECT_EQ(c.stats().observed, 10u);
  EXPECT_EQ(c.stats().duplicates, 0u);
  EXPECT_EQ(xrange(settings_.levels_stream).size(), 10u);
  const IntentGroupStatus g = status();
  EXPECT_EQ(g.lag, 0);
  EXPECT_EQ(g.pending, 0);
}

// ---- cross-exchange ----------------------------------------------------------------------

TEST_F(IntentConsumerTest, CrossExchangeDataFeedsLevelsAndFallsBackWithAlerts) {
  const TimeMs now = wall_ms();
  SpscQueue<cross_exchange::Adjustments> adjustments(64);
  IntentLinks links;
  links.adjustments = &adjustments;
  IntentConsumer c(settings_, symbols_, "", links);
  ASSERT_EQ(c.connect(), "");

  add_normalized("0.042", "0.0012", "1.8", "3", now);
  ASSERT_GE(c.step(now, false), 0);
  cross_exchange::Adjustments adj;
  ASSERT_TRUE(adjustments.try_pop(adj));
  EXPECT_FALSE(adj.local_mode);
  EXPECT_DOUBLE_EQ(adj.atr_multiplier, 1 + 1.8 * 0.6);

  // An intent now uses the live funding and divergence.
  add_intent(near_intent(std::to_string(now)));
  drain(c, now + 100);
  const std::vector<Row> levels = xrange(settings_.levels_stream);
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_EQ(levels[0].at("cross_exchange"), "live");
  EXPECT_EQ(levels[0].at("funding_rate"), "0.0012");
  EXPECT_EQ(levels[0].at("exchange_divergence"), "0.042");

  // 61 s later the same data is stale: local mode, one FALLBACK_TO_LOCAL alert.
  ASSERT_GE(c.step(now + 61'000, false), 0);
  ASSERT_TRUE(adjustments.try_pop(adj));
  EXPECT_TRUE(adj.local_mode);
  EXPECT_DOUBLE_EQ(adj.atr_multiplier, 1.0);
  // Fresh data: RECOVERED.
  add_normalized("0.01", "0", "0.5", "2", now + 62'000);
  ASSERT_GE(c.step(now + 62'000, false), 0);
  ASSERT_TRUE(adjustments.try_pop(adj));
  EXPECT_FALSE(adj.local_mode);

  const std::vector<Row> alerts = xrange(settings_.alerts_stream);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].at("type"), "FALLBACK_TO_LOCAL");
  EXPECT_EQ(alerts[0].at("reason").rfind("Data stale", 0), 0u) << alerts[0].at("reason");
  EXPECT_EQ(alerts[1].at("type"), "RECOVERED");
  const std::vector<Row> st = xrange(settings_.status_stream);
  ASSERT_FALSE(st.empty());
  for (const char* k :
       {"timestamp", "cross_exchange_active", "data_age_seconds", "volatility_factor",
        "exchange_divergence", "funding_delta", "atr_multiplier", "tp_multiplier", "sl_multiplier",
        "use_trailing", "reasoning", "total_reads", "fail_count"})
    EXPECT_TRUE(st.back().count(k)) << k;
}

TEST_F(IntentConsumerTest, ThreeUnreadableNormalizedEntriesFallBackToLocalMode) {
  const TimeMs now = wall_ms();
  IntentConsumer c(settings_, symbols_, "");
  ASSERT_EQ(c.connect(), "");
  add_normalized("0.042", "0.0012", "1.8", "3", now);
  ASSERT_GE(c.step(now, false), 0);
  EXPECT_FALSE(c.adapter().status().local_mode);
  xadd(settings_.normalized_stream, {{"exchange_divergence", "oops"}});
  for (int i = 1; i <= 3; ++i) ASSERT_GE(c.step(now + i * 100, false), 0);
  EXPECT_TRUE(c.adapter().status().local_mode);
  const std::vector<Row> alerts = xrange(settings_.alerts_stream);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].at("type"), "FALLBACK_TO_LOCAL");
  EXPECT_EQ(alerts[0].at("fail_count"), "3");
}

// ---- trade.closed -------------------------------------------------------------------------

ClosedTrade closed_trade(const SymbolTable& symbols, int i) {
  ClosedTrade t;
  t.time = 1'771'000'000'000 + i;
  t.symbol = *symbols.find("NEARUSDT");
  t.side = Side::kLong;
  t.qty = Decimal::from_int(100 + i);
  t.price = *Decimal::from_double(1.45);
  t.realized_pnl = -1.5;
  t.reason = ExitReason::kStopLoss;
  const std::string id = "xb-x-1-" + std::to_string(i);
  std::copy(id.begin(), id.end(), t.client_id.begin());
  return t;
}

TEST_F(IntentConsumerTest, ExecutedExitsArePublishedToTradeClosed) {
  SpscQueue<ClosedTrade> closed(64);
  IntentLinks links;
  links.closed = &closed;
  IntentConsumer c(settings_, symbols_, "", links);
  ASSERT_EQ(c.connect(), "");
  ASSERT_TRUE(closed.try_push(closed_trade(symbols_, 1)));
  ASSERT_GE(c.step(wall_ms(), false), 0);
  const std::vector<Row> rows = xrange(settings_.closed_stream);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("symbol"), "NEARUSDT");
  EXPECT_EQ(rows[0].at("side"), "LONG");
  EXPECT_EQ(rows[0].at("qty"), "101");
  EXPECT_EQ(rows[0].at("price"), "1.45");
  EXPECT_EQ(rows[0].at("reason"), "stop_loss");
  EXPECT_EQ(rows[0].at("pnl"), "-1.5");
  EXPECT_EQ(rows[0].at("client_order_id"), "xb-x-1-1");
}

TEST_F(IntentConsumerTest, ClosedTradesWaitWhileRedisIsDownAndAnOverflowIsCountedAndAlerted) {
  settings_.closed_buffer = 16;
  SpscQueue<ClosedTrade> closed(256);
  IntentLinks links;
  links.closed = &closed;
  IntentConsumer c(settings_, symbols_, "", links);
  ASSERT_EQ(c.connect(), "");
  server_.kill();
  EXPECT_LT(c.step(wall_ms(), false), 0);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(closed.try_push(closed_trade(symbols_, i)));  // the producer never waits
    c.idle(wall_ms());
  }
  EXPECT_EQ(c.closed_buffered(), 16u);
  EXPECT_EQ(c.stats().closed_dropped, 4u);
  ASSERT_EQ(server_.restart(), "");
  connect_client();
  ASSERT_EQ(c.connect(), "");
  ASSERT_GE(c.step(wall_ms(), false), 0);
  const std::vector<Row> rows = xrange(settings_.closed_stream);
  ASSERT_EQ(rows.size(), 16u);
  EXPECT_EQ(rows.front().at("client_order_id"), "xb-x-1-4");  // the 4 oldest were dropped
  EXPECT_EQ(rows.back().at("client_order_id"), "xb-x-1-19");
  bool alerted = false;
  for (const Row& a : xrange(settings_.alerts_stream))
    alerted = alerted || a.at("type") == "TRADE_CLOSED_OVERFLOW";
  EXPECT_TRUE(alerted);
}

}  // namespace
}  // namespace exitbrain
