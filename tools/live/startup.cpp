#include "tools/live/startup.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <thread>

#include "net/exchange_info.hpp"
#include "tools/common/event_log.hpp"
#include "tools/common/input_error.hpp"

namespace exitbrain {
namespace {

[[noreturn]] void fail_step(const char* step, const std::string& why) {
  throw std::runtime_error(std::string("start-up, ") + step + ": " + why);
}

// How long start-up rides out an exchange that says "later" before it gives up (systemd
// then starts it again).
constexpr std::int64_t kStartupPatienceMs = 300'000;

bool add_time_sample(RestClient& rest, ServerClock& clock) {
  RestResponseParser parser(1024);
  const TimeMs sent = wall_clock_ms();
  const RestReply& r = rest.request(HttpMethod::kGet, "/fapi/v1/time", {}, false);
  TimeMs server = 0;
  if (r.outcome != RestReply::Outcome::kAnswered || r.status != 200 ||
      !parser.parse_server_time(r.body, server))
    return false;
  return clock.add_sample(sent, server, wall_clock_ms());
}

// One start-up request, answered 200, or the start stops naming the step. What the exchange
// says is passing is waited out: 429 and 418 (their Retry-After first), a 5xx, and -1021 (the clock
// synced again when there is one, the query signed again: `query` builds it afresh each time).
// Found by the fault soak: a restart that met a 429 used to end the process, and the positions went
// unmanaged.
const RestReply& must_answer_fresh(RestClient& rest, HttpMethod m, std::string_view path,
                                   const std::function<std::string()>& query, bool with_key,
                                   const char* step, ServerClock* clock = nullptr) {
  RestResponseParser parser(1024);
  const TimeMs give_up = wall_clock_ms() + kStartupPatienceMs;
  std::int64_t backoff_ms = 500;
  for (;;) {
    const std::string q = query();
    const RestReply& r = rest.request(m, path, q, with_key);
    if (r.outcome == RestReply::Outcome::kAnswered && r.status == 200) return r;
    std::string why = r.outcome == RestReply::Outcome::kAnswered
                          ? "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 300)
                          : r.error;
    // No answer at all (nothing listening, TLS refused) ends the start at once, as before:
    // that is a deployment to fix, not a moment to wait out.
    if (r.outcome != RestReply::Outcome::kAnswered) fail_step(step, why);
    const ErrorAction action = r.status >= 500
                                   ? ErrorAction::kRetryBackoff
                                   : parser.classify_response(r.status, r.body, nullptr);
    const bool passing = action == ErrorAction::kRetryBackoff ||
                         action == ErrorAction::kUnknownOutcome ||
                         action == ErrorAction::kRateLimited || action == ErrorAction::kBanned ||
                         action == ErrorAction::kResyncClock;
    const std::int64_t wait_ms = std::max(backoff_ms, retry_after_ms(r));
    if (!passing || wall_clock_ms() + wait_ms > give_up) fail_step(step, why);
    std::fprintf(stderr, "start-up, %s: %s; again in %lld ms\n", step, why.c_str(),
                 static_cast<long long>(wait_ms));
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    if (action == ErrorAction::kResyncClock && clock) {
      clock->on_timestamp_rejected();
      (void)add_time_sample(rest, *clock);
    }
    backoff_ms = std::min<std::int64_t>(backoff_ms * 2, 10'000);
  }
}

const RestReply& must_answer(RestClient& rest, HttpMethod m, std::string_view path,
                             std::string_view query, bool with_key, const char* step) {
  const std::string fixed(query);
  return must_answer_fresh(
      rest, m, path, [&] { return fixed; }, with_key, step);
}

std::string signed_query(const HmacSha256Signer& signer, const ServerClock& clock,
                         const LiveConfig& config, std::string_view symbol = {}) {
  QueryWriter q;
  if (!symbol.empty()) q.add("symbol", symbol);
  q.add("recvWindow", config.exchange.recv_window_ms);
  q.add("timestamp", clock.server_now(wall_clock_ms()));
  q.sign(signer);
  return std::string(q.view());
}

}  // namespace

int backfill_minutes(std::int64_t longest_interval_ms, int longest_period) noexcept {
  const std::int64_t per_candle = std::max<std::int64_t>(longest_interval_ms / 60'000, 1);
  // period + 1 candles (the first true range needs a previous close), one more for the
  // alignment of the first aggregated candle, within the REST limit of 1500.
  return static_cast<int>(std::min<std::int64_t>((longest_period + 2) * per_candle, 1500));
}

StartupState run_startup(RestClient& rest, const HmacSha256Signer& signer, ServerClock& clock,
                         SymbolTable& symbols, const LiveConfig& config, int kline_minutes) {
  RestResponseParser parser;
  StartupState st;

  // 1. Server time.
  for (int i = 0; i < 3; ++i) {
    const TimeMs sent = wall_clock_ms();
    const RestReply& r = must_answer(rest, HttpMethod::kGet, "/fapi/v1/time", {}, false, "time");
    TimeMs server = 0;
    if (const auto res = parser.parse_server_time(r.body, server); !res)
      fail_step("time", res.message());
    clock.add_sample(sent, server, wall_clock_ms());
  }

  // 2. Filters.
  {
    const RestReply& r =
        must_answer(rest, HttpMethod::kGet, "/fapi/v1/exchangeInfo", {}, false, "exchangeInfo");
    ExchangeInfoOptions eo;
    eo.keep_known_filters = true;
    const ExchangeInfoResult res = apply_exchange_info(r.body, symbols, eo);
    if (!res.ok())
      fail_step("exchangeInfo",
                res.message() + " (a body of " + std::to_string(r.body.size()) + " bytes)");
    for (const std::string& name : config.symbols) {
      const SymbolFilters& f = symbols.filters(*symbols.find(name));
      if (!f.tick_known || !f.step_known)
        throw InputError("[symbols] list: " + name +
                         " is not listed by the exchange's exchangeInfo");
    }
  }

  // 3. Position mode.
  {
    const RestReply& r = must_answer_fresh(
        rest, HttpMethod::kGet, "/fapi/v1/positionSide/dual",
        [&] { return signed_query(signer, clock, config); }, true, "positionSide/dual", &clock);
    bool dual = false;
    if (const auto res = parser.parse_position_mode(r.body, dual); !res)
      fail_step("positionSide/dual", res.message());
    st.mode = dual ? PositionMode::kHedge : PositionMode::kOneWay;
  }

  // 4. Positions.
  {
    const RestReply& r = must_answer_fresh(
        rest, HttpMethod::kGet, "/fapi/v3/positionRisk",
        [&] { return signed_query(signer, clock, config); }, true, "positionRisk", &clock);
    std::vector<PositionRisk> all;
    if (const auto res = parser.parse_positions(r.body, all, true); !res)
      fail_step("positionRisk", res.message());
    for (auto& p : all)
      (symbols.find(p.symbol) ? st.positions : st.unmanaged_positions).push_back(std::move(p));
  }

  // 5. Klines, when a backfill is wanted (none without the kline stream, or for
  // `exitbrain validate`: a limit of 0 is refused with -1130).
  st.klines.resize(symbols.size());
  for (const std::string& name : config.symbols) {
    if (kline_minutes <= 0) break;
    const std::string q = "symbol=" + name + "&interval=1m&limit=" + std::to_string(kline_minutes);
    const RestReply& r = must_answer(rest, HttpMethod::kGet, "/fapi/v1/klines", q, false, "klines");
    KlineCandles k;
    if (const auto res = parser.parse_klines(r.body, clock.server_now(wall_clock_ms()), k); !res)
      fail_step("klines", name + ": " + res.message());
    if (!k.last_closed && !k.candles.empty()) k.candles.pop_back();  // still forming
    st.klines[*symbols.find(name)] = std::move(k.candles);
  }

  // 6. Our hard stops that stand (the weight of 40 without a symbol is paid once).
  {
    const RestReply& r = must_answer_fresh(
        rest, HttpMethod::kGet, "/fapi/v1/openAlgoOrders",
        [&] { return signed_query(signer, clock, config); }, true, "openAlgoOrders", &clock);
    std::vector<AlgoOrderAnswer> all;
    if (const auto res = parser.parse_open_algo_orders(r.body, all); !res)
      fail_step("openAlgoOrders", res.message());
    st.open_algo_orders = all.size();
    for (const AlgoOrderAnswer& a : all) {
      const auto parts = parse_client_id(a.client_algo_id.view());
      if (parts && parts->hard_stop && symbols.find(a.symbol.view()))
        st.our_hard_stops.push_back(a);
    }
  }

  // 7. Leverage brackets.
  try {
    st.brackets = fetch_leverage_brackets(rest, signer, clock, config);
  } catch (const std::runtime_error& e) {
    st.brackets_error = e.what();
  }
  return st;
}

LeverageBracketTable fetch_leverage_brackets(RestClient& rest, const HmacSha256Signer& signer,
                                             const ServerClock& clock, const LiveConfig& config) {
  RestResponseParser parser(16 * 1024);
  LeverageBracketTable table;
  std::vector<SymbolBrackets> answer;
  for (const std::string& name : config.symbols) {
    const RestReply& r = must_answer_fresh(
        rest, HttpMethod::kGet, "/fapi/v1/leverageBracket",
        [&] { return signed_query(signer, clock, config, name); }, true, "leverageBracket");
    if (const auto res = parser.parse_leverage_brackets(r.body, answer); !res)
      fail_step("leverageBracket", name + ": " + res.message());
    if (answer.size() != 1 || answer[0].symbol != name)
      fail_step("leverageBracket", name + ": the answer is not for this symbol");
    // Validated by the parser already; set() cannot refuse it.
    if (const BracketError e = table.set(name, std::move(answer[0].brackets)); !e.ok())
      fail_step("leverageBracket", name + ": " + e.message());
  }
  return table;
}

void attach_leverage_brackets(IntentConsumer& consumer, const StartupState& startup,
                              HttpTarget rest_target,
                              std::shared_ptr<boost::asio::ssl::context> tls,
                              RestClientOptions options, const HmacSha256Signer& signer,
                              const LiveConfig& config) {
  // Built on the first refresh, on the consumer's thread, and kept for the next ones.
  struct Refresher {
    std::unique_ptr<RestClient> rest;
    ServerClock clock;
  };
  auto state = std::make_shared<Refresher>();
  auto fetch = [state, rest_target = std::move(rest_target), tls = std::move(tls),
                options = std::move(options), &signer,
                config](LeverageBracketTable& out) -> std::string {
    try {
      if (!state->rest) state->rest = std::make_unique<RestClient>(rest_target, tls, options);
      // A fresh offset each time: an hour is long enough for the clocks to drift apart.
      RestResponseParser parser(4 * 1024);
      const TimeMs sent = wall_clock_ms();
      const RestReply& t =
          must_answer(*state->rest, HttpMethod::kGet, "/fapi/v1/time", {}, false, "time");
      TimeMs server = 0;
      if (const auto res = parser.parse_server_time(t.body, server); !res)
        fail_step("time", res.message());
      state->clock.add_sample(sent, server, wall_clock_ms());
      out = fetch_leverage_brackets(*state->rest, signer, state->clock, config);
      return {};
    } catch (const std::exception& e) {
      return e.what();
    }
  };
  consumer.use_leverage_brackets(startup.brackets, startup.brackets_error, wall_clock_ms(),
                                 std::move(fetch), kLeverageBracketRefreshMs);
}

}  // namespace exitbrain
