#pragma once
// HMAC-SHA256 request signing (binance-api.md §3). The key's inner and outer SHA-256
// states are computed once; a signature then costs two state copies and the hashing:
// no allocation, no syscall, nothing that can fail. (OpenSSL's EVP_MAC duplicates provider
// contexts per call, which allocates: not for the order path.)
#include <openssl/sha.h>

#include <cstddef>
#include <string_view>

namespace exitbrain {

class HmacSha256Signer {
 public:
  static constexpr std::size_t kHexLength = 64;

  // The secret is hashed into the two states and not kept. An empty secret is allowed
  // (the signature is then well-defined but useless); callers check for one.
  explicit HmacSha256Signer(std::string_view secret) noexcept;
  ~HmacSha256Signer();
  HmacSha256Signer(const HmacSha256Signer&) = delete;
  HmacSha256Signer& operator=(const HmacSha256Signer&) = delete;

  // Lowercase hex of HMAC-SHA256(secret, payload) into out[0..64). `payload` is the query
  // string followed directly by the body (Binance's totalParams), without "signature=".
  void sign(std::string_view payload, char* out) const noexcept;

 private:
  SHA256_CTX inner_{};
  SHA256_CTX outer_{};
};

}  // namespace exitbrain
