#pragma once
// What every fuzz target shares: the invariant check that turns a wrong answer into a
// crash libFuzzer keeps, the field splitter for Redis-shaped inputs, and a memory file
// for the parsers that read a path.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace exitbrain::fuzz {

// A broken invariant: said on stderr, then abort(), which libFuzzer reports as a crash
// and saves the input for (a parser that only "did not crash" would pass unseen).
[[noreturn]] inline void invariant_broken(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n", file, line, what);
  std::abort();
}
#define FUZZ_INVARIANT(cond) \
  ((cond) ? static_cast<void>(0) : ::exitbrain::fuzz::invariant_broken(#cond, __FILE__, __LINE__))

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) noexcept {
  return {reinterpret_cast<const char*>(data), size};
}

// A message copied into a buffer with `padding` bytes readable after it, as simdjson
// wants; the padding holds garbage, as a receive buffer's would.
class PaddedBuffer {
 public:
  char* fill(std::string_view msg, std::size_t padding) {
    bytes_.assign(msg.size() + padding, '\xff');
    if (!msg.empty()) std::memcpy(bytes_.data(), msg.data(), msg.size());
    return bytes_.data();
  }
  std::size_t capacity() const noexcept { return bytes_.size(); }

 private:
  std::vector<char> bytes_;
};

// "name=value\nname=value..." -> pairs: the form a stream entry's flat fields take here
// (a line without '=' is a name with an empty value). The dictionaries list "name=".
inline std::vector<std::pair<std::string, std::string>> split_fields(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      out.emplace_back(std::string(line), std::string());
    else
      out.emplace_back(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

// A file in memory (memfd) with a path the readers can open: /proc/self/fd/N. Its
// content is replaced for each input.
class MemoryFile {
 public:
  MemoryFile() : fd_(::memfd_create("exitbrain-fuzz", 0)) {
    if (fd_ < 0) invariant_broken("memfd_create", __FILE__, __LINE__);
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  const std::string& write(std::string_view bytes) {
    if (::ftruncate(fd_, 0) != 0) invariant_broken("ftruncate", __FILE__, __LINE__);
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n =
          ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      if (n <= 0) invariant_broken("pwrite", __FILE__, __LINE__);
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace exitbrain::fuzz
