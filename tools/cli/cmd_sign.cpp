// exitbrain sign: the HMAC-SHA256 signature Binance expects for a query string, with the
// secret from the environment, for users chasing a -1022 INVALID_SIGNATURE.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "net/hmac_signer.hpp"
#include "tools/cli/commands.hpp"

namespace exitbrain::cli {
namespace {

struct SignOptions {
  std::string query;
  std::string secret_env = "BINANCE_API_SECRET";
};

int run_sign(const SignOptions& o) {
  const char* secret = std::getenv(o.secret_env.c_str());
  // The secret itself never appears in any message.
  if (!secret || !*secret)
    throw InputError("--secret-env: environment variable " + o.secret_env + " is not set or empty");
  if (o.query.find("signature=") != std::string::npos)
    throw InputError("--query: remove the signature parameter; it is what this command computes");
  const HmacSha256Signer signer(secret);
  char hex[HmacSha256Signer::kHexLength];
  signer.sign(o.query, hex);
  std::printf("%.*s\n", static_cast<int>(sizeof hex), hex);
  return 0;
}

}  // namespace

void add_sign_command(CLI::App& root, int& exit_code) {
  auto o = std::make_shared<SignOptions>();
  CLI::App* cmd = root.add_subcommand(
      "sign", "Print the HMAC-SHA256 signature of a query string (query then body, no separator)");
  cmd->add_option("--query", o->query, "the totalParams string, without signature=")->required();
  cmd->add_option("--secret-env", o->secret_env, "environment variable holding the API secret")
      ->capture_default_str();
  cmd->callback([o, &exit_code] { exit_code = run_sign(*o); });
}

}  // namespace exitbrain::cli
