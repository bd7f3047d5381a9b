#include "tools/sim/sim_params.hpp"

#include <charconv>

namespace exitbrain::sim {
namespace {

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Calls f(segment, begin_offset) for every '&'-separated segment of `part`.
template <class F>
void each_segment(std::string_view part, F&& f) {
  std::size_t start = 0;
  while (start <= part.size()) {
    std::size_t end = part.find('&', start);
    if (end == std::string_view::npos) end = part.size();
    f(part.substr(start, end - start), start);
    if (end == part.size()) break;
    start = end + 1;
  }
}

// `part` without its "signature=..." segment (and the '&' that joined it).
bool strip_signature(std::string_view part, std::string& out, std::string& signature) {
  bool found = false;
  std::size_t seg_begin = 0, seg_end = 0;
  each_segment(part, [&](std::string_view seg, std::size_t begin) {
    if (!found && seg.starts_with("signature=")) {
      found = true;
      seg_begin = begin;
      seg_end = begin + seg.size();
      signature = url_decode(seg.substr(10));
    }
  });
  if (!found) {
    out.append(part);
    return false;
  }
  // Remove the segment with the separator before it (or after it when it is the first).
  std::size_t cut_begin = seg_begin, cut_end = seg_end;
  if (cut_begin > 0) {
    --cut_begin;
  } else if (cut_end < part.size()) {
    ++cut_end;
  }
  out.append(part.substr(0, cut_begin));
  out.append(part.substr(cut_end));
  return true;
}

}  // namespace

std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
               hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

Params Params::parse(std::string_view query, std::string_view body) {
  Params p;
  for (std::string_view part : {query, body}) {
    each_segment(part, [&](std::string_view seg, std::size_t) {
      if (seg.empty()) return;
      const std::size_t eq = seg.find('=');
      std::string key = url_decode(seg.substr(0, eq));
      if (p.get(key) != nullptr) return;  // first value wins; the query comes first
      std::string value =
          eq == std::string_view::npos ? std::string() : url_decode(seg.substr(eq + 1));
      p.params_.push_back(Param{std::move(key), std::move(value)});
    });
  }
  return p;
}

const std::string* Params::get(std::string_view key) const noexcept {
  for (const Param& p : params_)
    if (p.key == key) return &p.value;
  return nullptr;
}

SignedParts split_signature(std::string_view query, std::string_view body) {
  SignedParts s;
  const bool in_query = strip_signature(query, s.payload, s.signature);
  if (in_query) {
    s.payload.append(body);
    s.found = true;
    return s;
  }
  s.found = strip_signature(body, s.payload, s.signature);
  return s;
}

bool hex_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size() || a.empty()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const int x = hex_digit(a[i]), y = hex_digit(b[i]);
    if (x < 0 || x != y) return false;
  }
  return true;
}

bool valid_client_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 36) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == ':' || c == '/' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::int64_t> parse_int(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  std::int64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace exitbrain::sim
