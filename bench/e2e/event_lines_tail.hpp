#pragma once
// Follows the event lines `exitbrain run --events FILE` appends (one JSON object a line),
// so the bench waits on what exitbrain did (position adopted, levels, hard stop placed, exit
// done) without asking the simulator, whose one thread also serves exitbrain's orders.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace exitbrain::bench {

class EventLinesTail {
 public:
  explicit EventLinesTail(std::string path) : path_(std::move(path)) {}

  // Reads what was appended since the last call; complete lines are added to lines().
  void poll();
  // Every complete line read so far, in file order.
  const std::vector<std::string>& lines() const noexcept { return lines_; }
  // The first line at or after index `from` for which `match` holds; -1 when none.
  std::int64_t find(std::size_t from, const std::function<bool(std::string_view)>& match) const;

 private:
  std::string path_;
  std::uint64_t offset_ = 0;
  std::string partial_;
  std::vector<std::string> lines_;
};

// The text of a top-level field of a one-line JSON object: a number as written, a string
// without its quotes; "" when absent. Enough for exitbrain's own event lines, whose values
// never contain the quote, comma or brace that would end them early.
std::string json_field(std::string_view line, std::string_view key);

// Whether `line` has `"key":value` (the value written as JSON: "\"LONG\"", "true", "12").
bool has_field(std::string_view line, std::string_view key, std::string_view json_value);

}  // namespace exitbrain::bench
