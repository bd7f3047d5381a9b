// exitbrain-bench instructions: instructions per markPrice tick (parse -> state ->
// decision) counted by valgrind's callgrind, a figure that repeats exactly on any machine,
// performance counters or not. The command runs itself under valgrind three times, each
// run going one stage deeper, and reads callgrind's totals; only the measured frames are
// collected (client requests toggle collection around them).
#include <sys/wait.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/bench_paths.hpp"
#include "bench/e2e/bench_commands.hpp"
#include "bench/e2e/tick_workload.hpp"
#include "tools/cli/commands.hpp"

namespace exitbrain::bench {

namespace {

constexpr double kTargetPerTick = 2000;  // issue 5: parse + state + decision, 10 positions

struct InstructionArgs {
  int positions = 10;
  std::size_t warmup = 100;
  std::string data_dir = default_data_dir();
  bool synthetic = false;
  std::string valgrind = "valgrind";
  std::string json_path;
  std::string inner;  // parse | state | decision: run the workload (under valgrind)
};

const char* depth_name(TickDepth d) {
  return d == TickDepth::kParse ? "parse" : d == TickDepth::kState ? "state" : "decision";
}

FrameSet mark_frames(const InstructionArgs& a) {
  if (!a.synthetic) {
    std::vector<std::string> paths;
    for (const char* f : {"ws/usdm/btcusdt_20230404.dat.gz", "ws/usdm/btcusdt_20230405.dat.gz"})
      if (std::ifstream(a.data_dir + "/" + f).good()) paths.push_back(a.data_dir + "/" + f);
    if (!paths.empty()) return load_stream_frames(paths, "@markPrice");
  }
  FrameSet all = synthetic_frames(6000);
  FrameSet marks;
  marks.sources = all.sources;
  for (std::string& f : all.frames)
    if (f.find("@markPrice") != std::string::npos) marks.frames.push_back(std::move(f));
  return marks;
}

// The measured part, alone in collection: callgrind counts what runs between the toggles.
__attribute__((noinline)) std::uint64_t measured_ticks(TickWorkload& w, std::size_t from,
                                                       std::size_t to, TickDepth depth) {
  CALLGRIND_TOGGLE_COLLECT;
  const std::uint64_t ticks = w.run(from, to, depth);
  CALLGRIND_TOGGLE_COLLECT;
  return ticks;
}

int run_inner(const InstructionArgs& a) {
  const TickDepth depth = a.inner == "parse"   ? TickDepth::kParse
                          : a.inner == "state" ? TickDepth::kState
                                               : TickDepth::kDecision;
  const FrameSet frames = mark_frames(a);
  if (frames.frames.size() <= a.warmup)
    throw InputError("--warmup: only " + std::to_string(frames.frames.size()) +
                     " markPrice frames");
  TickWorkload w(frames, a.positions);
  (void)w.run(0, a.warmup, TickDepth::kDecision);  // candles, ATR and levels warm
  const std::uint64_t ticks = measured_ticks(w, a.warmup, frames.frames.size(), depth);
  std::printf("ticks %llu\nsource %s\n", static_cast<unsigned long long>(ticks),
              frames.sources.front().c_str());
  return 0;
}

// Runs `argv` with stdout and stderr into `log`. Returns its exit status (-1: not run).
int run_logged(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    std::FILE* f = std::freopen(log.c_str(), "w", stdout);
    if (f) dup2(fileno(stdout), STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& s : argv) args.push_back(const_cast<char*>(s.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s\n", args[0]);
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The number after `key` at the start of a line of `text`, or -1.
long long number_after(const std::string& text, const std::string& key) {
  for (std::size_t at = 0; (at = text.find(key, at)) != std::string::npos; at += key.size())
    if (at == 0 || text[at - 1] == '\n') return std::atoll(text.c_str() + at + key.size());
  return -1;
}

struct DepthCount {
  long long instructions = 0;
  long long ticks = 0;
  std::string source;
};

// This program's path, for valgrind to run (/proc/self/exe would be valgrind's own there).
std::string self_path() {
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) throw InputError("instructions: cannot find this program's path");
  return std::string(self, static_cast<std::size_t>(n));
}

DepthCount count_under_valgrind(const InstructionArgs& a, TickDepth depth) {
  char dir[] = "/tmp/exitbrain-callgrind-XXXXXX";
  if (!mkdtemp(dir)) throw InputError("instructions: cannot create a temporary folder");
  const std::string out = std::string(dir) + "/callgrind.out", log = std::string(dir) + "/log";
  std::vector<std::string> argv = {a.valgrind,
                                   "--tool=callgrind",
                                   "--collect-atstart=no",
                                   "--callgrind-out-file=" + out,
                                   self_path(),
                                   "instructions",
                                   "--inner",
                                   depth_name(depth),
                                   "--positions",
                                   std::to_string(a.positions),
                                   "--warmup",
                                   std::to_string(a.warmup),
                                   "--data-dir",
                                   a.data_dir};
  if (a.synthetic) argv.push_back("--synthetic");
  const int rc = run_logged(argv, log);
  const std::string text = slurp(log), counts = slurp(out);
  std::filesystem::remove_all(dir);
  if (rc == 127 || rc < 0)
    throw InputError("--valgrind: cannot run '" + a.valgrind + "' (install the valgrind package)");
  if (rc != 0) {
    std::string why =
        "instructions: the run under valgrind failed (exit " + std::to_string(rc) + ")";
    if (text.find("unhandled instruction") != std::string::npos ||
        text.find("SIGILL") != std::string::npos)
      why +=
          ": valgrind cannot decode this build's instructions (AVX-512 from -march=native); "
          "build it with `cmake --preset callgrind && cmake --build --preset callgrind "
          "--target exitbrain-bench` and run build-callgrind/bin/exitbrain-bench";
    throw InputError(why + "\n" + text.substr(text.size() > 2000 ? text.size() - 2000 : 0));
  }
  DepthCount c;
  c.ticks = number_after(text, "ticks ");
  c.instructions = number_after(counts, "totals: ");
  if (c.instructions < 0) c.instructions = number_after(counts, "summary: ");
  if (c.ticks <= 0 || c.instructions <= 0)
    throw InputError("instructions: no tick or instruction count in valgrind's output");
  const std::size_t s = text.find("source ");
  if (s != std::string::npos) c.source = text.substr(s + 7, text.find('\n', s) - s - 7);
  return c;
}

void run(const InstructionArgs& a, int& exit_code) {
  if (a.positions < 1) throw InputError("--positions: must be >= 1");
  if (!a.inner.empty()) {
    if (a.inner != "parse" && a.inner != "state" && a.inner != "decision")
      throw InputError("--inner: '" + a.inner + "' is not parse, state or decision");
    exit_code = run_inner(a);
    return;
  }
  DepthCount d[3];
  for (int i = 0; i < 3; ++i) d[i] = count_under_valgrind(a, static_cast<TickDepth>(i));
  auto per = [&](int i) {
    return static_cast<double>(d[i].instructions) / static_cast<double>(d[i].ticks);
  };
  const double total = per(2);
  std::printf(
      "exitbrain-bench instructions: %lld markPrice ticks of %s, %d positions on the "
      "symbol (callgrind, instructions per tick)\n",
      d[2].ticks, d[2].source.c_str(), a.positions);
  std::printf("  %-28s %10.0f\n", "parse", per(0));
  std::printf("  %-28s %10.0f   (state alone %.0f)\n", "parse + state", per(1), per(1) - per(0));
  std::printf("  %-28s %10.0f   (decision alone %.0f, %.0f per position)\n",
              "parse + state + decision", total, total - per(1), (total - per(1)) / a.positions);
  std::printf("  target <= %.0f per tick: %s\n", kTargetPerTick,
              total <= kTargetPerTick ? "met" : "NOT met");
  if (!a.json_path.empty()) {
    std::ofstream f(a.json_path);
    if (!f) throw InputError("--json: cannot write " + a.json_path);
    char buf[768];
    std::snprintf(buf, sizeof buf,
                  "{\n  \"mode\": \"instructions\",\n  \"ticks\": %lld,\n  \"positions\": %d,\n"
                  "  \"source\": \"%s\",\n  \"per_tick\": {\"parse\": %.0f, \"parse_state\": %.0f,"
                  " \"parse_state_decision\": %.0f},\n  \"target_per_tick\": %.0f,\n"
                  "  \"target_met\": %s\n}\n",
                  d[2].ticks, a.positions, d[2].source.c_str(), per(0), per(1), total,
                  kTargetPerTick, total <= kTargetPerTick ? "true" : "false");
    f << buf;
  }
  exit_code = 0;
}

}  // namespace

void add_instructions_command(CLI::App& root, int& exit_code) {
  auto args = std::make_shared<InstructionArgs>();
  CLI::App* c = root.add_subcommand(
      "instructions",
      "instructions per markPrice tick (parse, state, decision) under valgrind's callgrind");
  c->add_option("--positions", args->positions, "positions on the symbol")->capture_default_str();
  c->add_option("--warmup", args->warmup, "frames before counting")->capture_default_str();
  c->add_option("--data-dir", args->data_dir, "recorded data folder")->capture_default_str();
  c->add_flag("--synthetic", args->synthetic, "synthetic markPrice frames");
  c->add_option("--valgrind", args->valgrind, "valgrind program")->capture_default_str();
  c->add_option("--json", args->json_path, "write the figures as JSON here");
  c->add_option("--inner", args->inner, "internal: the run under valgrind (parse|state|decision)");
  c->callback([args, &exit_code] { run(*args, exit_code); });
}

}  // namespace exitbrain::bench
