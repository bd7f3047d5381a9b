#include "tools/settings/config.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "core/interval.hpp"
#include "tools/common/input_error.hpp"
#include "tools/settings/live_config.hpp"
#include "tools/settings/toml_fields.hpp"
#include "tools/settings/toml_prescan.hpp"

namespace exitbrain {
namespace {

// tp_r / tp_fraction: arrays of up to 4 numbers.
std::optional<std::vector<double>> get_legs(const toml::table& t, const Where& w, const char* key) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  const toml::array* a = n->as_array();
  if (!a) w.fail(key, "must be an array of numbers");
  if (a->empty() || a->size() > kMaxTpLegs) w.fail(key, "must have 1 to 4 legs");
  std::vector<double> out;
  for (const auto& e : *a) {
    if (auto f = e.value_exact<double>())
      out.push_back(*f);
    else if (auto i = e.value_exact<std::int64_t>())
      out.push_back(static_cast<double>(*i));
    else
      w.fail(key, "must be an array of numbers");
  }
  return out;
}

void read_profile(const toml::table& t, const Where& w, Profile& p) {
  reject_unknown_keys(
      t, w,
      {"base", "atr_period", "atr_interval", "atr_method", "atr_multiplier",
       "high_vol_atr_multiplier", "volatility_threshold", "tp_r", "tp_fraction", "harvest_trigger",
       "harvest_fraction", "harvest_max", "trailing", "trail_offset", "trail_activation",
       "time_stop_sec", "trigger_source", "warmup_sl_pct", "by_regime"});
  const std::int64_t period = get_int(t, w, "atr_period", p.atr_period);
  if (period < 1 || period > 512) w.fail("atr_period", "must be in [1, 512]");
  p.atr_period = static_cast<int>(period);
  if (auto s = get_string(t, w, "atr_interval")) {
    auto ms = parse_interval_ms(*s);
    if (!ms) w.fail("atr_interval", "must be one of 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d");
    p.atr_interval_ms = *ms;
  }
  if (auto s = get_string(t, w, "atr_method")) {
    auto m = parse_atr_method(*s);
    if (!m) w.fail("atr_method", "must be \"sma\" or \"wilder\"");
    p.atr_method = *m;
  }
  p.atr_multiplier = get_double(t, w, "atr_multiplier", p.atr_multiplier);
  p.high_vol_atr_multiplier =
      get_double(t, w, "high_vol_atr_multiplier", p.high_vol_atr_multiplier);
  p.volatility_threshold = get_double(t, w, "volatility_threshold", p.volatility_threshold);
  auto r = get_legs(t, w, "tp_r");
  auto f = get_legs(t, w, "tp_fraction");
  if (r || f) {
    if (!r || !f) w.fail(r ? "tp_fraction" : "tp_r", "tp_r and tp_fraction must be given together");
    if (r->size() != f->size()) w.fail("tp_fraction", "must have as many legs as tp_r");
    p.tp_count = static_cast<std::uint8_t>(r->size());
    p.tp_r = {};
    p.tp_fraction = {};
    for (std::size_t i = 0; i < r->size(); ++i) {
      p.tp_r[i] = (*r)[i];
      p.tp_fraction[i] = (*f)[i];
    }
  }
  p.harvest_trigger = get_double(t, w, "harvest_trigger", p.harvest_trigger);
  p.harvest_fraction = get_double(t, w, "harvest_fraction", p.harvest_fraction);
  const std::int64_t hmax = get_int(t, w, "harvest_max", p.harvest_max);
  if (hmax < 0 || hmax > 100) w.fail("harvest_max", "must be in [0, 100]");
  p.harvest_max = static_cast<int>(hmax);
  p.trailing = get_bool(t, w, "trailing", p.trailing);
  p.trail_offset = get_double(t, w, "trail_offset", p.trail_offset);
  p.trail_activation = get_double(t, w, "trail_activation", p.trail_activation);
  p.time_stop_sec = get_int(t, w, "time_stop_sec", p.time_stop_sec);
  if (auto s = get_string(t, w, "trigger_source")) {
    auto src = parse_trigger_source(*s);
    if (!src) w.fail("trigger_source", "must be \"mark\", \"last\" or \"mid\"");
    p.trigger_source = *src;
  }
  p.warmup_sl_pct = get_double(t, w, "warmup_sl_pct", p.warmup_sl_pct);
  p.by_regime = get_bool(t, w, "by_regime", p.by_regime);
  if (auto err = validate(p)) w.fail(err->field, err->reason);
}

void read_profiles(const toml::table& profiles, const std::string& source, Config& cfg) {
  // Profiles may name a base defined later in the file: resolve in dependency order.
  std::set<std::string> pending;
  for (const auto& [name, node] : profiles) pending.insert(std::string(name.str()));
  while (!pending.empty()) {
    bool progressed = false;
    for (auto it = pending.begin(); it != pending.end();) {
      const std::string name = *it;
      const Where w{source, "profile." + name};
      const toml::table* t = profiles.get(name)->as_table();
      if (!t) w.fail(name, "must be a table");
      const std::string base = get_string(*t, w, "base").value_or("CHALLENGE_100");
      if (pending.count(base) && base != name) {
        ++it;
        continue;
      }
      const int base_index = cfg.find_profile(base);
      if (base_index < 0) w.fail("base", "no profile named \"" + base + "\"");
      Profile p = cfg.profiles[static_cast<std::size_t>(base_index)];
      p.name = name;
      read_profile(*t, w, p);
      const int existing = cfg.find_profile(name);
      if (existing >= 0)
        cfg.profiles[static_cast<std::size_t>(existing)] = p;
      else
        cfg.profiles.push_back(p);
      it = pending.erase(it);
      progressed = true;
    }
    if (!progressed) Where{source, "profile." + *pending.begin()}.fail("base", "cycle of bases");
  }
}

std::optional<Decimal> get_decimal(const toml::table& t, const Where& w, const char* key) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  // Strings keep exchange precision exactly ("0.0001"); plain numbers are accepted too.
  std::string text;
  if (auto s = n->value_exact<std::string>())
    text = *s;
  else if (auto i = n->value_exact<std::int64_t>())
    text = std::to_string(*i);
  else if (auto f = n->value_exact<double>()) {
    auto d = Decimal::from_double(*f);
    if (!d) w.fail(key, "must be a finite number");
    return d;
  } else
    w.fail(key, "must be a decimal string such as \"0.0001\"");
  Decimal d;
  if (auto e = parse_decimal(text, d); e != DecimalError::kOk) w.fail(key, to_string(e));
  if (!d.is_positive()) w.fail(key, "must be positive");
  return d;
}

