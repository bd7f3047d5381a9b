// Market data of the simulated exchange: /time, /exchangeInfo, /premiumIndex, /klines and
// the mark-price feed that drives candles and conditional orders.
#include <algorithm>
#include <vector>

#include "tools/sim/sim_exchange.hpp"
#include "tools/sim/sim_internal.hpp"

namespace exitbrain::sim {
namespace {

constexpr std::size_t kMaxCandles = 100'000;  // 1m candles kept per symbol (~69 days)
constexpr TimeMs kMinute = 60'000;
constexpr TimeMs kFundingPeriod = 8 * 60 * kMinute;

TimeMs floor_to(TimeMs t, TimeMs period) noexcept {
  TimeMs r = t % period;
  if (r < 0) r += period;
  return t - r;
}

// Interval text -> length in minutes, 0 when not supported.
TimeMs interval_minutes(std::string_view i) noexcept {
  struct Item {
    std::string_view name;
    TimeMs minutes;
  };
  static constexpr Item kItems[] = {{"1m", 1},   {"3m", 3},   {"5m", 5},    {"15m", 15},
                                    {"30m", 30}, {"1h", 60},  {"2h", 120},  {"4h", 240},
                                    {"6h", 360}, {"8h", 480}, {"12h", 720}, {"1d", 1440}};
  for (const Item& it : kItems)
    if (it.name == i) return it.minutes;
  return 0;
}

std::string base_asset(std::string_view symbol) {
  if (symbol.size() > 4 && symbol.ends_with("USDT"))
    return std::string(symbol.substr(0, symbol.size() - 4));
  return std::string(symbol);
}

// A funding rate with 8 decimals, as Binance prints it ("0.00010000").
std::string rate_text(double r) {
  const Decimal d = Decimal::from_double(r).value_or(Decimal{});
  std::string s = to_string(d);
  const std::size_t dot = s.find('.');
  const std::size_t places = dot == std::string::npos ? 0 : s.size() - dot - 1;
  if (dot == std::string::npos) s += '.';
  s.append(8 - std::min<std::size_t>(places, 8), '0');
  return s;
}

}  // namespace

HttpAnswer SimExchange::get_time(Ctx& c) {
  JsonWriter w;
  w.obj().i("serverTime", c.server).end_obj();
  return HttpAnswer{200, w.take(), {}};
}

HttpAnswer SimExchange::get_exchange_info(Ctx& c) {
  JsonWriter w;
  w.obj().s("timezone", "UTC").i("serverTime", c.server).s("futuresType", "U_MARGINED");
  w.key("rateLimits").arr();
  w.obj().s("rateLimitType", "REQUEST_WEIGHT").s("interval", "MINUTE").i("intervalNum", 1);
  w.i("limit", 2400).end_obj();
  w.obj().s("rateLimitType", "ORDERS").s("interval", "MINUTE").i("intervalNum", 1);
  w.i("limit", 1200).end_obj();
  w.obj().s("rateLimitType", "ORDERS").s("interval", "SECOND").i("intervalNum", 10);
  w.i("limit", 300).end_obj();
  w.end_arr();
  w.key("exchangeFilters").arr().end_arr();
  w.key("assets").arr();
  w.obj().s("asset", "USDT").b("marginAvailable", true).s("autoAssetExchange", "-10000");
  w.end_obj().end_arr();
  w.key("symbols").arr();
  for (const SymbolState& s : symbols_) {
    const SimSymbol& y = s.cfg;
    w.obj().s("symbol", y.name).s("pair", y.name).s("contractType", "PERPETUAL");
    w.i("deliveryDate", 4133404800000).i("onboardDate", 1569398400000).s("status", "TRADING");
    w.s("maintMarginPercent", "2.5000").s("requiredMarginPercent", "5.0000");
    w.s("baseAsset", base_asset(y.name)).s("quoteAsset", "USDT").s("marginAsset", "USDT");
    w.i("pricePrecision", decimal_places(y.tick_size));
    w.i("quantityPrecision", decimal_places(y.step_size));
    w.i("baseAssetPrecision", 8).i("quotePrecision", 8).s("underlyingType", "COIN");
    w.key("underlyingSubType").arr().end_arr();
    w.i("settlePlan", 0).s("triggerProtect", "0.0500").s("liquidationFee", "0.012500");
    w.s("marketTakeBound", "0.05").i("maxMoveOrderLimit", 10000);
    w.key("filters").arr();
    w.obj().s("filterType", "PRICE_FILTER").d("minPrice", y.tick_size).s("maxPrice", "10000000");
    w.d("tickSize", y.tick_size).end_obj();
    w.obj().s("filterType", "LOT_SIZE").d("stepSize", y.step_size).s("maxQty", "100000000");
    w.d("minQty", y.min_qty).end_obj();
    w.obj().s("filterType", "MARKET_LOT_SIZE").d("stepSize", y.step_size);
    w.s("maxQty", "100000000").d("minQty", y.min_qty).end_obj();
    w.obj().s("filterType", "MAX_NUM_ORDERS").i("limit", 200).end_obj();
    w.obj().s("filterType", "MIN_NOTIONAL").d("notional", y.min_notional).end_obj();
    w.obj().s("filterType", "PERCENT_PRICE").s("multiplierUp", "1.0500");
    w.s("multiplierDown", "0.9500").s("multiplierDecimal", "4").end_obj();
    w.end_arr();
    w.key("orderTypes").arr();
    for (const char* t : {"LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT",
                          "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"})
      w.str(t);
    w.end_arr();
    w.key("timeInForce").arr().str("GTC").str("IOC").str("FOK").str("GTX").str("GTD").end_arr();
    w.end_obj();
  }
  w.end_arr().end_obj();
  return HttpAnswer{200, w.take(), {}};
}

void SimExchange::premium_index_object(JsonWriter& w, const SymbolState& s,
                                       TimeMs server_now) const {
  w.obj().s("symbol", s.cfg.name).d("markPrice", s.mark).d("indexPrice", s.mark);
  w.d("estimatedSettlePrice", s.mark).s("lastFundingRate", rate_text(s.funding_rate));
  w.s("interestRate", "0.00010000");
  w.i("nextFundingTime", floor_to(server_now, kFundingPeriod) + kFundingPeriod);
  w.i("time", s.mark_time).end_obj();
}

HttpAnswer SimExchange::get_premium_index(Ctx& c) {
  JsonWriter w;
  if (const std::string* sym = c.params.get("symbol"); sym && !sym->empty()) {
    const SymbolState* s = find_symbol(*sym);
    if (!s) return error_answer(Error{-1121, "Invalid symbol.", 400});
    premium_index_object(w, *s, c.server);
    return HttpAnswer{200, w.take(), {}};
  }
  w.arr();
  for (const SymbolState& s : symbols_) premium_index_object(w, s, c.server);
  w.end_arr();
  return HttpAnswer{200, w.take(), {}};
}

HttpAnswer SimExchange::get_klines(Ctx& c) {
  if (!c.params.has("symbol")) return error_answer(missing("symbol"));
  const SymbolState* s = find_symbol(*c.params.get("symbol"));
  if (!s) return error_answer(Error{-1121, "Invalid symbol.", 400});
  if (!c.params.has("interval")) return error_answer(missing("interval"));
  const TimeMs minutes = interval_minutes(*c.params.get("interval"));
  if (minutes == 0) return error_answer(Error{-1120, "Invalid interval.", 400});
  std::int64_t limit = 500;
  if (const std::string* l = c.params.get("limit")) {
    const std::optional<std::int64_t> v = parse_int(*l);
    if (!v) return error_answer(missing("limit"));
    if (*v < 1 || *v > 1500) return error_answer(bad_value("limit"));
    limit = *v;
  }
  std::optional<TimeMs> start, end;
  for (const char* key : {"startTime", "endTime"}) {
    if (const std::string* t = c.params.get(key); t && !t->empty()) {
      const std::optional<std::int64_t> v = parse_int(*t);
      if (!v) return error_answer(missing(key));
      (key[0] == 's' ? start : end) = *v;
    }
  }
  if (start && end && *start > *end)
    return error_answer(Error{-1023, "Start time is greater than end time.", 400});

  // Aggregate the 1m candles into aligned buckets.
  const TimeMs period = minutes * kMinute;
  struct Bar {
    TimeMs open_time;
    Candle c;
  };
  std::vector<Bar> bars;
  for (const auto& [t, k] : s->candles) {
    const TimeMs bucket = floor_to(t, period);
    if (!bars.empty() && bars.back().open_time == bucket) {
      Candle& b = bars.back().c;
      b.high = std::max(b.high, k.high);
      b.low = std::min(b.low, k.low);
      b.close = k.close;
    } else {
      bars.push_back(Bar{bucket, k});
    }
  }
  // Klines are identified by their open time.
  std::size_t first = 0, last = bars.size();  // [first, last)
  if (start) {
    while (first < bars.size() && bars[first].open_time < *start) ++first;
  }
  if (end) {
    while (last > first && bars[last - 1].open_time > *end) --last;
  }
  const auto n = static_cast<std::size_t>(limit);
  if (last - first > n) {
    if (start)
      last = first + n;  // from the start time forward
    else
      first = last - n;  // the most recent ones
  }
  JsonWriter w;
  w.arr();
  for (std::size_t i = first; i < last; ++i) {
    const Bar& b = bars[i];
    w.arr().num(b.open_time).dec(b.c.open).dec(b.c.high).dec(b.c.low).dec(b.c.close).str("0");
    w.num(b.open_time + period - 1).str("0").num(0).str("0").str("0").str("0").end_arr();
  }
  w.end_arr();
  return HttpAnswer{200, w.take(), {}};
}

void SimExchange::on_mark_price(std::string_view symbol, Decimal mark, TimeMs t,
                                double funding_rate) {
  SymbolState* s = find_symbol(symbol);
  if (!s || !mark.is_positive()) return;
  s->mark = mark;
  s->has_mark = true;
  s->mark_time = t;
  s->funding_rate = funding_rate;

  const TimeMs minute = floor_to(t, kMinute);
  auto it = s->candles.find(minute);
  if (it == s->candles.end()) {
    s->candles.emplace(minute, Candle{mark, mark, mark, mark});
    while (s->candles.size() > kMaxCandles) s->candles.erase(s->candles.begin());
  } else {
    Candle& k = it->second;
    k.high = std::max(k.high, mark);
    k.low = std::min(k.low, mark);
    k.close = mark;
  }

  // Conditional orders on this symbol, in placement order (binance-api.md §2.4).
  for (AlgoOrder& a : algos_) {
    if (a.status != "NEW" || a.symbol != s->cfg.name) continue;
    const bool stop = a.type == "STOP_MARKET";
    const bool up = stop == a.buy;  // fires on a rise: STOP BUY, TAKE_PROFIT SELL
    const bool fires = up ? mark >= a.trigger : mark <= a.trigger;
    if (fires) fire_algo(*s, a, t);
  }
}

}  // namespace exitbrain::sim
