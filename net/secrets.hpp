#pragma once
// API keys and secrets: read from an environment variable or a private file, held in a
// buffer that is wiped (OPENSSL_cleanse) when released, and never printed. Error messages
// name the variable or the file and its mode, never the content.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace exitbrain {

class Secret {
 public:
  Secret() noexcept = default;
  explicit Secret(std::string_view bytes);
  ~Secret();
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  // The bytes, for the signer and the X-MBX-APIKEY header only. Named so a reviewer sees it.
  std::string_view reveal() const noexcept { return {bytes_.get(), size_}; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // "****" plus the length, e.g. "****(64 bytes)": safe to log.
  std::string redacted() const;
  // Wipes and releases the bytes now.
  void clear() noexcept;

 private:
  // A heap buffer, not a std::string: moving hands the pointer over and leaves no copy
  // behind (a short string's bytes would stay in the moved-from object).
  std::unique_ptr<char[]> bytes_;
  std::size_t size_ = 0;
};
// No operator<< on purpose: streaming a Secret does not compile.

struct SecretResult {
  Secret secret;
  std::string error;  // empty when ok; never contains the secret
  bool ok() const noexcept { return error.empty(); }
};

// The secret from environment variable `env_name` when it is set and not empty; otherwise
// from `file_path` (when not empty), which must be a regular file owned by the current user
// with no group or other permission bits (0600 or 0400). Trailing '\n' / '\r' are
// stripped. An empty result is an error naming the variable (and the file).
SecretResult load_secret(std::string_view env_name, std::string_view file_path);

}  // namespace exitbrain
