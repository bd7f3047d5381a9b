#pragma once
// Stream entries in and out of Redis for the intent thread: an argument list built from
// owned strings, one entry of an XREADGROUP / XAUTOCLAIM / XRANGE reply, stream ids and the
// ISO times the seeds' streams carry. Off the hot path: these allocate freely.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.hpp"
#include "net/redis_client.hpp"

namespace exitbrain {

// A command made of owned strings, passed to RedisConnection as views.
struct RedisArgs {
  std::vector<std::string> items;
  RedisArgs& operator<<(std::string s) {
    items.push_back(std::move(s));
    return *this;
  }
  std::vector<std::string_view> views() const { return {items.begin(), items.end()}; }
};

// One stream entry: [id, [field, value, ...]].
struct StreamEntry {
  std::string id;
  TimeMs id_ms = 0;  // the id's two parts (0 when it is not a stream id)
  std::uint64_t id_seq = 0;
  std::vector<std::string> names, values;
  bool deleted = false;  // still pending in the group, but trimmed from the stream

  // The value of the first field named `name` ("" when there is none).
  std::string_view field(std::string_view name) const noexcept;
};

// False when `e` is not shaped like a stream entry.
bool read_stream_entry(RedisValue e, StreamEntry& out);
// Every well-shaped entry of an array of entries.
std::vector<StreamEntry> read_stream_entries(RedisValue entries);

// "1735000000000-7" -> {ms, seq}; false if it is not a stream id.
bool parse_stream_id(std::string_view id, TimeMs& ms, std::uint64_t& seq) noexcept;
// 2025-12-21T03:15:42.123Z
std::string iso_utc(TimeMs ms);
// A whole-text finite number.
bool parse_finite(std::string_view s, double& out) noexcept;
// A whole-text integer count of epoch milliseconds; 0 when it is not one.
TimeMs parse_epoch_ms(std::string_view s) noexcept;

}  // namespace exitbrain