void read_symbols(const toml::table& symbols, const std::string& source, Config& cfg) {
  for (const auto& [name, node] : symbols) {
    if (name.str() == "list") continue;  // the live symbol list (live_config.cpp)
    const Where w{source, "symbols." + std::string(name.str())};
    const toml::table* t = node.as_table();
    if (!t) w.fail(name.str(), "must be a table");
    reject_unknown_keys(*t, w, {"tick_size", "step_size"});
    cfg.symbols.push_back(SymbolSettings{std::string(name.str()), get_decimal(*t, w, "tick_size"),
                                         get_decimal(*t, w, "step_size")});
  }
}

void read_regime(const toml::table& t, const Where& w, RegimeParams& r) {
  reject_unknown_keys(t, w,
                      {"er_period", "trending_er", "trending_exit_er", "volatile_atr_pct",
                       "volatile_exit_atr_pct"});
  const std::int64_t er = get_int(t, w, "er_period", r.er_period);
  if (er < 2 || er > 512) w.fail("er_period", "must be in [2, 512]");
  r.er_period = static_cast<int>(er);
  r.trending_er = get_double(t, w, "trending_er", r.trending_er);
  if (!(r.trending_er > 0 && r.trending_er < 1)) w.fail("trending_er", "must be in (0, 1)");
  r.trending_exit_er = get_double(t, w, "trending_exit_er", r.trending_exit_er);
  if (!(r.trending_exit_er > 0 && r.trending_exit_er <= r.trending_er))
    w.fail("trending_exit_er", "must be in (0, trending_er]");
  r.volatile_atr_pct = get_double(t, w, "volatile_atr_pct", r.volatile_atr_pct);
  if (!(r.volatile_atr_pct > 0 && r.volatile_atr_pct < 1))
    w.fail("volatile_atr_pct", "must be in (0, 1)");
  r.volatile_exit_atr_pct = get_double(t, w, "volatile_exit_atr_pct", r.volatile_exit_atr_pct);
  if (!(r.volatile_exit_atr_pct > 0 && r.volatile_exit_atr_pct <= r.volatile_atr_pct))
    w.fail("volatile_exit_atr_pct", "must be in (0, volatile_atr_pct]");
}

