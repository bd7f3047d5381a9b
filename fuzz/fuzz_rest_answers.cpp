// Every REST answer parser (and exchangeInfo, and the error classifier), chosen by the
// first byte, over the rest as the body. Invariants: a failure names its field and has a
// message; what a parser promises of a success holds (klines ascending and positive, a
// listen key not empty, brackets empty on failure, exchangeInfo all or nothing); the same
// body parsed again gives the same outcome.
#include <cstring>
#include <string>
#include <vector>

#include "core/symbol_table.hpp"
#include "fuzz/fuzz_support.hpp"
#include "net/exchange_info.hpp"
#include "net/rest_responses.hpp"

namespace exitbrain {
namespace {

void failure_named(const RestResult& r) {
  if (r) return;
  FUZZ_INVARIANT(r.field[0] != '\0');
  FUZZ_INVARIANT(!r.message().empty());
}

bool same_filters(const SymbolFilters& a, const SymbolFilters& b) {
  return a.tick_size == b.tick_size && a.step_size == b.step_size && a.min_qty == b.min_qty &&
         a.min_notional == b.min_notional && a.tick_known == b.tick_known &&
         a.step_known == b.step_known;
}

// One parser over `body`: its result, checked.
RestResult parse_one(RestResponseParser& p, unsigned which, std::string_view body) {
  switch (which) {
    case 0: {
      TimeMs t = 0;
      return p.parse_server_time(body, t);
    }
    case 1: {
      bool dual = false;
      return p.parse_position_mode(body, dual);
    }
    case 2: {
      std::vector<PositionRisk> out;
      const RestResult r = p.parse_positions(body, out, false);
      return r;
    }
    case 3: {
      KlineCandles out;
      const RestResult r = p.parse_klines(body, 1'700'000'000'000, out);
      if (r)
        for (std::size_t i = 0; i < out.candles.size(); ++i) {
          const Candle& c = out.candles[i];
          FUZZ_INVARIANT(c.low.is_positive() && !(c.high < c.low));
          if (i > 0) FUZZ_INVARIANT(out.candles[i - 1].open_time < c.open_time);
        }
      return r;
    }
    case 4: {
      PremiumIndex out;
      const RestResult r = p.parse_premium_index(body, out);
      if (r) FUZZ_INVARIANT(out.mark_price.is_positive());
      return r;
    }
    case 5: {
      OrderAnswer out;
      const RestResult r = p.parse_order(body, out);
      if (r) FUZZ_INVARIANT(!out.executed_qty.is_negative() && !out.orig_qty.is_negative());
      return r;
    }
    case 6: {
      AlgoOrderAnswer out;
      const RestResult r = p.parse_algo_order(body, out);
      if (r) FUZZ_INVARIANT(!out.trigger_price.is_negative() && !out.quantity.is_negative());
      return r;
    }
    case 7: {
      AlgoCancelAnswer out;
      return p.parse_algo_cancel(body, out);
    }
    case 8: {
      std::vector<AlgoOrderAnswer> out;
      return p.parse_open_algo_orders(body, out);
    }
    case 9: {
      ErrorBody out;
      const RestResult r = p.parse_error_body(body, out);
      FUZZ_INVARIANT(out.msg_len <= ErrorBody::kMsgCapacity);
      return r;
    }
    case 10: {
      std::string key;
      const RestResult r = p.parse_listen_key(body, key, false);
      if (r) FUZZ_INVARIANT(!key.empty());
      return r;
    }
    case 11: {
      LeverageAnswer out;
      const RestResult r = p.parse_leverage(body, out);
      if (r) FUZZ_INVARIANT(out.leverage > 0);
      return r;
    }
    default: {
      std::vector<SymbolBrackets> out;
      const RestResult r = p.parse_leverage_brackets(body, out);
      if (!r) FUZZ_INVARIANT(out.empty());
      for (const SymbolBrackets& s : out) FUZZ_INVARIANT(!s.brackets.empty());
      return r;
    }
  }
}

constexpr unsigned kParsers = 13;

}  // namespace
}  // namespace exitbrain

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace exitbrain;
  if (size == 0) return 0;
  static RestResponseParser parser;
  const unsigned which = data[0] % (kParsers + 2);
  const std::string_view body = fuzz::as_text(data + 1, size - 1);
  if (which < kParsers) {
    const RestResult a = parse_one(parser, which, body);
    failure_named(a);
    const RestResult b = parse_one(parser, which, body);
    FUZZ_INVARIANT(a.ok == b.ok && std::strcmp(a.field, b.field) == 0 && a.index == b.index);
  } else if (which == kParsers) {
    // exchangeInfo: all or nothing.
    SymbolTable symbols;
    const SymbolId btc = *symbols.intern("BTCUSDT");
    const SymbolFilters before = symbols.filters(btc);
    const ExchangeInfoResult r = apply_exchange_info(body, symbols);
    if (!r.ok()) {
      FUZZ_INVARIANT(r.error_field[0] != '\0' && !r.message().empty());
      FUZZ_INVARIANT(same_filters(before, symbols.filters(btc)));
      FUZZ_INVARIANT(symbols.size() == 1);
    } else {
      const SymbolFilters& f = symbols.filters(btc);
      FUZZ_INVARIANT(f.tick_size.is_positive() && f.step_size.is_positive());
      FUZZ_INVARIANT(!f.min_qty.is_negative() && !f.min_notional.is_negative());
    }
  } else {
    // The error classifier over any status and body.
    ErrorBody e;
    const int status = size > 1 ? 200 + (data[1] % 5) * 100 + data[size - 1] % 30 : 503;
    (void)parser.classify_response(status, body, &e);
    FUZZ_INVARIANT(e.msg_len <= ErrorBody::kMsgCapacity);
  }
  return 0;
}
