// exitbrain-soak-check: the fault soak's verdict (tools/soak.sh runs it at the end). Reads
// exitbrain-sim's order record, the samples of the daemon's resources and the trade.closed
// stream from Redis, and prints one line per invariant: "N passed, M failed".
// Exit status 0 when nothing failed, 1 when an invariant failed, 2 on bad arguments.
// With --save-closed FILE it only appends trade.closed as it stands to FILE (the soak does
// that before Redis restarts without its data); --closed-file FILE adds those rows back.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "net/redis_client.hpp"
#include "tools/soak/soak_check.hpp"

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream s;
  s << f.rdbuf();
  out = s.str();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace exitbrain;
  CLI::App app{"exitbrain-soak-check: the fault soak's invariants, from the exchange's record"};
  std::string orders, samples, redis_url, stream = "quantum:stream:trade.closed";
  std::string save_closed, closed_file, marks, faults;
  soak::SoakInputs in;
  app.add_option("--orders", orders, "GET /sim/orders of the soak's exitbrain-sim");
  app.add_option("--save-closed", save_closed,
                 "append trade.closed as it stands to this file (<stream id> <client id> lines) "
                 "and exit");
  app.add_option("--closed-file", closed_file,
                 "trade.closed rows saved by --save-closed (a missing file: none)");
  app.add_option("--samples", samples, "resource samples: <ms> <pid> <rss kB> <fds> <threads>");
  app.add_option("--redis", redis_url, "the Redis the daemon published trade.closed to")
      ->required();
  app.add_option("--closed-stream", stream, "the trade.closed stream")->capture_default_str();
  app.add_option("--stop-grace-ms", in.stop_grace_ms,
                 "a new position must hold a stop of ours this soon")
      ->capture_default_str()
      ->check(CLI::Range(0, 600'000));
  app.add_option("--warm-up-ms", in.warm_up_ms, "samples of a process this early are warm-up")
      ->capture_default_str()
      ->check(CLI::Range(0, 3'600'000));
  app.add_option("--marks", marks, "GET /sim/marks: the streamed marks (stop breaches judged)");
  app.add_option("--faults", faults, "the schedule's faults: <start ms> <end ms> <name> lines");
  app.add_option("--act-within-ms", in.act_within_ms,
                 "a stop breach must be acted on this soon (after a fault: of its end)")
      ->capture_default_str()
      ->check(CLI::Range(0, 600'000));
  app.add_option("--stop-buffer", in.stop_buffer, "exitbrain's [hard_stop] buffer")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.5));
  app.add_option("--stop-min-move", in.stop_min_move, "exitbrain's [hard_stop] min_move")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.5));
  CLI11_PARSE(app, argc, argv);

  if (save_closed.empty() && orders.empty()) {
    std::cerr << "exitbrain-soak-check: --orders is required (or --save-closed)\n";
    return 2;
  }
  if (save_closed.empty() && !read_file(orders, in.orders_json)) {
    std::cerr << "exitbrain-soak-check: cannot read --orders " << orders << "\n";
    return 2;
  }
  if (!samples.empty() && !read_file(samples, in.samples)) {
    std::cerr << "exitbrain-soak-check: cannot read --samples " << samples << "\n";
    return 2;
  }
  if (!marks.empty() && !read_file(marks, in.marks_json)) {
    std::cerr << "exitbrain-soak-check: cannot read --marks " << marks << "\n";
    return 2;
  }
  if (!faults.empty() && !read_file(faults, in.faults)) {
    std::cerr << "exitbrain-soak-check: cannot read --faults " << faults << "\n";
    return 2;
  }
  const RedisUrlResult url = parse_redis_url(redis_url);
  if (!url.error.empty()) {
    std::cerr << "exitbrain-soak-check: --redis: " << url.error << "\n";
    return 2;
  }
  RedisConnection redis(RedisOptions{url.url});
  if (const std::string e = redis.connect(); !e.empty()) {
    std::cerr << "exitbrain-soak-check: Redis " << url.url.redacted() << ": " << e << "\n";
    return 2;
  }
  const RedisReply rows = redis.command({"XRANGE", stream, "-", "+"});
  if (!rows.ok()) {
    std::cerr << "exitbrain-soak-check: XRANGE " << stream << " failed\n";
    return 2;
  }
  // Stream id -> row: the saved rows and the live ones, each entry once.
  std::map<std::string, std::map<std::string, std::string>> by_id;
  for (std::size_t i = 0; i < rows.value().size(); ++i) {
    const RedisValue fields = rows.value()[i][1];
    std::map<std::string, std::string> row;
    for (std::size_t k = 0; k + 1 < fields.size(); k += 2)
      row[std::string(fields[k].text())] = std::string(fields[k + 1].text());
    by_id[std::string(rows.value()[i][0].text())] = std::move(row);
  }
  if (!save_closed.empty()) {
    std::ofstream f(save_closed, std::ios::app);
    for (const auto& [id, row] : by_id) {
      const auto it = row.find("client_order_id");
      f << id << ' ' << (it == row.end() ? std::string("<none>") : it->second) << '\n';
    }
    if (!f) {
      std::cerr << "exitbrain-soak-check: cannot write --save-closed " << save_closed << "\n";
      return 2;
    }
    return 0;
  }
  if (!closed_file.empty()) {
    std::ifstream f(closed_file);
    std::string id, client;
    while (f >> id >> client)
      if (!by_id.count(id)) by_id[id] = {{"client_order_id", client}};
  }
  for (auto& [id, row] : by_id) in.closed.push_back(std::move(row));
  const std::vector<soak::InvariantResult> results = soak::check_soak(in);
  std::cout << soak::format_results(results);
  bool failed = false;
  for (const auto& r : results) failed = failed || r.failed > 0;
  return failed ? 1 : 0;
}
