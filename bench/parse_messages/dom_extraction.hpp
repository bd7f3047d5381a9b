#pragma once
// The extraction BinanceMessageParser does, written once for any DOM: the competitors
// (RapidJSON, nlohmann::json) parse the whole message into their tree, then this reads the
// same fields into the same MarketEvent, through a small adaptor per library:
//   bool str(const char* key, std::string_view&) const;  bool i64(key, std::int64_t&) const;
//   bool boolean(key, bool&) const;  std::optional<Obj> obj(key) const;
#include <optional>
#include <string_view>

#include "core/decimal.hpp"
#include "core/events.hpp"
#include "core/interval.hpp"
#include "core/symbol_table.hpp"

namespace exitbrain::bench {

template <class Obj>
bool dom_price(const Obj& o, const char* key, Price& out) {
  std::string_view text;
  return o.str(key, text) && parse_decimal(text, out) == DecimalError::kOk && out.is_positive();
}

template <class Obj>
bool dom_symbol(const Obj& o, const SymbolTable& symbols, SymbolId& out) {
  std::string_view name;
  if (!o.str("s", name)) return false;
  const auto id = symbols.find(name);
  if (id) out = *id;
  return id.has_value();
}

// `data` is the message's "data" object. False when a field is missing or invalid, or the
// type is not one of the four the benchmarks cover.
template <class Obj>
bool dom_extract(const Obj& data, const SymbolTable& symbols, MarketEvent& ev) {
  std::string_view type;
  if (!data.str("e", type)) return false;
  ev = MarketEvent{};
  if (type == "markPriceUpdate") {
    ev.kind = MarketEventKind::kMarkPrice;
    std::string_view rate;
    Decimal r;
    if (!data.i64("E", ev.event_time) || !dom_symbol(data, symbols, ev.symbol) ||
        !dom_price(data, "p", ev.price) || !data.str("r", rate))
      return false;
    if (!rate.empty() && parse_decimal(rate, r) != DecimalError::kOk) return false;
    ev.funding_rate = r.to_double();
    return true;
  }
  if (type == "aggTrade" || type == "trade") {
    ev.kind = MarketEventKind::kTrade;
    return data.i64("E", ev.event_time) && dom_symbol(data, symbols, ev.symbol) &&
           dom_price(data, "p", ev.price);
  }
  if (type == "bookTicker") {
    ev.kind = MarketEventKind::kBookTicker;
    return dom_symbol(data, symbols, ev.symbol) && dom_price(data, "b", ev.bid) &&
           dom_price(data, "a", ev.ask) &&
           (data.i64("E", ev.event_time) || data.i64("T", ev.event_time));
  }
  if (type == "kline") {
    ev.kind = MarketEventKind::kKline;
    std::string_view interval;
    if (!data.i64("E", ev.event_time) || !dom_symbol(data, symbols, ev.symbol)) return false;
    const std::optional<Obj> k = data.obj("k");
    if (!k || !k->i64("t", ev.kline.open_time) || !k->str("i", interval)) return false;
    ev.kline.interval_ms = kline_interval_ms(interval).value_or(0);
    if (!ev.kline.interval_ms || !dom_price(*k, "o", ev.kline.open) ||
        !dom_price(*k, "c", ev.kline.close) || !dom_price(*k, "h", ev.kline.high) ||
        !dom_price(*k, "l", ev.kline.low) || !k->boolean("x", ev.kline_closed))
      return false;
    ev.price = ev.kline.close;
    return true;
  }
  return false;
}

}  // namespace exitbrain::bench
