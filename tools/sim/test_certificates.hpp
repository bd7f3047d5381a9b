#pragma once
// A throw-away certificate authority and a server certificate for loopback TLS (tests, the
// demo): the simulator serves wss:// and https:// with them, and exitbrain verifies them
// through `ca_file`, the same verification it applies to the real exchange.
#include <string>

namespace exitbrain::sim {

struct CertificatePaths {
  std::string ca_cert;      // dir/ca.pem: what clients trust (ca_file)
  std::string server_cert;  // dir/server.pem
  std::string server_key;   // dir/server.key (0600)
};

// Writes a new CA and a server certificate for "localhost" and 127.0.0.1 (EC P-256,
// SHA-256, valid 30 days) into `dir`. Returns an error text, empty on success.
std::string generate_test_certificates(const std::string& dir, CertificatePaths& out);

}  // namespace exitbrain::sim
