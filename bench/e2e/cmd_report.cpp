// exitbrain-bench report: turns the JSON that tools/bench.sh collected into the results
// section of BENCHMARKS.md (between its "bench:begin" and "bench:end" markers), with the
// competitors side by side as ratios. Sections whose file is missing say "not run".
#include <simdjson.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "bench/e2e/bench_commands.hpp"
#include "tools/cli/commands.hpp"

namespace exitbrain::bench {

namespace {

namespace fs = std::filesystem;

struct ReportArgs {
  std::string dir;
  std::string out = "BENCHMARKS.md";
  std::string commit;
};

// A field's value into `out` (left as it was when missing or of another type).
template <class T>
bool read(simdjson::simdjson_result<simdjson::dom::element> field, T& out) {
  return field.get(out) == simdjson::SUCCESS;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// "184 ns", "1.81 µs", "2.3 ms": three significant digits.
std::string duration(double ns) {
  if (ns < 1000) return fmt(ns < 10 ? "%.2f ns" : ns < 100 ? "%.1f ns" : "%.0f ns", ns);
  if (ns < 1e6) return fmt(ns < 1e4 ? "%.2f µs" : ns < 1e5 ? "%.1f µs" : "%.0f µs", ns / 1e3);
  return fmt(ns < 1e7 ? "%.2f ms" : ns < 1e8 ? "%.1f ms" : "%.0f ms", ns / 1e6);
}

// "0.075×", "0.91×", "2.9×", "15×", "24,210×".
std::string ratio(double x) {
  if (!(x >= 1000)) return fmt(x < 0.1 ? "%.3f×" : x < 1 ? "%.2f×" : x < 10 ? "%.1f×" : "%.0f×", x);
  std::string digits = fmt("%.0f", x), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out + "×";
}

std::string first_line_of(const std::string& path, const std::string& key) {
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line))
    if (line.starts_with(key)) {
      const std::size_t colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  return "";
}

// Google Benchmark's JSON: name -> ns per item (real time), and items per second.
struct MicroResult {
  double ns = 0;
  double items_per_second = 0;
  double bytes_per_record = 0;  // the journal's benchmark
};
std::map<std::string, MicroResult> read_micro(const std::string& path, std::string& error) {
  std::map<std::string, MicroResult> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.load(path).get(doc)) {
    error = path + ": " + simdjson::error_message(err);
    return out;
  }
  simdjson::dom::array list;
  if (doc["benchmarks"].get(list)) {
    error = path + ": no \"benchmarks\" array";
    return out;
  }
  for (simdjson::dom::element b : list) {
    std::string_view name, unit;
    double t = 0;
    if (b["name"].get(name) || b["real_time"].get(t) || b["time_unit"].get(unit)) continue;
    const double scale = unit == "us" ? 1e3 : unit == "ms" ? 1e6 : unit == "s" ? 1e9 : 1.0;
    MicroResult r{t * scale, 0, 0};
    (void)read(b["items_per_second"], r.items_per_second);
    (void)read(b["bytes_per_record"], r.bytes_per_record);
    out[std::string(name)] = r;
  }
  return out;
}

// The state journal (issue 12): its cost on the decide thread, its thread's throughput,
// bytes per day, and a restart's own time.
std::string journal_section(const std::map<std::string, MicroResult>& m) {
  auto get = [&](const std::string& name) -> const MicroResult* {
    const auto it = m.find(name);
    return it == m.end() ? nullptr : &it->second;
  };
  const MicroResult* off = get("BM_DecideWithJournal/0");
  const MicroResult* on = get("BM_DecideWithJournal/1");
  const MicroResult* tp = get("BM_JournalThroughput");
  const MicroResult* restore = get("BM_RestoreFromSnapshotAndAnHour/iterations:3");
  if (!off || !on || !tp || !restore) return "\n### State journal\nnot run\n";
  std::string s =
      "\n### State journal (`bench/journal`; every update journalled: the worst case, a quiet "
      "band filters most)\n\n| figure | value |\n|---|---|\n";
  s += "| decide step, 10 positions, without the journal's ring | " + duration(off->ns) + " |\n";
  s += "| ... with it (one record copied into the ring per update) | " + duration(on->ns) + " (" +
       ratio(on->ns / off->ns) + ") |\n";
  s += "| journal thread: records per second (append, write(2), replica applied), 1,000 "
       "positions on 100 symbols | " +
       fmt("%.2f M/s", tp->items_per_second / 1e6) + " |\n";
  s += "| bytes per record on disk | " + fmt("%.0f", tp->bytes_per_record) + " |\n";
  const double per_day = 86'400.0 * tp->bytes_per_record;
  s += "| bytes per day, the seeds' deployment (9 positions on 9 symbols, markPrice@1s), at most "
       "| " +
       fmt("%.0f MB", 9 * per_day / 1e6) + " |\n";
  s += "| bytes per day, 1,000 positions on 100 symbols, markPrice@1s, at most | " +
       fmt("%.1f GB", 100 * per_day / 1e9) + " |\n";
  s += "| restart: 1,000 positions from a snapshot + one hour of journal (360,000 records), "
       "exitbrain's own time | " +
       duration(restore->ns) + " |\n";
  s += "\nThe record is pushed after the decision went to the order ring, so it adds nothing to "
       "an exit's tick→order time; the decide thread waits only if the journal's ring (65,536 "
       "records) is full. A restart's exchange round trips (positions, open algo orders, one "
       "lookup per exit in flight) come on top and are listed in the `reconciled` line.\n";
  return s;
}

std::string micro_sections(const std::string& dir) {
  std::string error;
  const auto m = read_micro(dir + "/micro.json", error);
  if (!error.empty() || m.empty())
    return "### Micro-benchmarks\nnot run (" + (error.empty() ? "no results" : error) + ")\n\n";
  auto ns = [&](const std::string& name) {
    const auto it = m.find(name);
    return it == m.end() ? NAN : it->second.ns;
  };
  std::string s;
  s += "### Parse + extract, real messages (time per message; × = how much slower than "
       "exitbrain)\n\n| message | exitbrain | simdjson On-Demand alone | RapidJSON (DOM) | "
       "nlohmann::json | Boost.JSON |\n|---|---|---|---|---|---|\n";
  for (const char* type : {"markPriceUpdate", "bookTicker", "aggTrade", "kline"}) {
    const std::string base = std::string("ParseExtract/") + type + "/";
    const double ours = ns(base + "exitbrain");
    if (std::isnan(ours)) {
      s += std::string("| ") + type + " | not run (no recorded data) | | | | |\n";
      continue;
    }
    s += std::string("| ") + type + " | " + duration(ours);
    for (const char* other :
         {"simdjson_ondemand", "rapidjson_dom", "nlohmann_json", "boost_json"}) {
      const double v = ns(base + other);
      s += " | " + duration(v) + " (" + ratio(v / ours) + ")";
    }
    s += " |\n";
  }
  s += "\nexitbrain reads markPriceUpdate, bookTicker and aggTrade in Binance's exact layouts "
       "without simdjson (any other layout goes through simdjson, with the same result); klines "
       "go through simdjson On-Demand.\n";
  s += "\n### SPSC hop between two pinned threads (× = the competitor's figure over exitbrain's: "
       "above 1 is slower for time, below 1 is slower for throughput)\n\n"
       "| | exitbrain ring (moodycamel) | boost::lockfree::spsc_queue | mutex + condvar |\n"
       "|---|---|---|---|\n";
  const double rt[3] = {ns("BM_HopRoundTrip<OurRing>/real_time"),
                        ns("BM_HopRoundTrip<BoostRing>/real_time"),
                        ns("BM_HopRoundTrip<MutexQueue>/real_time")};
  s += "| one way (round trip / 2) | " + duration(rt[0] / 2) + " | " + duration(rt[1] / 2) + " (" +
       ratio(rt[1] / rt[0]) + ") | " + duration(rt[2] / 2) + " (" + ratio(rt[2] / rt[0]) + ") |\n";
  double tp[3] = {0, 0, 0};
  const char* names[3] = {"OurRing", "BoostRing", "MutexQueue"};
  for (int i = 0; i < 3; ++i) {
    const auto it = m.find(std::string("BM_HopThroughput<") + names[i] + ">/real_time");
    if (it != m.end()) tp[i] = it->second.items_per_second;
  }
  s += "| throughput | " + fmt("%.0f M/s", tp[0] / 1e6) + " | " + fmt("%.0f M/s", tp[1] / 1e6) +
       " (" + ratio(tp[1] / tp[0]) + ") | " + fmt("%.1f M/s", tp[2] / 1e6) + " (" +
       ratio(tp[2] / tp[0]) + ") |\n";
  s += "\n### Stage steps (time per call)\n\n| step | time |\n|---|---|\n";
  const std::pair<const char*, const char*> steps[] = {
      {"BM_AtrUpdate/0", "ATR update, SMA (one closed candle)"},
      {"BM_AtrUpdate/1", "ATR update, Wilder"},
      {"BM_RegimeUpdate", "regime update"},
      {"BM_DecisionStep/1/0", "decision step, 1 position on the symbol"},
      {"BM_DecisionStep/10/0", "decision step, 10 positions on the symbol"},
      {"BM_DecisionStep/1000/0", "decision step, 1,000 positions on the symbol"},
      {"BM_DecisionStep/20/0", "decision step, 20 positions on the symbol, none elsewhere"},
      {"BM_DecisionStep/20/9980",
       "decision step, 20 on the symbol + 9,980 on 499 others (10,000 over 500 symbols)"},
      {"BM_SignExitQuery", "HMAC-SHA256 signature of an exit query"},
      {"BM_WriteAndSignExitOrder", "exit order query written and signed"},
  };
  for (const auto& [name, what] : steps) {
    const double v = ns(name);
    s += std::string("| ") + what + " | " + (std::isnan(v) ? "not run" : duration(v)) + " |\n";
  }
  const double alone = ns("BM_DecisionStep/20/0"), crowded = ns("BM_DecisionStep/20/9980");
  if (!std::isnan(alone) && !std::isnan(crowded))
    s += "\nA tick's cost with 9,980 positions on other symbols is " + ratio(crowded / alone) +
         " its cost without them: it does not grow with positions elsewhere.\n";
  s += journal_section(m);
  return s + "\n";
}

// Loads a JSON file; false when it is missing or not JSON.
bool load_json(simdjson::dom::parser& p, const std::string& path, simdjson::dom::element& out) {
  return fs::exists(path) && !p.load(path).get(out);
}

std::string pipeline_section(const std::string& dir) {
  std::string s =
      "### End to end, in process: `exitbrain-bench pipeline` (recorded BTC/ETH trades and book "
      "tickers, latency from each frame's scheduled time: coordinated omission corrected)\n\n"
      "| configuration | frames/s | orders | tick→order p50 | p90 | p99 | p99.9 | max | "
      "tick→decision p50 | p99 |\n|---|---|---|---|---|---|---|---|---|---|\n";
  bool any = false;
  std::vector<fs::path> files;
  if (fs::exists(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string().starts_with("pipeline-") && e.path().extension() == ".json")
        files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    if (!load_json(p, f.string(), doc)) continue;
    std::map<std::string, simdjson::dom::element> hops;
    simdjson::dom::array list;
    if (doc["hops"].get(list)) continue;
    for (simdjson::dom::element h : list) {
      std::string_view name;
      if (!h["name"].get(name)) hops[std::string(name)] = h;
    }
    auto us = [&](const char* hop, const char* key) {
      double v = NAN;
      if (hops.count(hop)) (void)read(hops[hop][key], v);
      return fmt("%.1f µs", v);
    };
    double rate = 0;
    bool fused = false;
    std::string_view md, st, de, od;
    int64_t orders = 0;
    (void)read(doc["options"]["rate_per_s"], rate);
    (void)read(doc["options"]["fused"], fused);
    (void)read(doc["options"]["wait"]["md"], md);
    (void)read(doc["options"]["wait"]["state"], st);
    (void)read(doc["options"]["wait"]["decide"], de);
    (void)read(doc["options"]["wait"]["orders"], od);
    bool journal = false;
    (void)read(doc["exit_orders"], orders);
    (void)read(doc["options"]["journal"], journal);
    const std::string config = std::string(fused ? "fused" : "split") + ", wait " +
                               std::string(md) + "/" + std::string(st) + "/" + std::string(de) +
                               "/" + std::string(od) + (journal ? ", state journal on" : "");
    s += "| " + config + " | " + fmt("%.0f", rate) + " | " + std::to_string(orders) + " | " +
         us("tick->order", "p50_us") + " | " + us("tick->order", "p90_us") + " | " +
         us("tick->order", "p99_us") + " | " + us("tick->order", "p99_9_us") + " | " +
         us("tick->order", "max_us") + " | " + us("tick->decision", "p50_us") + " | " +
         us("tick->decision", "p99_us") + " |\n";
    any = true;
  }
  if (!any) return "### End to end, in process\nnot run\n\n";
  return s +
         "\nWait strategies are md/state/decide/orders. Per-hop figures (parse, md→state, "
         "state→decide, decide→order) and the percentile plots are in the JSON and PNG files "
         "beside them.\n\n";
}

std::string instructions_section(const std::string& dir) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (!load_json(p, dir + "/instructions.json", doc))
    return "### Instructions per markPrice tick\nnot run (valgrind)\n\n";
  double parse = 0, state = 0, total = 0, target = 0;
  int64_t ticks = 0, positions = 0;
  (void)read(doc["per_tick"]["parse"], parse);
  (void)read(doc["per_tick"]["parse_state"], state);
  (void)read(doc["per_tick"]["parse_state_decision"], total);
  (void)read(doc["target_per_tick"], target);
  (void)read(doc["ticks"], ticks);
  (void)read(doc["positions"], positions);
  return "### Instructions per markPrice tick (callgrind, " + std::to_string(ticks) +
         " recorded BTCUSDT markPrice@1s messages, " + std::to_string(positions) +
         " positions on the symbol, haswell build)\n\n| stage | instructions per tick "
         "|\n|---|---|\n"
         "| parse | " +
         fmt("%.0f", parse) + " |\n| + state (ATR, regime) | " + fmt("%.0f", state) +
         " (state alone " + fmt("%.0f", state - parse) + ") |\n| + decision | " +
         fmt("%.0f", total) + " (decision alone " + fmt("%.0f", total - state) +
         ") |\n| target | ≤ " + fmt("%.0f", target) + " — " +
         (total <= target ? "met" : "**not met**") + " |\n\n";
}

