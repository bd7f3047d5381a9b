// exitbrain-bench at-rest: the CPU `exitbrain run` uses while nothing happens, in the seeds'
// deployment shape: 9 positions, one per symbol, each symbol streaming markPrice@1s (and the
// kline_1m exitbrain subscribes beside it) at real speed from exitbrain-sim. The process's
// CPU time (every thread, user + system) is read over a wall-clock window after a warm-up,
// once per wait strategy, each in a fresh pair of processes. A position the market stops
// out meanwhile is opened again (counted), so that 9 stay managed. The sim's own CPU is
// reported apart: it is the exchange, not part of the figure.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/e2e/bench_commands.hpp"
#include "bench/e2e/live_session.hpp"
#include "bench/e2e/sample_stats.hpp"
#include "core/clock.hpp"
#include "tools/cli/commands.hpp"
#include "tools/common/json_line.hpp"

namespace exitbrain::bench {
namespace {

// The target for `block` (the seeds aimed for under 4 % and never measured it).
constexpr double kTargetPercent = 1.0;

struct MarketSymbol {
  const char* name;
  double start_price;
  const char* qty;  // about 200 USDT, a multiple of the step the sim derives from the price
};
constexpr MarketSymbol kMarket[] = {
    {"BTCUSDT", 60'000, "0.004"}, {"ETHUSDT", 3'000, "0.07"}, {"SOLUSDT", 150, "1.4"},
    {"BNBUSDT", 600, "0.4"},      {"XRPUSDT", 0.6, "400"},    {"DOGEUSDT", 0.15, "1500"},
    {"ADAUSDT", 0.5, "400"},      {"AVAXUSDT", 30, "7"},      {"LINKUSDT", 15, "14"},
};
constexpr int kPositions = static_cast<int>(std::size(kMarket));

struct AtRestOptions {
  double seconds = 30;
  double warmup_s = 3;
  std::string waits = "block,spin";
  bool fused = false;
  std::string cpus;
  bool tls = false;
  std::string sim_path, exitbrain_path, dir, json;
  bool keep = false;
};

struct CpuReading {
  std::int64_t clock_ns = -1;  // the process's CPU-time clock (every thread, ns)
  std::int64_t stat_ns = -1;   // utime + stime of /proc/<pid>/stat (clock ticks)
};

// Both counters of one process: the CPU-time clock is exact; /proc's ticks cross-check it.
CpuReading read_cpu(pid_t pid) {
  CpuReading r;
  clockid_t clock;
  timespec ts{};
  if (::clock_getcpuclockid(pid, &clock) == 0 && ::clock_gettime(clock, &ts) == 0)
    r.clock_ns = static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close_paren = text.rfind(')');  // the command name may hold spaces
  if (close_paren != std::string::npos) {
    std::istringstream fields(text.substr(close_paren + 2));
    std::string f;
    long long utime = -1, stime = -1;
    for (int i = 3; fields >> f; ++i) {  // field 3 is the state; utime is 14, stime 15
      if (i == 14) utime = std::stoll(f);
      if (i == 15) {
        stime = std::stoll(f);
        break;
      }
    }
    if (utime >= 0 && stime >= 0)
      r.stat_ns = (utime + stime) * (1'000'000'000 / ::sysconf(_SC_CLK_TCK));
  }
  if (r.clock_ns < 0 && r.stat_ns < 0)
    throw std::runtime_error("cannot read the CPU time of process " + std::to_string(pid));
  return r;
}

std::int64_t best_ns(const CpuReading& r) {
  return r.clock_ns >= 0 ? r.clock_ns : r.stat_ns;
}

// ns on CPU of every thread of `pid` (/proc/<pid>/task/<tid>/schedstat), by thread id,
// with its name (exitbrain names its threads eb-md, eb-state, ..., eb-events).
std::map<std::string, std::pair<std::string, std::int64_t>> thread_cpu(pid_t pid) {
  std::map<std::string, std::pair<std::string, std::int64_t>> out;
  std::error_code ec;
  const std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(task_dir, ec)) {
    std::ifstream comm(task.path() / "comm"), sched(task.path() / "schedstat");
    std::string name;
    std::int64_t ns = -1;
    if (std::getline(comm, name) && (sched >> ns))
      out[task.path().filename().string()] = {name, ns};
  }
  return out;
}

// % of one core per thread name over the window (threads that ended meanwhile: left out).
std::vector<std::pair<std::string, double>> thread_percent(
    const std::map<std::string, std::pair<std::string, std::int64_t>>& before,
    const std::map<std::string, std::pair<std::string, std::int64_t>>& after, double wall_ns) {
  std::map<std::string, double> by_name;
  for (const auto& [tid, named] : after) {
    const auto was = before.find(tid);
    const std::int64_t from = was == before.end() ? 0 : was->second.second;
    by_name[named.first] += 100.0 * static_cast<double>(named.second - from) / wall_ns;
  }
  std::vector<std::pair<std::string, double>> out(by_name.begin(), by_name.end());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

struct AtRestResult {
  std::string wait;
  double wall_s = 0;
  double exitbrain_percent = 0;       // of one core
  double exitbrain_stat_percent = 0;  // the same from /proc/<pid>/stat ticks
  double sim_percent = 0;
  int managed = 0;     // positions with levels and a hard stop, still open at the end
  int exits = 0;       // exit decisions during the window (partial ones too)
  int reopened = 0;    // positions stopped out during the window, and opened again
  int stop_moves = 0;  // trailing / break-even moves during the window (the work at rest)
  std::vector<std::pair<std::string, double>> threads;  // exitbrain's, % of a core, by name
};

int count_lines(LiveSession& s, std::size_t from, const char* event) {
  const std::string needle = std::string("\"event\":\"") + event + "\"";
  int n = 0;
  for (std::size_t i = from; i < s.event_log().lines().size(); ++i)
    n += s.event_log().lines()[i].find(needle) != std::string::npos;
  return n;
}

// Waits until every position is adopted, has its (non-provisional) levels and a hard stop.
void wait_until_managed(LiveSession& s) {
  for (const char* event : {"position_adopted", "levels", "hard_stop_placed"}) {
    std::set<std::string> positions;  // distinct: a trailing stop places hard stops again
    s.wait_for_event(
        0,
        [&](std::string_view l) {
          if (has_field(l, "event", std::string("\"") + event + "\"") &&
              !has_field(l, "provisional", "true") && !has_field(l, "ok", "false"))
            positions.insert(json_field(l, "position"));
          return static_cast<int>(positions.size()) >= kPositions;
        },
        std::to_string(kPositions) + " positions' " + event + " events", 60'000);
  }
}

const char* side_of(int i) {
  return i % 2 ? "SHORT" : "LONG";  // both sides, as a trader's book has
}

std::string open_spec(int i) {  // exitbrain-sim --open
  return std::string(kMarket[i].name) + ":" + side_of(i) + ":" + kMarket[i].qty;
}

// Symbols whose position is open on the exchange.
std::vector<bool> open_on_exchange(LiveSession& s) {
  const std::string body = s.control(false, "/sim/positions");
  std::vector<bool> open(kPositions, false);
  for (int i = 0; i < kPositions; ++i) {
    const auto at = body.find(std::string("\"symbol\":\"") + kMarket[i].name + "\"");
    if (at == std::string::npos) continue;
    const std::string amount = json_field(std::string_view(body).substr(at), "positionAmt");
    open[static_cast<std::size_t>(i)] = !amount.empty() && amount != "0";
  }
  return open;
}

// The market may stop a position out (the seeds' profile trails 0.3 % behind): it is opened
// again at once, as the trader would, so that the window keeps 9 positions to manage.
int reopen_closed(LiveSession& s) {
  const std::vector<bool> open = open_on_exchange(s);
  int reopened = 0;
  for (int i = 0; i < kPositions; ++i) {
    if (open[static_cast<std::size_t>(i)]) continue;
    s.control(true, "/sim/open",
              std::string("symbol=") + kMarket[i].name + "&side=" + side_of(i) +
                  "&qty=" + kMarket[i].qty);
    ++reopened;
  }
  return reopened;
}

AtRestResult measure(const AtRestOptions& o, const ProgramPaths& programs, const std::string& wait,
                     const std::string& dir) {
  LiveSessionOptions so;
  so.sim_path = programs.sim;
  so.exitbrain_path = programs.exitbrain;
  so.dir = dir;
  so.tls = o.tls;
  for (int i = 0; i < kPositions; ++i) {
    so.symbols.emplace_back(kMarket[i].name, kMarket[i].start_price);
    so.open_at_start.push_back(open_spec(i));
  }
  so.threads = ThreadChoice{wait, o.fused, parse_cpu_list(o.cpus)};

  AtRestResult r;
  r.wait = wait;
  LiveSession session(so);
  try {
    session.start();
    wait_until_managed(session);
    sleep_checked(static_cast<int>(o.warmup_s * 1000));
    session.event_log().poll();
    const std::size_t window_from = session.event_log().lines().size();
    const CpuReading run0 = read_cpu(session.exitbrain().pid());
    const CpuReading sim0 = read_cpu(session.sim().pid());
    const auto threads0 = thread_cpu(session.exitbrain().pid());
    const MonoNs t0 = mono_now_ns();
    const auto window_ms = static_cast<int>(o.seconds * 1000);
    for (int slept = 0; slept < window_ms; slept += 1000) {
      sleep_checked(std::min(1000, window_ms - slept));
      session.check_running();
      r.reopened += reopen_closed(session);
    }
    const CpuReading run1 = read_cpu(session.exitbrain().pid());
    const CpuReading sim1 = read_cpu(session.sim().pid());
    const auto threads1 = thread_cpu(session.exitbrain().pid());
    const MonoNs t1 = mono_now_ns();

    const double wall_ns = static_cast<double>(t1 - t0);
    r.wall_s = wall_ns / 1e9;
    r.exitbrain_percent = 100.0 * static_cast<double>(best_ns(run1) - best_ns(run0)) / wall_ns;
    r.exitbrain_stat_percent = 100.0 * static_cast<double>(run1.stat_ns - run0.stat_ns) / wall_ns;
    r.sim_percent = 100.0 * static_cast<double>(best_ns(sim1) - best_ns(sim0)) / wall_ns;
    r.threads = thread_percent(threads0, threads1, wall_ns);
    session.event_log().poll();
    r.exits = count_lines(session, window_from, "exit");
    r.stop_moves = count_lines(session, window_from, "sl_moved");
    const std::vector<bool> open = open_on_exchange(session);
    r.managed = static_cast<int>(std::count(open.begin(), open.end(), true));
    if (const int code = session.stop(); code != 0)
      throw std::runtime_error("exitbrain run " + session.exitbrain().exit_text() +
                               " on SIGTERM (log: " + dir + "/run.log)");
  } catch (const std::exception& e) {
    session.stop();
    throw std::runtime_error("wait=" + wait + ": " + e.what() + "\n  (files kept in " + dir + ")");
  }
  return r;
}

std::vector<std::string> parse_waits(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string w;
  while (std::getline(ss, w, ',')) {
    if (w != "spin" && w != "spin-yield" && w != "block")
      throw InputError("--waits: '" + w + "' is not spin, spin-yield or block");
    out.push_back(w);
  }
  if (out.empty()) throw InputError("--waits: give at least one wait strategy");
  return out;
}

void print_report(const AtRestOptions& o, const std::vector<AtRestResult>& results) {
  std::printf(
      "\nCPU at rest: %d positions (one per symbol), %d x markPrice@1s + kline_1m at real speed,\n"
      "measured over %.1f s of wall time after a %.0f s warm-up; %ld CPUs online; fused=%s "
      "cpus=%s\n\n",
      kPositions, kPositions, results.front().wall_s, o.warmup_s, ::sysconf(_SC_NPROCESSORS_ONLN),
      o.fused ? "yes" : "no", o.cpus.empty() ? "not pinned" : o.cpus.c_str());
  std::printf("  %-26s", "wait strategy");
  for (const AtRestResult& r : results) std::printf(" %12s", r.wait.c_str());
  std::printf("\n  %-26s", "exitbrain run, % of a core");
  for (const AtRestResult& r : results) std::printf(" %10.3f %%", r.exitbrain_percent);
  std::printf("\n  %-26s", "  (/proc/<pid>/stat ticks)");
  for (const AtRestResult& r : results) std::printf(" %10.2f %%", r.exitbrain_stat_percent);
  std::printf("\n  %-26s", "exitbrain-sim (apart)");
  for (const AtRestResult& r : results) std::printf(" %10.3f %%", r.sim_percent);
  std::printf("\n  %-26s", "positions open at the end");
  for (const AtRestResult& r : results) std::printf(" %10d/%d", r.managed, kPositions);
  std::printf("\n  %-26s", "exits meanwhile");
  for (const AtRestResult& r : results) std::printf(" %12d", r.exits);
  std::printf("\n  %-26s", "  closed and reopened");
  for (const AtRestResult& r : results) std::printf(" %12d", r.reopened);
  std::printf("\n  %-26s", "trailing stop moves");
  for (const AtRestResult& r : results) std::printf(" %12d", r.stop_moves);
  std::printf("\n");
  for (const AtRestResult& r : results) {
    std::printf("\n  where it goes (%s, %% of a core by thread):", r.wait.c_str());
    for (const auto& [name, percent] : r.threads)
      if (percent >= 0.0005) std::printf(" %s %.3f", name.c_str(), percent);
  }
  std::printf("\n");
  const AtRestResult* block = nullptr;
  const AtRestResult* spin = nullptr;
  for (const AtRestResult& r : results) {
    if (r.wait == "block") block = &r;
    if (r.wait == "spin") spin = &r;
  }
  if (block && spin && block->exitbrain_percent > 0)
    std::printf("\n  spin / block: %.0f x the CPU\n",
                spin->exitbrain_percent / block->exitbrain_percent);
  if (spin) {
    // Each spinning pipeline thread wants a whole core; with fewer CPUs than threads the
    // figure is what the scheduler could give them, a floor of what spin costs.
    int pipeline = 0;
    for (const auto& [name, percent] : spin->threads)
      pipeline += name.rfind("eb-", 0) == 0 && name != "eb-events" && name != "eb-intents";
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    if (pipeline > cpus)
      std::printf(
          "  (spin: %d pipeline threads spinning on %ld CPUs, shared with whatever else "
          "runs: bounded by this machine; each wants a whole core)\n",
          pipeline, cpus);
  }
  if (block)
    std::printf(
        "\ntarget: block under %.0f %% of one core (the seeds aimed for under 4 %%, never "
        "measured): %s (%.3f %%)\n",
        kTargetPercent, block->exitbrain_percent < kTargetPercent ? "PASS" : "ABOVE TARGET",
        block->exitbrain_percent);
}

std::string results_json(const AtRestOptions& o, const std::vector<AtRestResult>& results) {
  JsonLine opts;
  opts.real("seconds", o.seconds).real("warmup_s", o.warmup_s).str("waits", o.waits);
  opts.boolean("fused", o.fused).str("cpus", o.cpus).boolean("tls", o.tls);
  std::string opts_text = opts.finish();
  opts_text.pop_back();
  std::string runs = "[";
  const AtRestResult* block = nullptr;
  for (const AtRestResult& r : results) {
    if (r.wait == "block") block = &r;
    JsonLine j;
    j.str("wait", r.wait).real("wall_s", r.wall_s);
    j.real("exitbrain_cpu_percent", r.exitbrain_percent);
    j.real("exitbrain_cpu_percent_proc_stat", r.exitbrain_stat_percent);
    j.real("sim_cpu_percent", r.sim_percent).num("positions_open_at_end", r.managed);
    j.num("exits_during_window", r.exits).num("reopened_during_window", r.reopened);
    j.num("stop_moves_during_window", r.stop_moves);
    JsonLine threads;
    for (const auto& [name, percent] : r.threads) threads.real(name, percent);
    std::string threads_text = threads.finish();
    threads_text.pop_back();
    j.raw("thread_cpu_percent", threads_text);
    std::string text = j.finish();
    text.pop_back();
    runs += (runs.size() > 1 ? "," : "") + text;
  }
  runs += "]";
  JsonLine j;
  j.str("mode", "at-rest").raw("options", opts_text);
  j.num("positions", kPositions).str("streams", "markPrice@1s + kline_1m per symbol, speed 1");
  j.num("cpus_online", static_cast<std::int64_t>(::sysconf(_SC_NPROCESSORS_ONLN)));
  j.str("measure", "CPU-time clock of the exitbrain process (all threads, user+system) / wall");
  j.raw("runs", runs).real("target_percent", kTargetPercent);
  if (block) j.boolean("block_under_target", block->exitbrain_percent < kTargetPercent);
  return j.finish();
}

void run_at_rest(const AtRestOptions& o) {
  install_interrupt_handlers();
  const std::vector<std::string> waits = parse_waits(o.waits);
  parse_cpu_list(o.cpus);  // a bad list fails before anything starts
  const ProgramPaths programs = find_programs(o.sim_path, o.exitbrain_path);
  const std::string root = make_work_dir(o.dir);
  std::printf("exitbrain-bench at-rest: %s, %.0f s each, files in %s\n", o.waits.c_str(), o.seconds,
              root.c_str());
  std::vector<AtRestResult> results;
  for (const std::string& w : waits) {
    std::printf("  wait=%s: starting, warm-up, measuring...\n", w.c_str());
    std::fflush(stdout);
    const std::string dir = root + "/" + w;
    std::filesystem::create_directories(dir);
    results.push_back(measure(o, programs, w, dir));
  }
  print_report(o, results);
  if (!o.json.empty()) {
    write_text_file(o.json, results_json(o, results));
    std::printf("\nfigures written to %s\n", o.json.c_str());
  }
  if (!o.keep && o.dir.empty()) std::filesystem::remove_all(root);
}

}  // namespace

void add_at_rest_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<AtRestOptions>();
  CLI::App* cmd = app.add_subcommand(
      "at-rest",
      "CPU of `exitbrain run` at rest: 9 positions, 9 markPrice@1s feeds from exitbrain-sim, "
      "per wait strategy (target for block: under 1 % of one core)");
  cmd->add_option("--seconds", o->seconds, "measured wall time per wait strategy")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  cmd->add_option("--warmup-s", o->warmup_s, "settling time once every position is managed")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  cmd->add_option("--waits", o->waits,
                  "wait strategies to measure, in order (spin,spin-yield,block)")
      ->capture_default_str();
  cmd->add_flag("--fused", o->fused, "state and decide on one thread");
  cmd->add_option("--cpus", o->cpus,
                  "pin exitbrain's threads: md,state,decide,orders,user CPUs (-1: not pinned)");
  cmd->add_flag("--tls", o->tls, "wss:// and https:// with a test CA (default plain ws/http)");
  cmd->add_option("--sim", o->sim_path, "exitbrain-sim (default: beside exitbrain-bench)");
  cmd->add_option("--exitbrain", o->exitbrain_path, "exitbrain (default: beside exitbrain-bench)");
  cmd->add_option("--dir", o->dir,
                  "keep the configs, logs and events here (default: a temp dir, "
                  "removed after a successful run)");
  cmd->add_flag("--keep", o->keep, "keep the temp dir");
  cmd->add_option("--json", o->json, "also write the figures (and the options) to this file");
  cmd->callback([o, &exit_code] {
    run_at_rest(*o);
    exit_code = 0;  // above the target is a finding, not a failure
  });
}

}  // namespace exitbrain::bench
