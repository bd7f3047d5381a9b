#include "tests/support/prometheus_server.hpp"

#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "net/rest_client.hpp"
#include "tests/support/loopback_port.hpp"

namespace exitbrain::testing {

namespace {

std::string first_existing(std::initializer_list<const char*> paths) {
  for (const char* p : paths)
    if (std::filesystem::exists(p)) return p;
  return {};
}

// Percent-encoding of a PromQL expression for a query string.
std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

RestReply get(int port, const std::string& path, const std::string& query) {
  RestClientOptions o;
  o.timeout_ms = 5000;
  RestClient c(HttpTarget{false, "127.0.0.1", std::to_string(port)}, nullptr, o);
  return c.request(HttpMethod::kGet, path, query, false);
}

}  // namespace

std::string prometheus_binary() {
  return first_existing({"/usr/bin/prometheus", "/usr/local/bin/prometheus"});
}

std::string promtool_binary() {
  return first_existing({"/usr/bin/promtool", "/usr/local/bin/promtool"});
}

std::string PrometheusServer::start(const std::string& dir, const std::string& target) {
  const std::string bin = prometheus_binary();
  if (bin.empty()) return "prometheus is not installed (tools/install-deps.sh installs it)";
  dir_ = dir;
  {
    std::ofstream cfg(dir + "/prometheus.yml");
    cfg << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        << "scrape_configs:\n  - job_name: exitbrain\n    static_configs:\n"
        << "      - targets: ['" << target << "']\n";
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    if (port_ == 0) return "no free loopback port";
    process_.start({bin, "--config.file=" + dir + "/prometheus.yml",
                    "--storage.tsdb.path=" + dir + "/prometheus-data",
                    "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"},
                   dir + "/prometheus.log");
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until && process_.running()) {
      if (get(port_, "/-/ready", "").status == 200) return {};
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (process_.running()) {
      process_.stop(5000);
      return "prometheus did not become ready; see " + dir + "/prometheus.log";
    }
    // Exited: the port was taken meanwhile, most likely. Again on another.
  }
  return "prometheus did not start; see " + dir + "/prometheus.log";
}

void PrometheusServer::stop() {
  if (process_.running()) process_.stop(5000);
}

std::optional<double> PrometheusServer::query(const std::string& promql, std::string* body) const {
  const RestReply r = get(port_, "/api/v1/query", "query=" + url_encode(promql));
  if (body) *body = r.body;
  if (r.status != 200) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(r.body).get(doc)) return std::nullopt;
  simdjson::dom::array result;
  if (doc["data"]["result"].get(result) || result.size() == 0) return std::nullopt;
  simdjson::dom::array value;
  if ((*result.begin())["value"].get(value) || value.size() != 2) return std::nullopt;
  std::string_view text;
  if (value.at(1).get(text)) return std::nullopt;
  try {
    return std::stod(std::string(text));
  } catch (...) {
    return std::nullopt;
  }
}

std::string PrometheusServer::target_health() const {
  const RestReply r = get(port_, "/api/v1/targets", "");
  const auto at = r.body.find("\"health\":\"");
  if (at == std::string::npos) return "unknown";
  const auto from = at + 10;
  return r.body.substr(from, r.body.find('"', from) - from);
}

}  // namespace exitbrain::testing
