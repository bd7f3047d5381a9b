#include "tools/sim/test_certificates.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>

namespace exitbrain::sim {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key new_key() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx && EVP_PKEY_keygen_init(ctx) > 0 &&
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) > 0)
    EVP_PKEY_keygen(ctx, &key);
  EVP_PKEY_CTX_free(ctx);
  return Key(key);
}

bool add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

Cert new_cert(EVP_PKEY* key, const char* common_name, long serial, X509* issuer,
              EVP_PKEY* issuer_key, bool is_ca) {
  Cert cert(X509_new());
  if (!cert) return nullptr;
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("exitbrain tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  const bool ok =
      is_ca ? add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE") &&
                  add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign")
            : add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE") &&
                  add_extension(cert.get(), signer, NID_subject_alt_name,
                                "DNS:localhost,IP:127.0.0.1") &&
                  add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
  if (!ok || X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) return nullptr;
  return cert;
}

bool write_pem(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  const bool ok = PEM_write_X509(f, cert) == 1;
  return std::fclose(f) == 0 && ok;
}

bool write_key(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  ::chmod(path.c_str(), 0600);
  const bool ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  return std::fclose(f) == 0 && ok;
}

}  // namespace

std::string generate_test_certificates(const std::string& dir, CertificatePaths& out) {
  Key ca_key = new_key();
  Key server_key = new_key();
  if (!ca_key || !server_key) return "cannot generate EC keys";
  Cert ca = new_cert(ca_key.get(), "exitbrain test CA", 1, nullptr, ca_key.get(), true);
  if (!ca) return "cannot create the CA certificate";
  Cert server = new_cert(server_key.get(), "localhost", 2, ca.get(), ca_key.get(), false);
  if (!server) return "cannot create the server certificate";
  out.ca_cert = dir + "/ca.pem";
  out.server_cert = dir + "/server.pem";
  out.server_key = dir + "/server.key";
  if (!write_pem(out.ca_cert, ca.get()) || !write_pem(out.server_cert, server.get()) ||
      !write_key(out.server_key, server_key.get()))
    return "cannot write the certificates into " + dir;
  return {};
}

}  // namespace exitbrain::sim
