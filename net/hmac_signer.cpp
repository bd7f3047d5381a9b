#include "net/hmac_signer.hpp"

#include <openssl/crypto.h>

#include <array>

// The SHA256_* context functions are deprecated in OpenSSL 3 in favour of EVP_Digest*,
// whose contexts allocate when copied; these are plain structs and copy for free.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace exitbrain {
namespace {

constexpr std::size_t kBlock = SHA256_CBLOCK;  // 64

}  // namespace

HmacSha256Signer::HmacSha256Signer(std::string_view secret) noexcept {
  // RFC 2104: a key longer than the block is hashed first; then padded with zeros.
  std::array<unsigned char, kBlock> key{};
  if (secret.size() > kBlock) {
    SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), key.data());
  } else {
    for (std::size_t i = 0; i < secret.size(); ++i) key[i] = static_cast<unsigned char>(secret[i]);
  }
  std::array<unsigned char, kBlock> pad{};
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = static_cast<unsigned char>(key[i] ^ 0x36);
  SHA256_Init(&inner_);
  SHA256_Update(&inner_, pad.data(), pad.size());
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = static_cast<unsigned char>(key[i] ^ 0x5c);
  SHA256_Init(&outer_);
  SHA256_Update(&outer_, pad.data(), pad.size());
  OPENSSL_cleanse(key.data(), key.size());
  OPENSSL_cleanse(pad.data(), pad.size());
}

HmacSha256Signer::~HmacSha256Signer() {
  OPENSSL_cleanse(&inner_, sizeof inner_);
  OPENSSL_cleanse(&outer_, sizeof outer_);
}

void HmacSha256Signer::sign(std::string_view payload, char* out) const noexcept {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx = inner_;
  SHA256_Update(&ctx, payload.data(), payload.size());
  SHA256_Final(digest, &ctx);
  ctx = outer_;
  SHA256_Update(&ctx, digest, sizeof digest);
  SHA256_Final(digest, &ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xF];
  }
  OPENSSL_cleanse(&ctx, sizeof ctx);
}

}  // namespace exitbrain
