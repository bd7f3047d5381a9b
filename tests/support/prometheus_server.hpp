#pragma once
// A real Prometheus server (Debian's `prometheus` package) for one test: started on a free
// loopback port in the test's directory, scraping one target every second, queried over
// its HTTP API, stopped at the end.
#include <optional>
#include <string>

#include "tools/process/child_process.hpp"

namespace exitbrain::testing {

class PrometheusServer {
 public:
  PrometheusServer() = default;
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;
  ~PrometheusServer() { stop(); }

  // Writes a scrape config for `target` ("127.0.0.1:port", path /metrics) into `dir`,
  // starts prometheus there on a free port and waits until it is ready. "" or why not.
  std::string start(const std::string& dir, const std::string& target);
  void stop();
  int port() const { return port_; }

  // GET /api/v1/query?query=<promql>: the value of the first sample of the result, if the
  // query succeeded and returned one.
  std::optional<double> query(const std::string& promql, std::string* body = nullptr) const;
  // The target's scrape health ("up", "down", "unknown") from /api/v1/targets.
  std::string target_health() const;

 private:
  ChildProcess process_{"prometheus"};
  std::string dir_;
  int port_ = 0;
};

// Where prometheus and promtool are ("" if not installed).
std::string prometheus_binary();
std::string promtool_binary();

}  // namespace exitbrain::testing
