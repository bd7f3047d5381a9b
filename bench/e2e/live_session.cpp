#include "bench/e2e/live_session.hpp"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "net/rest_client.hpp"
#include "net/tls_context.hpp"
#include "tools/common/input_error.hpp"

namespace exitbrain::bench {
namespace {

// The variables both children read the throw-away credentials from.
constexpr const char* kKeyEnv = "EXITBRAIN_BENCH_API_KEY";
constexpr const char* kSecretEnv = "EXITBRAIN_BENCH_API_SECRET";
constexpr int kStartTimeoutMs = 60'000;

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int) {
  g_interrupted = 1;
}

std::string random_hex(std::size_t chars) {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string out;
  while (out.size() < chars) out += hex[rd() & 0xF];
  return out;
}

// Fresh credentials for this run: the sim accepts only these, exitbrain signs with them.
void set_credentials() {
  ::setenv(kKeyEnv, ("bench-" + random_hex(24)).c_str(), 1);
  ::setenv(kSecretEnv, random_hex(64).c_str(), 1);
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* const kStageNames[] = {"md", "state", "decide", "orders", "user"};

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

bool interrupted() noexcept {
  return g_interrupted != 0;
}

void sleep_checked(int ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    if (interrupted()) throw std::runtime_error("interrupted");
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds::zero()) return;
    std::this_thread::sleep_for(
        std::min<std::chrono::nanoseconds>(left, std::chrono::milliseconds(100)));
  }
}

std::vector<int> parse_cpu_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::size_t used = 0;
    int cpu = 0;
    try {
      cpu = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty() || cpu < -1 || cpu > 1023)
      throw InputError("--cpus: '" + item + "' is not a CPU number (or -1)");
    out.push_back(cpu);
  }
  if (out.size() > 5) throw InputError("--cpus: at most 5 CPUs (md, state, decide, orders, user)");
  return out;
}

ProgramPaths find_programs(const std::string& sim, const std::string& exitbrain) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string bin = ec ? std::string(".") : self.parent_path().string();
  ProgramPaths p{sim.empty() ? bin + "/exitbrain-sim" : sim,
                 exitbrain.empty() ? bin + "/exitbrain" : exitbrain};
  for (const std::string& path : {p.sim, p.exitbrain})
    if (::access(path.c_str(), X_OK) != 0)
      throw InputError(path + " is not an executable file (build it, or give its path)");
  return p;
}

