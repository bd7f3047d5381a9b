// GET /fapi/v1/leverageBracket of the simulated exchange (binance-api.md §7.1): per symbol,
// brackets shaped like Binance's (BTCUSDT and ETHUSDT their own, every other symbol an
// altcoin's: lower maximum leverage, higher MMR). The maintenance amounts are computed the
// way Binance defines them (§7.2), so the table is consistent:
//   cum_1 = 0,  cum_n = floor_n × (MMR_n − MMR_{n−1}) + cum_{n−1}.
#include <span>
#include <vector>

#include "tools/sim/sim_exchange.hpp"
#include "tools/sim/sim_internal.hpp"

namespace exitbrain::sim {
namespace {

struct BracketSpec {
  const char* floor;
  const char* cap;
  const char* mmr;
  int max_leverage;
};

constexpr BracketSpec kBtc[] = {
    {"0", "50000", "0.004", 125},           {"50000", "600000", "0.005", 100},
    {"600000", "3000000", "0.0065", 75},    {"3000000", "12000000", "0.01", 50},
    {"12000000", "70000000", "0.02", 25},   {"70000000", "100000000", "0.025", 20},
    {"100000000", "230000000", "0.05", 10}, {"230000000", "480000000", "0.1", 5},
    {"480000000", "600000000", "0.125", 4}, {"600000000", "800000000", "0.15", 3},
    {"800000000", "1200000000", "0.25", 2}, {"1200000000", "1800000000", "0.5", 1},
};
constexpr BracketSpec kEth[] = {
    {"0", "50000", "0.005", 100},          {"50000", "500000", "0.0065", 75},
    {"500000", "1000000", "0.01", 50},     {"1000000", "5000000", "0.02", 25},
    {"5000000", "10000000", "0.025", 20},  {"10000000", "50000000", "0.05", 10},
    {"50000000", "100000000", "0.1", 5},   {"100000000", "200000000", "0.125", 4},
    {"200000000", "300000000", "0.25", 2}, {"300000000", "500000000", "0.5", 1},
};
constexpr BracketSpec kAltcoin[] = {
    {"0", "5000", "0.025", 20},       {"5000", "25000", "0.05", 10},
    {"25000", "100000", "0.1", 5},    {"100000", "250000", "0.125", 2},
    {"250000", "1000000", "0.25", 1},
};

std::span<const BracketSpec> brackets_of(std::string_view symbol) {
  if (symbol == "BTCUSDT") return kBtc;
  if (symbol == "ETHUSDT") return kEth;
  return kAltcoin;
}

Decimal dec(const char* text) {
  Decimal d;
  (void)parse_decimal(text, d);  // the tables above are valid decimals
  return d;
}

// One symbol's object: {"symbol":..,"brackets":[{"bracket":1,"initialLeverage":..,
// "notionalCap":..,"notionalFloor":..,"maintMarginRatio":..,"cum":..},..]}. Numbers are
// plain JSON numbers here, not strings (unlike the rest of the API).
void symbol_brackets(JsonWriter& w, std::string_view symbol) {
  w.obj().s("symbol", symbol).key("brackets").arr();
  Decimal previous_mmr{}, cum{};
  int n = 0;
  for (const BracketSpec& b : brackets_of(symbol)) {
    const Decimal floor = dec(b.floor), mmr = dec(b.mmr);
    if (n > 0) cum = cum + detail::mul_sat(floor, mmr - previous_mmr);
    previous_mmr = mmr;
    w.obj().i("bracket", ++n).i("initialLeverage", b.max_leverage);
    w.key("notionalCap").raw(to_string(dec(b.cap)));
    w.key("notionalFloor").raw(to_string(floor));
    w.key("maintMarginRatio").raw(to_string(mmr));
    w.key("cum").raw(to_string(cum));
    w.end_obj();
  }
  w.end_arr().end_obj();
}

}  // namespace

HttpAnswer SimExchange::get_leverage_brackets(Ctx& c) {
  JsonWriter w;
  if (const std::string* sym = c.params.get("symbol")) {
    if (!find_symbol(*sym)) return error_answer(Error{-1121, "Invalid symbol.", 400});
    symbol_brackets(w, *sym);
  } else {
    w.arr();
    for (const SymbolState& s : symbols_) symbol_brackets(w, s.cfg.name);
    w.end_arr();
  }
  return HttpAnswer{200, w.take(), {}};
}

}  // namespace exitbrain::sim
