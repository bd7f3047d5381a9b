#include <rapidjson/document.h>

#include "bench/parse_messages/dom_extraction.hpp"
#include "bench/parse_messages/message_parsers.hpp"

namespace exitbrain::bench {

namespace {

struct RapidObj {
  const rapidjson::Value* v;
  bool str(const char* key, std::string_view& out) const {
    const auto it = v->FindMember(key);
    if (it == v->MemberEnd() || !it->value.IsString()) return false;
    out = {it->value.GetString(), it->value.GetStringLength()};
    return true;
  }
  bool i64(const char* key, std::int64_t& out) const {
    const auto it = v->FindMember(key);
    if (it == v->MemberEnd() || !it->value.IsInt64()) return false;
    out = it->value.GetInt64();
    return true;
  }
  bool boolean(const char* key, bool& out) const {
    const auto it = v->FindMember(key);
    if (it == v->MemberEnd() || !it->value.IsBool()) return false;
    out = it->value.GetBool();
    return true;
  }
  std::optional<RapidObj> obj(const char* key) const {
    const auto it = v->FindMember(key);
    if (it == v->MemberEnd() || !it->value.IsObject()) return std::nullopt;
    return RapidObj{&it->value};
  }
};

}  // namespace

bool RapidJsonMessageParser::extract(const std::string& frame, MarketEvent& out) {
  rapidjson::MemoryPoolAllocator<> values(values_, sizeof values_);
  rapidjson::MemoryPoolAllocator<> stack(stack_, sizeof stack_);
  using PoolDocument =
      rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                                 rapidjson::MemoryPoolAllocator<>>;
  PoolDocument doc(&values, sizeof stack_ / 2, &stack);
  doc.Parse(frame.data(), frame.size());
  if (doc.HasParseError() || !doc.IsObject()) return false;
  const auto data = RapidObj{&static_cast<const rapidjson::Value&>(doc)}.obj("data");
  return data && dom_extract(*data, symbols_, out);
}

}  // namespace exitbrain::bench
