#include "net/exchange_info.hpp"

#include <simdjson.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>
#include <vector>

namespace exitbrain {

std::string ExchangeInfoResult::message() const {
  if (ok()) return {};
  std::string out;
  if (!error_symbol.empty()) out += "symbol " + error_symbol + ": ";
  if (*error_field != '\0') out += std::string("field '") + error_field + "': ";
  return out + error_reason;
}

namespace {

namespace dom = simdjson::dom;

struct ListedSymbol {
  std::string_view name;
  SymbolFilters filters;
};

// Reading stops at the first fault; the fault is recorded in the result.
class ExchangeInfoReader {
 public:
  explicit ExchangeInfoReader(ExchangeInfoResult& result) : result_(result) {}

  bool read(std::string_view body, std::vector<ListedSymbol>& out) {
    dom::element root;
    if (auto err = parser_.parse(body.data(), body.size()).get(root)) {
      return fail("json", simdjson::error_message(err));
    }
    dom::array list;
    if (root["symbols"].get_array().get(list)) return fail("symbols", "missing or not an array");
    for (dom::element entry : list) {
      ++result_.symbols_listed;
      ListedSymbol listed;
      if (!read_symbol(entry, listed)) return false;
      out.push_back(listed);
    }
    return true;
  }

 private:
  bool read_symbol(dom::element entry, ListedSymbol& out) {
    if (entry["symbol"].get_string().get(out.name))
      return fail("symbols[].symbol", "missing or not a string");
    dom::array filters;
    if (entry["filters"].get_array().get(filters))
      return fail("symbols[].filters", "missing or not an array", out.name);
    for (dom::element filter : filters) {
      if (!read_filter(filter, out)) return false;
    }
    return true;
  }

  bool read_filter(dom::element filter, ListedSymbol& out) {
    std::string_view type;
    if (filter["filterType"].get_string().get(type))
      return fail("filters[].filterType", "missing", out.name);
    SymbolFilters& f = out.filters;
    if (type == "PRICE_FILTER") {
      f.tick_known = read_size(filter, "tickSize", "PRICE_FILTER.tickSize", out.name, f.tick_size);
      return f.tick_known;
    }
    if (type == "LOT_SIZE") {
      f.step_known = read_size(filter, "stepSize", "LOT_SIZE.stepSize", out.name, f.step_size);
      return f.step_known && read_value(filter, "minQty", "LOT_SIZE.minQty", out.name, f.min_qty);
    }
    if (type == "MIN_NOTIONAL") {
      // Current bodies say "notional"; older ones "minNotional".
      const char* key = filter["notional"].error() ? "minNotional" : "notional";
      const char* field =
          filter["notional"].error() ? "MIN_NOTIONAL.minNotional" : "MIN_NOTIONAL.notional";
      return read_value(filter, key, field, out.name, f.min_notional);
    }
    return true;
  }

  bool read_value(dom::element filter, const char* key, const char* field, std::string_view symbol,
                  Decimal& out) {
    std::string_view text;
    if (filter[key].get_string().get(text)) return fail(field, "missing or not a string", symbol);
    if (parse_decimal(text, out) != DecimalError::kOk)
      return fail(field, "not a decimal number", symbol);
    if (out.is_negative()) return fail(field, "negative", symbol);
    return true;
  }

  // Every price and quantity is rounded to these grids: zero would divide by zero.
  bool read_size(dom::element filter, const char* key, const char* field, std::string_view symbol,
                 Decimal& out) {
    if (!read_value(filter, key, field, symbol, out)) return false;
    if (!out.is_positive()) return fail(field, "not positive", symbol);
    return true;
  }

  bool fail(const char* field, const char* reason, std::string_view symbol = {}) {
    result_.status = ExchangeInfoStatus::kMalformed;
    result_.error_field = field;
    result_.error_reason = reason;
    result_.error_symbol = std::string(symbol);
    return false;
  }

  ExchangeInfoResult& result_;
  dom::parser parser_;
};

void merge_filters(SymbolFilters& into, const SymbolFilters& listed, bool keep_known) {
  if (listed.tick_known && !(keep_known && into.tick_known)) {
    into.tick_size = listed.tick_size;
    into.tick_known = true;
  }
  if (listed.step_known && !(keep_known && into.step_known)) {
    into.step_size = listed.step_size;
    into.min_qty = listed.min_qty;
    into.step_known = true;
  }
  if (!(keep_known && into.min_notional.is_positive())) into.min_notional = listed.min_notional;
}

}  // namespace

ExchangeInfoResult apply_exchange_info(std::string_view body, SymbolTable& symbols,
                                       const ExchangeInfoOptions& options) {
  ExchangeInfoResult result;
  std::vector<ListedSymbol> listed;
  {
    ExchangeInfoReader reader(result);
    if (!reader.read(body, listed)) return result;
    // Names point into the parser's buffer: apply before it goes away.
    for (const ListedSymbol& entry : listed) {
      const auto id = options.intern_all ? symbols.intern(entry.name) : symbols.find(entry.name);
      if (!id) {
        ++result.symbols_skipped;
        continue;
      }
      merge_filters(symbols.filters(*id), entry.filters, options.keep_known_filters);
      ++result.symbols_updated;
    }
  }
  return result;
}

std::string_view exchange_info_body(std::string_view text) noexcept {
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  if (text[start] == '{') return text.substr(start);
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.starts_with("{")) return line;
    const std::size_t arrow = line.find(" -> ");
    if (arrow == std::string_view::npos) continue;
    const std::size_t json = line.find(": {", arrow);
    if (json != std::string_view::npos) return line.substr(json + 2);
  }
  return {};
}

ExchangeInfoResult load_exchange_info_file(const std::string& path, SymbolTable& symbols,
                                           const ExchangeInfoOptions& options) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in) {
    ExchangeInfoResult result;
    result.status = ExchangeInfoStatus::kUnreadable;
    result.error_reason = "cannot read the file";
    return result;
  }
  const std::string content = std::move(text).str();
  const std::string_view body = exchange_info_body(content);
  if (body.empty()) {
    ExchangeInfoResult result;
    result.status = ExchangeInfoStatus::kMalformed;
    result.error_reason = "no exchangeInfo JSON body found";
    return result;
  }
  return apply_exchange_info(body, symbols, options);
}

}  // namespace exitbrain