void read_fills(const toml::table& t, const Where& w, FillModel& f) {
  reject_unknown_keys(t, w, {"slippage_bps", "taker_fee"});
  f.slippage_bps = get_double(t, w, "slippage_bps", f.slippage_bps);
  if (!(f.slippage_bps >= 0 && f.slippage_bps <= 1000))
    w.fail("slippage_bps", "must be in [0, 1000]");
  f.taker_fee = get_double(t, w, "taker_fee", f.taker_fee);
  if (!(f.taker_fee >= 0 && f.taker_fee <= 0.01)) w.fail("taker_fee", "must be in [0, 0.01]");
}

Config from_table(const toml::table& root, const std::string& source) {
  Config cfg;
  const Where top{source, "(top level)"};
  // A silently ignored section is worse than an error.
  reject_unknown_keys(root, top,
                      {"default_profile", "profile", "regime", "symbols", "replay", "exchange_info",
                       "exchange", "threads", "run", "ops", "redis"});
  if (const toml::node* n = root.get("profile")) {
    if (!n->as_table()) top.fail("profile", "must be a table of profiles");
    read_profiles(*n->as_table(), source, cfg);
  }
  if (auto s = get_string(root, top, "default_profile")) {
    if (cfg.find_profile(*s) < 0) top.fail("default_profile", "no profile named \"" + *s + "\"");
    cfg.default_profile = *s;
  }
  if (auto s = get_string(root, top, "exchange_info")) cfg.exchange_info = *s;
  if (const toml::node* n = root.get("regime")) {
    if (!n->as_table()) top.fail("regime", "must be a table");
    read_regime(*n->as_table(), Where{source, "regime"}, cfg.regime);
  }
  if (const toml::node* n = root.get("symbols")) {
    if (!n->as_table()) top.fail("symbols", "must be a table");
    read_symbols(*n->as_table(), source, cfg);
  }
  if (const toml::node* n = root.get("replay")) {
    if (!n->as_table()) top.fail("replay", "must be a table");
    read_fills(*n->as_table(), Where{source, "replay"}, cfg.fills);
  }
  read_live_tables(root, source, cfg.live);
  if (const toml::node* n = root.get("redis")) {
    if (!n->as_table()) top.fail("redis", "must be a table");
    read_redis_table(*n->as_table(), source, cfg.redis.emplace());
  }
  if (root.get("default_profile")) cfg.keys_in_file.insert("default_profile");
  for (const auto& [table, key] : {std::pair{"run", "mode"}, {"redis", "cross_exchange"}})
    if (const toml::node* t = root.get(table); t && t->as_table() && t->as_table()->get(key))
      cfg.keys_in_file.insert(std::string(table) + "." + key);
  return cfg;
}

}  // namespace

int Config::find_profile(std::string_view name) const {
  for (std::size_t i = 0; i < profiles.size(); ++i)
    if (profiles[i].name == name) return static_cast<int>(i);
  return -1;
}

Config load_config_text(const std::string& text, const std::string& source_name) {
  // toml++ never sees what it would misread (tools/settings/toml_prescan.hpp).
  if (const auto at = first_non_ascii_outside_strings(text))
    throw InputError(source_name + ":" + std::to_string(at->line) + ": column " +
                     std::to_string(at->column) +
                     ": a non-ASCII character outside a string or comment, or after a backslash "
                     "(TOML allows them only in strings and comments; write \\uXXXX after a "
                     "backslash)");
  try {
    return from_table(toml::parse(text, source_name), source_name);
  } catch (const toml::parse_error& e) {
    throw InputError(source_name + ":" + std::to_string(e.source().begin.line) + ": " +
                     std::string(e.description()));
  }
}

Config load_config(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path + ": cannot read the config file: it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot read the config file: " + std::strerror(errno));
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw InputError(path + ": cannot read the config file");
  Config c = load_config_text(text, path);
  // The state directory sits beside its config unless it is named absolutely: each
  // deployment (and each test) has its own, whatever the working directory.
  std::string& dir = c.live.run.state_dir;
  if (dir.front() != '/') {
    const std::size_t slash = path.rfind('/');
    dir = (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) + "/" + dir;
  }
  return c;
}

}  // namespace exitbrain
