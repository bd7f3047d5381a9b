#include "bench/e2e/event_lines_tail.hpp"

#include <cstdio>

namespace exitbrain::bench {

void EventLinesTail::poll() {
  std::FILE* f = std::fopen(path_.c_str(), "rb");
  if (!f) return;  // not created yet
  if (std::fseek(f, static_cast<long>(offset_), SEEK_SET) == 0) {
    char buf[16 * 1024];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
      offset_ += n;
      partial_.append(buf, n);
    }
  }
  std::fclose(f);
  std::size_t from = 0;
  for (auto nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n', from)) {
    lines_.emplace_back(partial_, from, nl - from);
    from = nl + 1;
  }
  partial_.erase(0, from);
}

std::int64_t EventLinesTail::find(std::size_t from,
                                  const std::function<bool(std::string_view)>& match) const {
  for (std::size_t i = from; i < lines_.size(); ++i)
    if (match(lines_[i])) return static_cast<std::int64_t>(i);
  return -1;
}

std::string json_field(std::string_view line, std::string_view key) {
  const std::string k = "\"" + std::string(key) + "\":";
  const auto at = line.find(k);
  if (at == std::string_view::npos) return {};
  const std::size_t begin = at + k.size();
  if (begin < line.size() && line[begin] == '"') {
    const auto end = line.find('"', begin + 1);
    return std::string(line.substr(begin + 1, end - begin - 1));
  }
  const auto end = line.find_first_of(",}", begin);
  return std::string(line.substr(begin, end - begin));
}

bool has_field(std::string_view line, std::string_view key, std::string_view json_value) {
  const std::string needle = "\"" + std::string(key) + "\":" + std::string(json_value);
  for (auto at = line.find(needle); at != std::string_view::npos; at = line.find(needle, at + 1)) {
    const std::size_t after = at + needle.size();
    // "position":1 must not match "position":12.
    if (after >= line.size() || line[after] == ',' || line[after] == '}') return true;
  }
  return false;
}

}  // namespace exitbrain::bench
