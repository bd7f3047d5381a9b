#include <nlohmann/json.hpp>

#include "bench/parse_messages/dom_extraction.hpp"
#include "bench/parse_messages/message_parsers.hpp"

namespace exitbrain::bench {

namespace {

struct NlohmannObj {
  const nlohmann::json* v;
  bool str(const char* key, std::string_view& out) const {
    const auto it = v->find(key);
    if (it == v->end() || !it->is_string()) return false;
    out = it->get_ref<const std::string&>();
    return true;
  }
  bool i64(const char* key, std::int64_t& out) const {
    const auto it = v->find(key);
    if (it == v->end() || !it->is_number_integer()) return false;
    out = it->get<std::int64_t>();
    return true;
  }
  bool boolean(const char* key, bool& out) const {
    const auto it = v->find(key);
    if (it == v->end() || !it->is_boolean()) return false;
    out = it->get<bool>();
    return true;
  }
  std::optional<NlohmannObj> obj(const char* key) const {
    const auto it = v->find(key);
    if (it == v->end() || !it->is_object()) return std::nullopt;
    return NlohmannObj{&*it};
  }
};

}  // namespace

bool NlohmannMessageParser::extract(const std::string& frame, MarketEvent& out) {
  const nlohmann::json doc = nlohmann::json::parse(frame, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return false;
  const auto data = NlohmannObj{&doc}.obj("data");
  return data && dom_extract(*data, symbols_, out);
}

}  // namespace exitbrain::bench