std::string loopback_section(const std::string& dir) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (!load_json(p, dir + "/loopback.json", doc))
    return "### Breach to order over loopback sockets\nnot run\n\n";
  double v[5] = {NAN, NAN, NAN, NAN, NAN}, mean_over_p50 = NAN, worst_over_p99 = NAN;
  const char* keys[5] = {"min", "p50", "p90", "p99", "max"};
  for (int i = 0; i < 5; ++i) (void)read(doc["breach_to_order_us"][keys[i]], v[i]);
  (void)read(doc["ratio"]["polling_mean_over_p50"], mean_over_p50);
  (void)read(doc["ratio"]["polling_worst_over_p99"], worst_over_p99);
  int64_t count = 0;
  std::string_view wait;
  (void)read(doc["count"], count);
  (void)read(doc["options"]["wait"], wait);
  return "### Breach to order over loopback sockets: `exitbrain-bench loopback` (" +
         std::to_string(count) + " breaches, wait " + std::string(wait) +
         ", plain ws/http)\n\nexitbrain-sim writes a markPrice frame beyond a position's stop; the "
         "figure runs, on the simulator's clock, from that write to the moment it has read "
         "exitbrain's reduce-only exit request.\n\n| | min | p50 | p90 | p99 | max |\n"
         "|---|---|---|---|---|---|\n| exitbrain | " +
         fmt("%.0f µs", v[0]) + " | " + fmt("%.0f µs", v[1]) + " | " + fmt("%.0f µs", v[2]) +
         " | " + fmt("%.0f µs", v[3]) + " | " + fmt("%.0f µs", v[4]) +
         " |\n| the 10 s polling it replaces | 0 | 5 s | 9 s | 9.9 s | 10 s |\n\nPolling's mean "
         "over exitbrain's p50: " +
         ratio(mean_over_p50) +
         "; polling's worst over exitbrain's "
         "p99: " +
         ratio(worst_over_p99) +
         " (the seeds' cycle also spent seconds on its own "
         "work, not counted).\n\n";
}

