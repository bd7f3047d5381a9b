#pragma once
// Plain values to bytes and back, for the state journal and its snapshots. Integers and
// doubles are copied bit for bit (little-endian hosts only: the journal is refused on a
// host of another byte order by its header), so a restored double is the very double
// that was saved. The reader never reads past its end: a short buffer fails the read.
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace exitbrain {

static_assert(std::endian::native == std::endian::little, "the state journal is little-endian");

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::uint8_t>& out) : out_(out) {}
  template <class T>
  ByteWriter& put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
    out_.insert(out_.end(), p, p + sizeof(T));
    return *this;
  }
  ByteWriter& put_bytes(std::string_view s) {
    put(static_cast<std::uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
    return *this;
  }
  std::size_t size() const noexcept { return out_.size(); }

 private:
  std::vector<std::uint8_t>& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> in) : in_(in) {}
  // False (and the reader stays failed) when fewer than sizeof(T) bytes are left.
  template <class T>
  bool get(T& v) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    if (failed_ || in_.size() - pos_ < sizeof(T)) return fail();
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool get_bytes(std::string& s, std::size_t max) {
    std::uint32_t n = 0;
    if (!get(n) || n > max || in_.size() - pos_ < n) return fail();
    s.assign(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  bool ok() const noexcept { return !failed_; }
  bool at_end() const noexcept { return pos_ == in_.size(); }
  std::size_t position() const noexcept { return pos_; }

 private:
  bool fail() noexcept {
    failed_ = true;
    return false;
  }
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace exitbrain