std::string make_work_dir(const std::string& wanted) {
  if (!wanted.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(wanted, ec);
    if (ec) throw InputError("--dir " + wanted + ": " + ec.message());
    return wanted;
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/exitbrain-bench-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a directory " + pattern);
  return pattern;
}

LiveSession::LiveSession(LiveSessionOptions options)
    : opt_(std::move(options)), event_log_(opt_.dir + "/events.jsonl") {}

LiveSession::~LiveSession() {
  run_.stop(5'000);
  sim_.stop(5'000);
}

void LiveSession::fail_with_log(const ChildProcess& child, const std::string& what) const {
  throw std::runtime_error(what + "\n  " + child.name() + " log " + child.log_path() + ":\n" +
                           tail_of_file(child.log_path(), 12));
}

void LiveSession::check_running() {
  if (interrupted()) throw std::runtime_error("interrupted");
  for (ChildProcess* c : {&sim_, &run_})
    if (c->pid() > 0 && !c->running()) fail_with_log(*c, c->name() + " " + c->exit_text());
}

void LiveSession::start_sim() {
  std::string market;
  for (const auto& [name, price] : opt_.symbols) {
    if (!market.empty()) market += ',';
    std::ostringstream p;
    p << name << ':' << price;
    market += p.str();
  }
  std::vector<std::string> argv = {opt_.sim_path,
                                   "--synthetic",
                                   market,
                                   "--seed",
                                   "7",
                                   "--speed",
                                   "1",
                                   "--history-minutes",
                                   std::to_string(opt_.history_minutes),
                                   "--port-file",
                                   opt_.dir + "/port",
                                   "--api-key-env",
                                   kKeyEnv,
                                   "--api-secret-env",
                                   kSecretEnv,
                                   "-v"};
  if (opt_.tls) {
    std::filesystem::create_directories(opt_.dir + "/tls");
    argv.push_back("--tls-generate");
    argv.push_back(opt_.dir + "/tls");
  }
  for (const std::string& spec : opt_.open_at_start) {
    argv.push_back("--open");
    argv.push_back(spec);
  }
  sim_.start(argv, opt_.dir + "/sim.log");

  // Listening (port file), then streaming live with the history fed to its klines, then
  // the positions of a trader opened.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
  for (;;) {
    check_running();
    const std::string log = read_whole(opt_.dir + "/sim.log");
    std::size_t opened = 0;
    for (auto at = log.find("sim: opened "); at != std::string::npos;
         at = log.find("sim: opened ", at + 1))
      ++opened;
    if (log.find("sim: cannot open") != std::string::npos)
      fail_with_log(sim_, "exitbrain-sim could not open a position");
    if (log.find("sim: streaming") != std::string::npos && opened >= opt_.open_at_start.size() &&
        std::filesystem::exists(opt_.dir + "/port"))
      break;
    if (std::chrono::steady_clock::now() > until)
      fail_with_log(sim_, "exitbrain-sim did not start streaming within 60 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  port_ = static_cast<std::uint16_t>(std::stoi(read_whole(opt_.dir + "/port")));

  std::shared_ptr<boost::asio::ssl::context> tls;
  if (opt_.tls) {
    std::string err;
    tls = make_client_tls_context(opt_.dir + "/tls/ca.pem", err);
    if (!tls) throw std::runtime_error("the sim's test CA: " + err);
  }
  control_ = std::make_unique<RestClient>(
      HttpTarget{opt_.tls, opt_.tls ? "localhost" : "127.0.0.1", std::to_string(port_)}, tls,
      RestClientOptions{});
  if (std::string err = control_->connect(); !err.empty())
    fail_with_log(sim_,
                  "cannot connect to exitbrain-sim on port " + std::to_string(port_) + ": " + err);
}

void LiveSession::write_config() const {
  const std::string host = (opt_.tls ? "localhost:" : "127.0.0.1:") + std::to_string(port_);
  const std::string ws = (opt_.tls ? "wss://" : "ws://") + host;
  std::ofstream cfg(opt_.dir + "/exitbrain.toml");
  cfg << "# exitbrain against exitbrain-sim, written by exitbrain-bench\n"
      << "[exchange]\n"
      << "rest_url = \"" << (opt_.tls ? "https://" : "http://") << host << "\"\n"
      << "ws_market_url = \"" << ws << "/market\"\n"
      << "ws_public_url = \"" << ws << "/public\"\n"
      << "ws_private_url = \"" << ws << "/private\"\n"
      << "api_key_env = \"" << kKeyEnv << "\"\n"
      << "api_secret_env = \"" << kSecretEnv << "\"\n";
  if (opt_.tls) cfg << "ca_file = \"" << opt_.dir << "/tls/ca.pem\"\n";
  cfg << "\n[symbols]\nlist = [";
  for (std::size_t i = 0; i < opt_.symbols.size(); ++i)
    cfg << (i ? ", " : "") << '"' << opt_.symbols[i].first << '"';
  cfg << "]\n\n[threads]\nwait = \"" << opt_.threads.wait << "\"\n"
      << "fused = " << (opt_.threads.fused ? "true" : "false") << "\n";
  for (std::size_t i = 0; i < opt_.threads.cpus.size(); ++i)
    cfg << kStageNames[i] << "_cpu = " << opt_.threads.cpus[i] << "\n";
  cfg << "\n[run]\nforeign_positions = \"adopt\"\nmark_stream = \"markPrice@1s\"\n";
  // A free port for /metrics and /health: never in the way of a daemon already running.
  cfg << "\n[ops]\nlisten = \"127.0.0.1:0\"\n";
  if (!cfg) throw std::runtime_error("cannot write " + opt_.dir + "/exitbrain.toml");
}

void LiveSession::start() {
  set_credentials();
  start_sim();
  write_config();
  run_.start({opt_.exitbrain_path, "run", "--config", opt_.dir + "/exitbrain.toml", "--events",
              opt_.dir + "/events.jsonl"},
             opt_.dir + "/run.log");
  std::size_t at = 0;
  for (const char* stream : {"market_feed", "user_stream"}) {
    const std::string event = std::string("\"event\":\"") + stream + "\"";
    at = std::max(at, wait_for_event(
                          0,
                          [&](std::string_view l) {
                            return l.find(event) != std::string_view::npos &&
                                   l.find("\"state\":\"connected\"") != std::string_view::npos;
                          },
                          std::string("exitbrain's ") + stream + " to connect", kStartTimeoutMs));
  }
}

int LiveSession::stop() {
  const int code = run_.stop(10'000);
  sim_.stop(5'000);
  return code;
}

std::string LiveSession::control(bool post, std::string_view path, std::string_view query) {
  const RestReply& r =
      control_->request(post ? HttpMethod::kPost : HttpMethod::kGet, path, query, false);
  if (r.outcome != RestReply::Outcome::kAnswered || r.status != 200) {
    check_running();  // a dead sim says more than a failed request
    throw std::runtime_error(
        std::string(post ? "POST " : "GET ") + std::string(path) + (query.empty() ? "" : "?") +
        std::string(query) + " to exitbrain-sim failed: " +
        (r.error.empty() ? "HTTP " + std::to_string(r.status) + " " + r.body : r.error));
  }
  return r.body;
}

std::size_t LiveSession::wait_for_event(std::size_t from,
                                        const std::function<bool(std::string_view)>& match,
                                        const std::string& what, int timeout_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::size_t next = from;
  for (;;) {
    event_log_.poll();
    if (const std::int64_t i = event_log_.find(next, match); i >= 0)
      return static_cast<std::size_t>(i);
    next = std::max(next, event_log_.lines().size());
    check_running();
    if (std::chrono::steady_clock::now() > until)
      fail_with_log(run_, "timed out after " + std::to_string(timeout_ms / 1000) +
                              " s waiting for " + what + " (events: " + opt_.dir +
                              "/events.jsonl)");
    // The journal thread writes every 2 ms: polling faster only costs CPU beside the run.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace exitbrain::bench
