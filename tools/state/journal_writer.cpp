#include "tools/state/journal_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace exitbrain {

namespace fs = std::filesystem;

const char* to_string(JournalSync s) noexcept {
  switch (s) {
    case JournalSync::kOff:
      return "off";
    case JournalSync::kInterval:
      return "interval";
    case JournalSync::kEveryBatch:
      return "every_batch";
  }
  return "?";
}

namespace {

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::string name_of(const char* prefix, std::uint64_t seq, const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%020llu%s", prefix, static_cast<unsigned long long>(seq),
                suffix);
  return buf;
}

std::string write_all(int fd, const std::uint8_t* p, std::size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno_text("write " + path);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return {};
}

std::string sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_text("open " + dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? std::string() : errno_text("fsync " + dir);
}

}  // namespace

std::string segment_name(std::uint64_t first_seq) {
  return name_of("journal-", first_seq, ".seg");
}
std::string snapshot_name(std::uint64_t seq) {
  return name_of("snapshot-", seq, ".snap");
}

std::uint64_t seq_of_name(const std::string& name, const char* prefix, const char* suffix) {
  const std::size_t pl = std::strlen(prefix), sl = std::strlen(suffix);
  if (name.size() != pl + 20 + sl || name.compare(0, pl, prefix) != 0 ||
      name.compare(pl + 20, sl, suffix) != 0)
    return 0;
  std::uint64_t v = 0;
  for (std::size_t i = pl; i < pl + 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    v = v * 10 + static_cast<std::uint64_t>(name[i] - '0');
  }
  return v;
}

std::vector<std::string> list_by_seq(const std::string& dir, const char* prefix,
                                     const char* suffix) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (seq_of_name(n, prefix, suffix) != 0) names.push_back(n);
  }
  std::sort(names.begin(), names.end());  // fixed-width numbers: name order is seq order
  return names;
}

std::string write_file_atomically(const std::string& dir, const std::string& name,
                                  std::span<const std::uint8_t> bytes) {
  const std::string tmp = dir + "/." + name + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_text("create " + tmp);
  std::string err = write_all(fd, bytes.data(), bytes.size(), tmp);
  if (err.empty() && ::fsync(fd) != 0) err = errno_text("fsync " + tmp);
  ::close(fd);
  if (err.empty() && std::rename(tmp.c_str(), (dir + "/" + name).c_str()) != 0)
    err = errno_text("rename " + tmp);
  if (!err.empty()) {
    ::unlink(tmp.c_str());
    return err;
  }
  return sync_dir(dir);
}

std::string read_whole_file(const std::string& path, std::vector<std::uint8_t>& out) {
  out.clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_text("open " + path);
  std::uint8_t buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string err = errno_text("read " + path);
      ::close(fd);
      return err;
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  return {};
}

JournalWriter::~JournalWriter() {
  (void)flush(0);
  close_fd();
}

void JournalWriter::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string JournalWriter::open(const std::string& dir, const JournalIdentity& id,
                                std::uint64_t next_seq, const JournalOptions& options) {
  dir_ = dir;
  id_ = id;
  options_ = options;
  next_seq_ = next_seq;
  buffer_.reserve(1 << 20);
  return start_segment();
}

std::string JournalWriter::start_segment() {
  close_fd();
  path_ = dir_ + "/" + segment_name(next_seq_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd_ < 0) return errno_text("create " + path_);
  std::vector<std::uint8_t> header;
  append_identity(header, kJournalMagic, id_);
  if (std::string err = write_all(fd_, header.data(), header.size(), path_); !err.empty())
    return err;
  segment_size_ = header.size();
  bytes_written_ += header.size();
  // The new name must survive a power loss before records are trusted to it.
  if (::fdatasync(fd_) != 0) return errno_text("fdatasync " + path_);
  return sync_dir(dir_);
}

std::uint64_t JournalWriter::append(std::uint16_t kind, std::span<const std::uint8_t> payload) {
  const std::uint64_t seq = next_seq_++;
  append_record(buffer_, seq, kind, payload);
  return seq;
}

std::string JournalWriter::flush(std::int64_t now_ms) {
  if (fd_ < 0) return buffer_.empty() ? std::string() : "journal: no segment open";
  if (!buffer_.empty()) {
    if (std::string err = write_all(fd_, buffer_.data(), buffer_.size(), path_); !err.empty())
      return err;
    segment_size_ += buffer_.size();
    bytes_written_ += buffer_.size();
    buffer_.clear();
    dirty_ = true;
  }
  const bool due = options_.sync == JournalSync::kEveryBatch ||
                   (options_.sync == JournalSync::kInterval &&
                    now_ms - last_sync_ms_ >= options_.sync_interval_ms);
  if (dirty_ && due) {
    if (std::string err = sync(); !err.empty()) return err;
    last_sync_ms_ = now_ms;
  }
  if (segment_size_ >= options_.segment_bytes) {
    if (std::string err = sync(); !err.empty()) return err;
    return start_segment();
  }
  return {};
}

std::string JournalWriter::sync() {
  if (fd_ < 0 || !dirty_) return {};
  if (::fdatasync(fd_) != 0) return errno_text("fdatasync " + path_);
  dirty_ = false;
  return {};
}

void JournalWriter::remove_segments_before(std::uint64_t seq) {
  const std::vector<std::string> names = list_by_seq(dir_, "journal-", ".seg");
  // Segment i holds [first_i, first_{i+1}): it may go when the next one starts at or
  // before `seq` + 1. The open segment always stays.
  for (std::size_t i = 0; i + 1 < names.size(); ++i) {
    const std::uint64_t next_first = seq_of_name(names[i + 1], "journal-", ".seg");
    if (next_first > seq + 1) break;
    if (dir_ + "/" + names[i] == path_) break;
    ::unlink((dir_ + "/" + names[i]).c_str());
  }
}

}  // namespace exitbrain
