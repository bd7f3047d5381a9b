#pragma once
// Typed reads of TOML keys for the config loaders: each failure names the file, the
// table and the key (InputError), and unknown keys are refused. Private to the settings
// room: only its .cpp files parse toml++ (a heavy header), not every user of Config.
#include "tools/settings/toml_include.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "tools/common/input_error.hpp"
#include "tools/settings/live_config.hpp"
#include "tools/settings/redis_settings.hpp"

namespace exitbrain {

// Where a key sits, for errors that name the file, the table and the key.
struct Where {
  const std::string& source;
  std::string table;
  [[noreturn]] void fail(std::string_view key, std::string_view reason) const {
    throw InputError(source + ": [" + table + "] " + std::string(key) + ": " + std::string(reason));
  }
};

inline void reject_unknown_keys(const toml::table& t, const Where& w,
                                const std::set<std::string>& known) {
  for (const auto& [k, v] : t) {
    (void)v;
    if (!known.count(std::string(k.str()))) w.fail(k.str(), "unknown key");
  }
}

inline double get_double(const toml::table& t, const Where& w, const char* key, double current) {
  const toml::node* n = t.get(key);
  if (!n) return current;
  if (auto f = n->value_exact<double>()) return *f;
  if (auto i = n->value_exact<std::int64_t>()) return static_cast<double>(*i);
  w.fail(key, "must be a number");
}

inline std::int64_t get_int(const toml::table& t, const Where& w, const char* key,
                            std::int64_t current) {
  const toml::node* n = t.get(key);
  if (!n) return current;
  if (auto i = n->value_exact<std::int64_t>()) return *i;
  w.fail(key, "must be an integer");
}

inline bool get_bool(const toml::table& t, const Where& w, const char* key, bool current) {
  const toml::node* n = t.get(key);
  if (!n) return current;
  if (auto b = n->value_exact<bool>()) return *b;
  w.fail(key, "must be true or false");
}

inline std::optional<std::string> get_string(const toml::table& t, const Where& w,
                                             const char* key) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  if (auto s = n->value_exact<std::string>()) return *s;
  w.fail(key, "must be a string");
}

// The table readers load_config_text() calls.
// Reads [exchange], [symbols].list, [threads] and [run] from the root table. Throws
// InputError naming the file, table and key.
void read_live_tables(const toml::table& root, const std::string& source, LiveConfig& out);
// Reads and checks [redis]. Throws InputError naming the file, table and key.
void read_redis_table(const toml::table& t, const std::string& source, RedisSettings& out);

}  // namespace exitbrain