std::string at_rest_section(const std::string& dir) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  simdjson::dom::array runs;
  if (!load_json(p, dir + "/at-rest.json", doc) || doc["runs"].get(runs))
    return "### CPU at rest\nnot run\n\n";
  std::map<std::string, double> cpu;
  for (simdjson::dom::element r : runs) {
    std::string_view wait;
    double v = NAN;
    if (read(r["wait"], wait) && read(r["exitbrain_cpu_percent"], v)) cpu[std::string(wait)] = v;
  }
  double target = NAN, seconds = NAN;
  (void)read(doc["target_percent"], target);
  (void)read(doc["options"]["seconds"], seconds);
  std::string s =
      "### CPU at rest: `exitbrain-bench at-rest` (`exitbrain run` against "
      "exitbrain-sim, 9 positions, 9 × markPrice@1s + kline_1m at real speed, " +
      fmt("%.0f s", seconds) +
      " measured)\n\n| wait strategy | exitbrain, % of one core |\n"
      "|---|---|\n";
  for (const auto& [wait, v] : cpu) s += "| " + wait + " | " + fmt("%.2f %%", v) + " |\n";
  if (cpu.count("block") && cpu.count("spin"))
    s += "\n`spin` costs " + ratio(cpu["spin"] / cpu["block"]) +
         " the CPU of `block` (every pipeline thread wants a whole core). Target for `block`: "
         "under " +
         fmt("%.0f %%", target) + " — " + (cpu["block"] < target ? "met" : "**not met**") + ".\n";
  return s + "\n";
}

