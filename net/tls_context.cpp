#include "net/tls_context.hpp"

namespace exitbrain {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> make_client_tls_context(const std::string& ca_file,
                                                      std::string& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty())
    ctx->set_default_verify_paths(ec);
  else
    ctx->load_verify_file(ca_file, ec);
  if (ec) {
    error = ca_file.empty() ? "cannot load the system CA store: " + ec.message()
                            : "ca_file " + ca_file + ": " + ec.message();
    return nullptr;
  }
  return ctx;
}

}  // namespace exitbrain
