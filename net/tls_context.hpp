#pragma once
// The client TLS configuration shared by every exchange connection: certificates are
// always verified (the system store, or `ca_file` when a test CA is configured
// explicitly), TLS 1.2 or later, and the host name is checked against the certificate.
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

namespace exitbrain {

// Returns null and sets `error` (naming the file) when the CA file cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& ca_file,
                                                                   std::string& error);

}  // namespace exitbrain
