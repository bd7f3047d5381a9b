#include "net/secrets.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace exitbrain {

Secret::Secret(std::string_view bytes) : bytes_(new char[bytes.empty() ? 1 : bytes.size()]) {
  if (!bytes.empty()) std::memcpy(bytes_.get(), bytes.data(), bytes.size());
  size_ = bytes.size();
}

Secret::~Secret() {
  clear();
}

Secret::Secret(Secret&& other) noexcept
    : bytes_(std::move(other.bytes_)), size_(std::exchange(other.size_, 0)) {}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    clear();
    bytes_ = std::move(other.bytes_);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void Secret::clear() noexcept {
  if (bytes_ && size_ != 0) OPENSSL_cleanse(bytes_.get(), size_);
  bytes_.reset();
  size_ = 0;
}

std::string Secret::redacted() const {
  return "****(" + std::to_string(size_) + " bytes)";
}

namespace {

constexpr std::size_t kMaxSecretFileBytes = 64 * 1024;

std::string_view strip_newlines(std::string_view s) noexcept {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Wipes a read buffer on every way out of load_from_file.
struct WipedBuffer {
  std::unique_ptr<char[]> data;
  std::size_t size = 0;
  ~WipedBuffer() {
    if (data && size != 0) OPENSSL_cleanse(data.get(), size);
  }
};

SecretResult load_from_file(std::string_view env_name, const std::string& path) {
  SecretResult result;
  const std::string where = "secret file '" + path + "'";
  // Opened first and checked through the descriptor: the file checked is the file read.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    result.error = "cannot open " + where + ": " + std::strerror(err);
    return result;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    result.error = "cannot stat " + where + ": " + std::strerror(err);
    return result;
  }
  if (!S_ISREG(st.st_mode)) {
    result.error = where + " is not a regular file";
    return result;
  }
  const uid_t me = ::geteuid();
  if (st.st_uid != me) {
    result.error = where + " is owned by uid " + std::to_string(st.st_uid) +
                   ", not by the current user (uid " + std::to_string(me) + ")";
    return result;
  }
  if ((st.st_mode & 077) != 0) {
    result.error = where + " has mode " + mode_text(st.st_mode) +
                   ": group and other permission bits must be clear (chmod 600 or 400)";
    return result;
  }
  if (st.st_size < 0 || static_cast<std::size_t>(st.st_size) > kMaxSecretFileBytes) {
    result.error = where + " is larger than " + std::to_string(kMaxSecretFileBytes) + " bytes";
    return result;
  }
  WipedBuffer buffer;
  buffer.size = kMaxSecretFileBytes + 1;
  buffer.data.reset(new char[buffer.size]);
  std::size_t used = 0;
  while (used < buffer.size) {
    const ssize_t n = ::read(fd, buffer.data.get() + used, buffer.size - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      result.error = "cannot read " + where + ": " + std::strerror(err);
      return result;
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  if (used > kMaxSecretFileBytes) {
    result.error = where + " is larger than " + std::to_string(kMaxSecretFileBytes) + " bytes";
    return result;
  }
  const std::string_view text = strip_newlines(std::string_view(buffer.data.get(), used));
  if (text.empty()) {
    result.error = env_name.empty() ? where + " is empty"
                                    : std::string(env_name) + " is not set (or empty) and " +
                                          where + " is empty";
    return result;
  }
  result.secret = Secret(text);
  return result;
}

}  // namespace

SecretResult load_secret(std::string_view env_name, std::string_view file_path) {
  const std::string name(env_name);
  if (!name.empty()) {
    if (const char* value = std::getenv(name.c_str())) {
      const std::string_view text = strip_newlines(value);
      if (!text.empty()) {
        SecretResult result;
        result.secret = Secret(text);
        return result;
      }
    }
  }
  if (!file_path.empty()) return load_from_file(env_name, std::string(file_path));
  SecretResult result;
  if (name.empty()) {
    result.error = "no environment variable and no secret file given";
  } else if (std::getenv(name.c_str()) != nullptr) {
    result.error = "environment variable " + name + " is empty and no secret file is configured";
  } else {
    result.error = "environment variable " + name + " is not set and no secret file is configured";
  }
  return result;
}

}  // namespace exitbrain
