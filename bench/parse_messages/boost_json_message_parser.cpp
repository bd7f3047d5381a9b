// Boost.JSON (Debian's Boost 1.81) as a competitor: header-only (boost/json/src.hpp in this
// one file, as its documentation describes), in its fastest documented use: one
// boost::json::parser kept across messages with a fixed temporary buffer, and the value
// tree in a monotonic_resource over a fixed buffer, so no message allocates.
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/src.hpp>

#include "bench/parse_messages/dom_extraction.hpp"
#include "bench/parse_messages/message_parsers.hpp"

namespace exitbrain::bench {

namespace json = boost::json;

namespace {

struct BoostJsonObj {
  const json::object* v;
  bool str(const char* key, std::string_view& out) const {
    const json::value* f = v->if_contains(key);
    if (!f || !f->is_string()) return false;
    out = f->get_string();
    return true;
  }
  bool i64(const char* key, std::int64_t& out) const {
    const json::value* f = v->if_contains(key);
    if (!f || !f->is_int64()) return false;
    out = f->get_int64();
    return true;
  }
  bool boolean(const char* key, bool& out) const {
    const json::value* f = v->if_contains(key);
    if (!f || !f->is_bool()) return false;
    out = f->get_bool();
    return true;
  }
  std::optional<BoostJsonObj> obj(const char* key) const {
    const json::value* f = v->if_contains(key);
    if (!f || !f->is_object()) return std::nullopt;
    return BoostJsonObj{&f->get_object()};
  }
};

}  // namespace

struct BoostJsonMessageParser::State {
  alignas(16) unsigned char temp[16 * 1024];  // the parser's own stack
  alignas(16) unsigned char values[64 * 1024];
  json::parser parser{json::storage_ptr(), json::parse_options(), temp, sizeof temp};
};

BoostJsonMessageParser::BoostJsonMessageParser(SymbolTable& symbols)
    : symbols_(symbols), state_(std::make_unique<State>()) {}
BoostJsonMessageParser::~BoostJsonMessageParser() = default;

bool BoostJsonMessageParser::extract(const std::string& frame, MarketEvent& out) {
  json::monotonic_resource values(state_->values, sizeof state_->values);
  json::parser& p = state_->parser;
  p.reset(&values);
  boost::system::error_code ec;
  p.write(frame.data(), frame.size(), ec);
  if (ec) return false;
  const json::value doc = p.release();
  if (!doc.is_object()) return false;
  const auto data = BoostJsonObj{&doc.get_object()}.obj("data");
  return data && dom_extract(*data, symbols_, out);
}

}  // namespace exitbrain::bench
