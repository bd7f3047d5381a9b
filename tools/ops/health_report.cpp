#include "tools/ops/health_report.hpp"

#include "tools/common/json_line.hpp"

namespace exitbrain {

const char* to_string(HealthLevel l) noexcept {
  switch (l) {
    case HealthLevel::kOk:
      return "ok";
    case HealthLevel::kDegraded:
      return "degraded";
    case HealthLevel::kFailing:
      return "failing";
  }
  return "?";
}

void HealthReport::add(std::string_view code, HealthLevel level, std::string detail) {
  if (level > level_) level_ = level;
  reasons_.push_back(Reason{std::string(code), level, std::move(detail)});
}

void HealthReport::number(std::string_view name, std::string json_value) {
  numbers_.emplace_back(std::string(name), std::move(json_value));
}

std::string HealthReport::json() const {
  std::string out = R"({"status":")" + std::string(to_string(level_)) + R"(","reasons":[)";
  for (std::size_t i = 0; i < reasons_.size(); ++i) {
    const Reason& r = reasons_[i];
    if (i) out += ',';
    out += R"({"code":)" + JsonLine::quote(r.code) + R"(,"level":")" + to_string(r.level) +
           R"(","detail":)" + JsonLine::quote(r.detail) + "}";
  }
  out += R"(],"numbers":{)";
  for (std::size_t i = 0; i < numbers_.size(); ++i) {
    if (i) out += ',';
    out += JsonLine::quote(numbers_[i].first) + ":" + numbers_[i].second;
  }
  out += "}}";
  return out;
}

}  // namespace exitbrain
