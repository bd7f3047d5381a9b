#include "tools/intents/redis_fields.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace exitbrain {

std::string_view StreamEntry::field(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return values[i];
  return {};
}

bool read_stream_entry(RedisValue e, StreamEntry& out) {
  if (!e.is_array() || e.size() < 2 || !e[0].is_string()) return false;
  out.id = std::string(e[0].text());
  parse_stream_id(out.id, out.id_ms, out.id_seq);
  const RedisValue fields = e[1];
  if (fields.is_null()) {  // XAUTOCLAIM / XREADGROUP of a trimmed entry
    out.deleted = true;
    return true;
  }
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    out.names.emplace_back(fields[i].text());
    out.values.emplace_back(fields[i + 1].text());
  }
  return true;
}

std::vector<StreamEntry> read_stream_entries(RedisValue entries) {
  std::vector<StreamEntry> out;
  out.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    StreamEntry e;
    if (read_stream_entry(entries[i], e)) out.push_back(std::move(e));
  }
  return out;
}

bool parse_stream_id(std::string_view id, TimeMs& ms, std::uint64_t& seq) noexcept {
  const auto dash = id.find('-');
  if (dash == std::string_view::npos) return false;
  const auto [p1, e1] = std::from_chars(id.data(), id.data() + dash, ms);
  const auto [p2, e2] = std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
  return e1 == std::errc() && p1 == id.data() + dash && e2 == std::errc() &&
         p2 == id.data() + id.size();
}

std::string iso_utc(TimeMs ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // sized for any int the format could meet, as GCC checks
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

bool parse_finite(std::string_view s, double& out) noexcept {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
}

TimeMs parse_epoch_ms(std::string_view s) noexcept {
  TimeMs v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && v > 0 ? v : 0;
}

}  // namespace exitbrain
