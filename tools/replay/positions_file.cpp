#include "tools/replay/positions_file.hpp"

#include <simdjson.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "tools/common/input_error.hpp"

namespace exitbrain {
namespace {

namespace od = simdjson::ondemand;

struct LineContext {
  const std::string& path;
  std::size_t line;
  [[noreturn]] void fail(std::string_view field, std::string_view reason) const {
    throw InputError(path + ":" + std::to_string(line) + ": field '" + std::string(field) +
                     "': " + std::string(reason));
  }
};

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// A number given as a JSON number or a JSON string, parsed exactly from its text.
Decimal read_decimal(od::value v, const LineContext& ctx, std::string_view field) {
  std::string_view text;
  od::json_type type;
  if (v.type().get(type)) ctx.fail(field, "is not valid JSON");
  if (type == od::json_type::string) {
    if (v.get_string().get(text)) ctx.fail(field, "is not a valid string");
  } else if (type == od::json_type::number) {
    text = trim(v.raw_json_token());
  } else {
    ctx.fail(field, "must be a number");
  }
  Decimal d;
  if (auto e = parse_decimal(text, d); e != DecimalError::kOk) ctx.fail(field, to_string(e));
  return d;
}

std::string read_string(od::value v, const LineContext& ctx, std::string_view field) {
  std::string_view s;
  if (v.get_string().get(s)) ctx.fail(field, "must be a string");
  return std::string(s);
}

PositionRecord parse_line(std::string_view text, const LineContext& ctx, od::parser& parser,
                          SymbolTable& symbols, const Config& config,
                          const std::string& default_profile) {
  simdjson::padded_string padded(text);
  od::document doc;
  if (parser.iterate(padded).get(doc)) ctx.fail("(line)", "is not valid JSON");
  od::object obj;
  if (doc.get_object().get(obj)) ctx.fail("(line)", "must be a JSON object");

  PositionRecord rec;
  rec.line = ctx.line;
  rec.profile = default_profile;
  std::optional<Decimal> qty, entry;
  std::optional<std::int64_t> opened_at;
  std::optional<Side> side;
  std::set<std::string> seen;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) ctx.fail("(line)", "is not valid JSON");
    if (!seen.insert(std::string(key)).second) ctx.fail(key, "appears twice");
    od::value v;
    if (field.value().get(v)) ctx.fail(key, "is not valid JSON");
    if (key == "id") {
      rec.id = read_string(v, ctx, key);
      if (rec.id.empty()) ctx.fail(key, "must not be empty");
    } else if (key == "symbol") {
      rec.symbol = read_string(v, ctx, key);
    } else if (key == "side") {
      const std::string s = read_string(v, ctx, key);
      if (s == "LONG" || s == "long")
        side = Side::kLong;
      else if (s == "SHORT" || s == "short")
        side = Side::kShort;
      else
        ctx.fail(key, "must be \"LONG\" or \"SHORT\", got \"" + s + "\"");
    } else if (key == "qty") {
      qty = read_decimal(v, ctx, key);
    } else if (key == "entry_price") {
      entry = read_decimal(v, ctx, key);
    } else if (key == "opened_at") {
      std::int64_t t;
      if (v.get_int64().get(t)) ctx.fail(key, "must be an integer (milliseconds since the epoch)");
      if (t < 0) ctx.fail(key, "must not be negative");
      opened_at = t;
    } else if (key == "profile") {
      rec.profile = read_string(v, ctx, key);
    } else if (key == "sl") {
      rec.position.sl = read_decimal(v, ctx, key);
    } else if (key == "tp") {
      od::json_type type;
      if (v.type().get(type)) ctx.fail(key, "is not valid JSON");
      if (type == od::json_type::array) {
        od::array arr;
        if (v.get_array().get(arr)) ctx.fail(key, "is not valid JSON");
        for (auto item : arr) {
          od::value iv;
          if (item.get(iv)) ctx.fail(key, "is not valid JSON");
          if (rec.position.tp_count == kMaxTpLegs) ctx.fail(key, "has more than 4 legs");
          rec.position.tp[rec.position.tp_count++] = read_decimal(iv, ctx, key);
        }
        if (rec.position.tp_count == 0) ctx.fail(key, "must not be empty");
      } else {
        rec.position.tp[0] = read_decimal(v, ctx, key);
        rec.position.tp_count = 1;
      }
    } else if (key == "leverage") {
      const Decimal lev = read_decimal(v, ctx, key);
      if (lev < Decimal::from_int(1) || lev > Decimal::from_int(125))
        ctx.fail(key, "must be in [1, 125]");
      rec.leverage = lev.to_double();
    } else {
      ctx.fail(key,
               "unknown field (expected id, symbol, side, qty, entry_price, opened_at, "
               "profile, sl, tp, leverage)");
    }
  }
  if (rec.id.empty()) ctx.fail("id", "is missing");
  if (rec.symbol.empty()) ctx.fail("symbol", "is missing");
  if (!side) ctx.fail("side", "is missing");
  if (!qty) ctx.fail("qty", "is missing");
  if (!entry) ctx.fail("entry_price", "is missing");
  if (!opened_at) ctx.fail("opened_at", "is missing");
  if (!qty->is_positive()) ctx.fail("qty", "must be positive");
  if (!entry->is_positive()) ctx.fail("entry_price", "must be positive");
  if (rec.position.sl && !rec.position.sl->is_positive()) ctx.fail("sl", "must be positive");

  const auto sym = symbols.intern(rec.symbol);
  if (!sym) ctx.fail("symbol", "is not a valid symbol name (A-Z, 0-9, _; at most 16)");
  const int profile = config.find_profile(rec.profile);
  if (profile < 0) ctx.fail("profile", "no profile named \"" + rec.profile + "\"");
  rec.symbol = std::string(symbols.name(*sym));
  rec.position.symbol = *sym;
  rec.position.side = *side;
  rec.position.qty = *qty;
  rec.position.entry = *entry;
  rec.position.opened_at = *opened_at;
  rec.position.profile = static_cast<std::uint16_t>(profile);
  return rec;
}

}  // namespace

std::vector<PositionRecord> load_positions(const std::string& path, SymbolTable& symbols,
                                           const Config& config,
                                           const std::string& default_profile) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open positions file");
  od::parser parser;
  std::vector<PositionRecord> out;
  std::set<std::string> ids;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (trim(line).empty()) continue;
    const LineContext ctx{path, n};
    PositionRecord rec = parse_line(line, ctx, parser, symbols, config, default_profile);
    if (!ids.insert(rec.id).second) ctx.fail("id", "\"" + rec.id + "\" is used twice");
    out.push_back(std::move(rec));
  }
  if (out.empty()) throw InputError(path + ": no positions in file");
  std::stable_sort(out.begin(), out.end(), [](const PositionRecord& a, const PositionRecord& b) {
    return a.position.opened_at < b.position.opened_at;
  });
  return out;
}

}  // namespace exitbrain
