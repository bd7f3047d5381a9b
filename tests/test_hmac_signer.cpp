#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "net/hmac_signer.hpp"
#include "tests/support/counting_new.inc"
#include "tests/support/paths.hpp"
#include "tests/support/run_command.hpp"
#include "tools/market_data/synthetic_walk.hpp"

// OpenSSL's own allocations, counted from before its first one (static initialisation).
namespace {
std::atomic<long> g_openssl_allocations{0};
void* counting_malloc(std::size_t n, const char*, int) {
  g_openssl_allocations.fetch_add(1);
  return std::malloc(n);
}
void* counting_realloc(void* p, std::size_t n, const char*, int) {
  g_openssl_allocations.fetch_add(1);
  return std::realloc(p, n);
}
void counting_free(void* p, const char*, int) {
  std::free(p);
}
const bool g_hooked = CRYPTO_set_mem_functions(counting_malloc, counting_realloc, counting_free);
}  // namespace

namespace exitbrain {
namespace {

std::string sign(std::string_view secret, std::string_view payload) {
  HmacSha256Signer signer(secret);
  std::string out(HmacSha256Signer::kHexLength, '?');
  signer.sign(payload, out.data());
  return out;
}

constexpr std::string_view kSecret =
    "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

TEST(HmacSigner, ReproducesBinancesDocumentedExample) {
  EXPECT_EQ(sign(kSecret,
                 "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&"
                 "recvWindow=5000&timestamp=1591702613943"),
            "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9");
}

TEST(HmacSigner, MixedQueryAndBodyIsOneConcatenatedPayload) {
  // Example 3 as the doc prints it (with its stray space), and as a client really sends it.
  EXPECT_EQ(sign(kSecret,
                 "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=9000&"
                 "recvWindow=5000&timestamp= 1591702613943"),
            "f9d0ae5e813ef6ccf15c2b5a434047a0181cb5a342b903b367ca6d27a66e36f2");
  EXPECT_EQ(sign(kSecret,
                 "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=9000&"
                 "recvWindow=5000&timestamp=1591702613943"),
            "30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4");
}

TEST(HmacSigner, AgreesWithOpenSslHmacForAnyKeyAndPayloadLength) {
  SplitMix64 rng(11);
  for (std::size_t key_len : {0u, 1u, 32u, 63u, 64u, 65u, 200u}) {
    for (std::size_t msg_len : {0u, 1u, 55u, 56u, 64u, 119u, 300u}) {
      std::string key(key_len, '\0'), msg(msg_len, '\0');
      for (char& c : key) c = static_cast<char>(rng.next());
      for (char& c : msg) c = static_cast<char>(rng.next());
      unsigned char md[32];
      unsigned int md_len = 0;
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), md, &md_len);
      ASSERT_EQ(md_len, 32u);
      std::string hex;
      for (unsigned char b : md) {
        static constexpr char kHex[] = "0123456789abcdef";
        hex += kHex[b >> 4];
        hex += kHex[b & 0xF];
      }
      EXPECT_EQ(sign(key, msg), hex) << "key " << key_len << " bytes, payload " << msg_len;
    }
  }
}

TEST(HmacSigner, SigningAllocatesNothing) {
  ASSERT_TRUE(g_hooked) << "OpenSSL allocated before the test could count it";
  HmacSha256Signer signer(kSecret);
  char out[HmacSha256Signer::kHexLength];
  const std::string payload =
      "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.5&timestamp=1591702613943";
  signer.sign(payload, out);  // warm
  const long before_new = g_allocations.load(), before_ssl = g_openssl_allocations.load();
  for (int i = 0; i < 10'000; ++i) signer.sign(payload, out);
  EXPECT_EQ(g_allocations.load() - before_new, 0);
  EXPECT_EQ(g_openssl_allocations.load() - before_ssl, 0);
  // The hook is live: OpenSSL's own one-shot HMAC does allocate through it.
  unsigned char md[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), "k", 1, reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
       md, &len);
  EXPECT_GT(g_openssl_allocations.load() - before_ssl, 0);
}

std::string exitbrain_bin() {
  return (testing::bin_dir() / "exitbrain").string();
}

TEST(SignCommand, PrintsTheDocumentedSignature) {
  const std::string query =
      "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&"
      "timestamp=1591702613943";
  const auto r = testing::run_command("BINANCE_API_SECRET=" + std::string(kSecret) + " " +
                                      exitbrain_bin() + " sign --query '" + query + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9\n");
  const auto other =
      testing::run_command("MY_SECRET=" + std::string(kSecret) + " " + exitbrain_bin() +
                           " sign --secret-env MY_SECRET --query '" + query + "'");
  EXPECT_EQ(other.output, r.output);
}

TEST(SignCommand, MissingSecretIsNamedAndNeverPrinted) {
  auto r =
      testing::run_command("env -u BINANCE_API_SECRET " + exitbrain_bin() + " sign --query 'a=1'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("BINANCE_API_SECRET is not set"), std::string::npos) << r.output;
  r = testing::run_command("BINANCE_API_SECRET=" + std::string(kSecret) + " " + exitbrain_bin() +
                           " sign --query 'a=1&signature=ab'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output.find(std::string(kSecret)), std::string::npos) << "the secret leaked";
}

}  // namespace
}  // namespace exitbrain
