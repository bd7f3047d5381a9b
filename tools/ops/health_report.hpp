#pragma once
// /health's answer: ok, degraded or failing, with every reason and the numbers behind it.
// failing: something that can cost money now (a position without its exchange-side stop,
// the price feed stale, the user stream down, the owner lease lost); degraded: exitbrain
// still protects what it holds but something needs a look (Redis down, the server clock
// off, entries halted). The daemon fills it (tools/live/operations.cpp); this is the shape.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace exitbrain {

enum class HealthLevel : std::uint8_t { kOk, kDegraded, kFailing };
const char* to_string(HealthLevel l) noexcept;

class HealthReport {
 public:
  // A reason the state is not ok: a code ("feed_stale"), its level, and what was seen.
  void add(std::string_view code, HealthLevel level, std::string detail);
  // A number shown with the verdict (name: a JSON key; value: a JSON value, as text).
  void number(std::string_view name, std::string json_value);

  HealthLevel level() const noexcept { return level_; }
  // 200 when ok or degraded (still protecting), 503 when failing: a plain HTTP check
  // (curl -f, a load balancer) then sees the difference that matters.
  int http_status() const noexcept { return level_ == HealthLevel::kFailing ? 503 : 200; }
  // {"status":"ok","reasons":[{"code":...,"level":...,"detail":...}],"numbers":{...}}
  std::string json() const;

 private:
  struct Reason {
    std::string code;
    HealthLevel level;
    std::string detail;
  };
  HealthLevel level_ = HealthLevel::kOk;
  std::vector<Reason> reasons_;
  std::vector<std::pair<std::string, std::string>> numbers_;
};

}  // namespace exitbrain