std::string machine_section(const ReportArgs& a) {
  utsname u{};
  uname(&u);
  std::string cpu = first_line_of("/proc/cpuinfo", "model name");
  return "### Machine\n\n- CPU: " + cpu + ", " +
         std::to_string(std::thread::hardware_concurrency()) +
         " logical CPUs\n- Kernel: " + u.sysname + " " + u.release + "\n- Compiler: GCC " +
         __VERSION__ +
         ", Release (-O3 -march=native)\n- Commit: " + (a.commit.empty() ? "?" : a.commit) + "\n\n";
}

void run(const ReportArgs& a, int& exit_code) {
  std::ifstream in(a.out);
  if (!in) throw InputError("--out: cannot read " + a.out);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const std::string begin = "<!-- bench:begin -->", end = "<!-- bench:end -->";
  const std::size_t b = text.find(begin), e = text.find(end);
  if (b == std::string::npos || e == std::string::npos || e < b)
    throw InputError("--out: " + a.out + " has no " + begin + " ... " + end + " section");
  std::string section = "\n" + machine_section(a) + micro_sections(a.dir) +
                        pipeline_section(a.dir) + loopback_section(a.dir) + at_rest_section(a.dir) +
                        instructions_section(a.dir);
  const std::string updated = text.substr(0, b + begin.size()) + section + text.substr(e);
  std::ofstream out(a.out);
  out << updated;
  if (!out) throw InputError("--out: cannot write " + a.out);
  std::printf("rewrote the results section of %s\n", a.out.c_str());
  exit_code = 0;
}

}  // namespace

void add_report_command(CLI::App& root, int& exit_code) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* c = root.add_subcommand(
      "report", "rewrite BENCHMARKS.md's results section from the JSON tools/bench.sh collected");
  c->add_option("--dir", args->dir, "folder with micro.json, pipeline-*.json, ...")->required();
  c->add_option("--out", args->out, "the markdown file to update")->capture_default_str();
  c->add_option("--commit", args->commit, "commit the figures were measured at");
  c->callback([args, &exit_code] { run(*args, exit_code); });
}

}  // namespace exitbrain::bench
