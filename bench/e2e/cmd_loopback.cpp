// exitbrain-bench loopback: breach-to-order over real sockets. exitbrain-sim streams a mark
// price through a managed position's stop and stamps, on its own monotonic clock, when that
// markPrice frame went to exitbrain's socket (/sim/mark's sent_ns) and when exitbrain's
// reduce-only exit request had been read (/sim/orders' received_ns). One breach at a time:
// each sample waits until the previous position is flat and its hard stop cancelled, and
// samples start no faster than the exchange's order-rate limits allow, so every figure is
// taken below saturation: no request waits behind another sample's or for the limiter.
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/e2e/bench_commands.hpp"
#include "bench/e2e/live_session.hpp"
#include "bench/e2e/sample_stats.hpp"
#include "core/clock.hpp"
#include "tools/common/json_line.hpp"

namespace exitbrain::bench {
namespace {

constexpr const char* kSymbol = "BTCUSDT";
constexpr double kStartPrice = 60'000;
constexpr const char* kQty = "0.01";
// The polling design this replaces (seed 001): exits checked every 10 s, so a breach waits
// for the next cycle, uniformly over 0..10 s, before that cycle's own work even starts.
constexpr double kPollingCycleS = 10.0;
constexpr int kMaxSamples = 4000;  // exitbrain's position table holds 4096, never reused
// Each sample sends two orders (the hard stop and the exit). Binance allows 1200 orders a
// minute (and 300 per 10 s); exitbrain defers orders that would go over, so samples taken
// faster would time its rate limiter (seen: a 2.1 s exit). 125 ms a sample uses 80 %.
constexpr int kOrdersPerSample = 2;
constexpr int kOrdersPerMinute = 1200;
constexpr int kDefaultIntervalMs = 125;

struct LoopbackOptions {
  int samples = 200;
  std::string wait = "block";
  bool fused = false;
  std::string cpus;
  bool tls = false;
  int interval_ms = kDefaultIntervalMs;  // from one sample's start to the next
  int timeout_s = 30;
  std::string sim_path, exitbrain_path, dir, json;
  bool keep = false;
};

struct Sample {
  bool long_side = true;
  bool skipped = false;  // the market breached the stop before the injected mark
  double breach_price = 0;
  std::int64_t breach_to_order_ns = 0;  // the sim's clock: frame written -> order read
  std::int64_t tick_to_order_ns = 0;    // exitbrain's own stamps: frame in -> order bytes out
};

std::string price_text(double p) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.8f", p);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

double number_in(simdjson::dom::element e) {
  std::string_view text;
  if (!e.get(text)) return std::stod(std::string(text));
  double d = 0;
  if (!e.get(d)) return d;
  return std::nan("");
}

// One breach after another on one symbol, LONG and SHORT in turn.
class BreachSampler {
 public:
  BreachSampler(LiveSession& s, const LoopbackOptions& o) : s_(s), o_(o) {}

  Sample take(int n, bool long_side) {
    Sample out;
    out.long_side = long_side;
    const std::string side = long_side ? "LONG" : "SHORT";
    const std::string label = "sample " + std::to_string(n + 1) + " (" + side + ")";
    const int timeout_ms = o_.timeout_s * 1000;
    back_to_market();
    s_.control(true, "/sim/open",
               std::string("symbol=") + kSymbol + "&side=" + side + "&qty=" + kQty);
    const std::size_t adopted = s_.wait_for_event(
        cursor_,
        [&](std::string_view l) {
          return has_field(l, "event", "\"position_adopted\"") &&
                 has_field(l, "symbol", std::string("\"") + kSymbol + "\"") &&
                 has_field(l, "side", "\"" + side + "\"");
        },
        "exitbrain to adopt the position of " + label, timeout_ms);
    const std::string pos = json_field(s_.event_log().lines()[adopted], "position");
    // exitbrain sets a new position's levels on its symbol's next tick: one at the price it
    // opened at, rather than waiting up to a second for the market's.
    s_.control(true, "/sim/mark",
               std::string("symbol=") + kSymbol +
                   "&price=" + json_field(s_.event_log().lines()[adopted], "entry"));
    const auto of_position = [pos](std::string_view l, const char* event) {
      return has_field(l, "event", std::string("\"") + event + "\"") &&
             has_field(l, "position", pos);
    };
    // Managed: the engine's levels set and the exchange-side stop behind them.
    s_.wait_for_event(
        cursor_,
        [&](std::string_view l) {
          return of_position(l, "levels") && has_field(l, "provisional", "false");
        },
        "the levels of " + label, timeout_ms);
    s_.wait_for_event(
        cursor_,
        [&](std::string_view l) {
          return of_position(l, "hard_stop_placed") && has_field(l, "ok", "true");
        },
        "the hard stop of " + label, timeout_ms);
    double sl = 0, hard = 0;
    for (std::size_t i = cursor_; i < s_.event_log().lines().size(); ++i) {
      const std::string& l = s_.event_log().lines()[i];
      if (of_position(l, "levels") || of_position(l, "sl_moved"))
        sl = std::stod(json_field(l, "sl"));
      if (of_position(l, "hard_stop_placed") && has_field(l, "ok", "true"))
        hard = std::stod(json_field(l, "price"));
    }
    if (!(long_side ? hard < sl : hard > sl))
      throw std::runtime_error(label + ": the hard stop " + price_text(hard) +
                               " is not beyond the engine's stop " + price_text(sl));
    // Just through the engine's stop (2 bp, at most a quarter of the way to the hard stop):
    // the exchange must not close the position before exitbrain does, also if a trailing
    // stop moves the hard stop up behind the engine's meanwhile.
    const double through = std::min(sl * 2e-4, std::fabs(hard - sl) / 4);
    out.breach_price = long_side ? sl - through : sl + through;

    const std::string answer = mark(out.breach_price);
    const std::int64_t sent_ns = std::stoll("0" + json_field(answer, "sent_ns"));
    if (sent_ns <= 0 || json_field(answer, "receivers") == "0")
      throw std::runtime_error(label + ": no socket was subscribed to the mark price (" + answer +
                               ")");

    const std::size_t done = s_.wait_for_event(
        cursor_, [&](std::string_view l) { return of_position(l, "exit_done"); },
        "exitbrain's exit of " + label + " (breach at " + price_text(out.breach_price) + ")",
        timeout_ms);
    if (!has_field(s_.event_log().lines()[done], "ok", "true"))
      throw std::runtime_error(label + ": the exit failed: " + s_.event_log().lines()[done]);
    const std::size_t decided = s_.wait_for_event(
        cursor_, [&](std::string_view l) { return of_position(l, "exit"); }, "exit decision",
        timeout_ms);
    const double trigger = std::stod(json_field(s_.event_log().lines()[decided], "price"));
    // The market's own tick may come through the stop first: then the exit is not ours to
    // time, and the sample is left out (counted).
    out.skipped = std::fabs(trigger - out.breach_price) > 1e-6 * out.breach_price;
    if (out.skipped)
      std::fprintf(stderr,
                   "  %s left out: the exit was decided on %s, not on the breach at %s (%s)\n",
                   label.c_str(), price_text(trigger).c_str(), price_text(out.breach_price).c_str(),
                   json_field(s_.event_log().lines()[decided], "reason").c_str());
    const std::size_t sent = s_.wait_for_event(
        cursor_, [&](std::string_view l) { return of_position(l, "exit_sent"); }, "exit_sent",
        timeout_ms);
    out.tick_to_order_ns =
        std::stoll("0" + json_field(s_.event_log().lines()[sent], "tick_to_order_ns"));
    out.breach_to_order_ns = order_received_ns(label) - sent_ns;
    if (!out.skipped && out.breach_to_order_ns <= 0)
      throw std::runtime_error(label + ": the exit was read before the breach was sent");

    // Flat again, hard stop gone: the next sample starts from a quiet exchange.
    s_.wait_for_event(
        cursor_,
        [&](std::string_view l) {
          return of_position(l, "hard_stop_cancelled") && has_field(l, "ok", "true");
        },
        "the hard stop of " + label + " to be cancelled", timeout_ms);
    check_flat(label);
    cursor_ = s_.event_log().lines().size();
    return out;
  }

 private:
  std::string mark(double price) {
    last_injected_ = price;
    return s_.control(true, "/sim/mark",
                      std::string("symbol=") + kSymbol + "&price=" + price_text(price));
  }

  // The mark back at the market's own last price (the synthetic walk's, learnt whenever the
  // exchange's mark is not the one injected last). Otherwise a position would open at the
  // last breach's price, a stop's distance from the market, and the market's next tick
  // would cross its stop instead of the breach.
  void back_to_market() {
    const std::string index =
        s_.control(false, "/fapi/v1/premiumIndex", std::string("symbol=") + kSymbol);
    const double now = std::stod("0" + json_field(index, "markPrice"));
    const auto same = [](double a, double b) { return std::fabs(a - b) <= 1e-9 * std::fabs(b); };
    if (!same(now, last_injected_)) market_ = now;
    if (market_ > 0 && !same(now, market_)) mark(market_);
  }

  // received_ns of the first reduce-only exit on the symbol logged after the last sample's.
  std::int64_t order_received_ns(const std::string& label) {
    const std::string body = s_.control(false, "/sim/orders");
    simdjson::dom::array entries;
    if (parser_.parse(body).get(entries))
      throw std::runtime_error("GET /sim/orders: not a JSON array");
    std::int64_t found = 0;
    for (simdjson::dom::element e : entries) {
      std::int64_t seq = 0;
      std::string_view endpoint, symbol, client_id, reduce_only, outcome;
      if (e["seq"].get(seq) || seq <= last_seq_) continue;
      last_seq_ = seq;
      if (found || e["endpoint"].get(endpoint) || endpoint != "POST /fapi/v1/order") continue;
      const auto params = e["params"];
      if (params["symbol"].get(symbol) || symbol != kSymbol) continue;
      if (params["newClientOrderId"].get(client_id) || client_id.substr(0, 4) != "xbx-") continue;
      if (params["reduceOnly"].get(reduce_only) || reduce_only != "true")
        throw std::runtime_error(label + ": exitbrain's exit was not reduce-only");
      if (e["outcome"].get(outcome) || outcome != "FILLED")
        throw std::runtime_error(label +
                                 ": exitbrain's exit was not filled: " + std::string(outcome));
      if (e["received_ns"].get(found))
        throw std::runtime_error(label + ": /sim/orders has no received_ns (an older sim?)");
    }
    if (!found) throw std::runtime_error(label + ": no exit order in /sim/orders");
    return found;
  }

  void check_flat(const std::string& label) {
    const std::string body = s_.control(false, "/sim/positions");
    simdjson::dom::element doc;
    if (parser_.parse(body).get(doc)) throw std::runtime_error("GET /sim/positions: not JSON");
    simdjson::dom::array positions;
    if (doc["positions"].get(positions)) throw std::runtime_error("GET /sim/positions: no list");
    for (simdjson::dom::element p : positions) {
      std::string_view symbol;
      if (!p["symbol"].get(symbol) && symbol == kSymbol && number_in(p["positionAmt"]) != 0)
        throw std::runtime_error(label + ": the position is not flat after the exit");
    }
  }

  LiveSession& s_;
  const LoopbackOptions& o_;
  simdjson::dom::parser parser_;
  std::size_t cursor_ = 0;  // journal lines before this belong to earlier samples
  double market_ = 0;       // the market's own last mark
  double last_injected_ = 0;
  std::int64_t last_seq_ = 0;
};

std::string stats_json(const SampleStats& s) {
  JsonLine j;
  j.real("min", s.min).real("p50", s.p50).real("p90", s.p90).real("p99", s.p99);
  if (s.p999) j.real("p999", *s.p999);
  j.real("max", s.max).real("mean", s.mean);
  std::string out = j.finish();
  out.pop_back();  // finish() ends the line
  return out;
}

void print_report(const LoopbackOptions& o, const SampleStats& wire, const SampleStats& inside,
                  int longs, int skipped) {
  std::printf(
      "\nbreach-to-order over loopback sockets (%s): %zu samples (%d LONG, %zu SHORT), one at a "
      "time\n",
      o.tls ? "wss/https" : "plain ws/http", wire.count, longs,
      wire.count - static_cast<std::size_t>(longs));
  if (skipped)
    std::printf("%d more left out: the market's own tick crossed the stop before the breach\n",
                skipped);
  std::printf("exitbrain run: wait=%s fused=%s cpus=%s\n", o.wait.c_str(), o.fused ? "yes" : "no",
              o.cpus.empty() ? "not pinned" : o.cpus.c_str());
  // Spinning threads each want a core of their own: with fewer, they take turns by the
  // scheduler's time slices and the figure is the machine's, not exitbrain's.
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  const int spinning = o.fused ? 4 : 5;  // md, state, decide, orders, user
  if (o.wait != "block" && spinning > cpus)
    std::printf("note: %s with %d pipeline threads on %ld CPUs: they take turns in time slices\n",
                o.wait.c_str(), spinning, cpus);
  std::printf(
      "clock: the simulator's CLOCK_MONOTONIC, markPrice frame written -> exit order read\n\n");
  std::printf("  %-7s %16s %22s\n", "", "breach-to-order", "inside exitbrain *");
  const auto row = [](const char* name, double a, double b) {
    std::printf("  %-7s %13s µs %19s µs\n", name, format_us(a).c_str(), format_us(b).c_str());
  };
  row("min", wire.min, inside.min);
  row("p50", wire.p50, inside.p50);
  row("p90", wire.p90, inside.p90);
  row("p99", wire.p99, inside.p99);
  if (wire.p999)
    row("p99.9", *wire.p999, inside.p999.value_or(0));
  else
    std::printf("  %-7s %16s\n", "p99.9", "(n/a below 1000 samples)");
  row("max", wire.max, inside.max);
  row("mean", wire.mean, inside.mean);
  std::printf(
      "  * exitbrain's own tick_to_order_ns (frame received -> order written), for the split;\n"
      "    its end stamp is taken once the write has completed, so one sample can exceed the\n"
      "    simulator's figure when exitbrain's thread is preempted in between\n\n");
  const double mean_us = kPollingCycleS / 2 * 1e6, worst_us = kPollingCycleS * 1e6;
  std::printf("the polling design it replaces (seeds: exits checked every %.0f s):\n",
              kPollingCycleS);
  std::printf(
      "  a breach waits for the next cycle, uniform over 0..%.0f s, plus that cycle's own\n"
      "  work (~9 s for 9 positions in seed 001, not counted here)\n",
      kPollingCycleS);
  std::printf("  polling mean  %.0f s / our p50 %s µs = %s x faster\n", kPollingCycleS / 2,
              format_us(wire.p50).c_str(), format_us(mean_us / wire.p50).c_str());
  std::printf("  polling worst %.0f s / our p99 %s µs = %s x faster\n", kPollingCycleS,
              format_us(wire.p99).c_str(), format_us(worst_us / wire.p99).c_str());
}

void run_loopback(const LoopbackOptions& o) {
  install_interrupt_handlers();
  LiveSessionOptions so;
  const ProgramPaths programs = find_programs(o.sim_path, o.exitbrain_path);
  so.sim_path = programs.sim;
  so.exitbrain_path = programs.exitbrain;
  so.threads = ThreadChoice{o.wait, o.fused, parse_cpu_list(o.cpus)};
  so.dir = make_work_dir(o.dir);
  so.tls = o.tls;
  so.symbols = {{kSymbol, kStartPrice}};
  std::printf("exitbrain-bench loopback: %d samples, one every %d ms, files in %s\n", o.samples,
              o.interval_ms, so.dir.c_str());
  if (o.interval_ms * kOrdersPerMinute < kOrdersPerSample * 60'000)
    std::printf(
        "warning: %d orders a minute is above the exchange's %d: exits will wait for "
        "exitbrain's rate limiter\n",
        kOrdersPerSample * 60'000 / std::max(o.interval_ms, 1), kOrdersPerMinute);
  std::fflush(stdout);

  std::vector<Sample> samples;
  int skipped = 0;
  {
    LiveSession session(so);
    try {
      session.start();
      BreachSampler sampler(session, o);
      MonoNs next_start = mono_now_ns();
      for (int i = 0; i < o.samples; ++i) {
        sleep_checked(
            static_cast<int>(std::max<MonoNs>(0, next_start - mono_now_ns()) / 1'000'000));
        next_start = mono_now_ns() + static_cast<MonoNs>(o.interval_ms) * 1'000'000;
        const Sample sample = sampler.take(i, i % 2 == 0);
        if (sample.skipped)
          ++skipped;
        else
          samples.push_back(sample);
        if ((i + 1) % 50 == 0) {
          std::printf("  %d/%d\n", i + 1, o.samples);
          std::fflush(stdout);
        }
      }
      // The exchange's record of every request (with received_ns), for a look at outliers.
      write_text_file(so.dir + "/sim_orders.json", session.control(false, "/sim/orders"));
      if (const int code = session.stop(); code != 0)
        throw std::runtime_error("exitbrain run " + session.exitbrain().exit_text() +
                                 " on SIGTERM (log: " + so.dir + "/run.log)");
    } catch (const std::exception& e) {
      session.stop();
      throw std::runtime_error(std::string(e.what()) + "\n  (files kept in " + so.dir + ")");
    }
  }
  std::vector<double> wire_us, inside_us;
  int longs = 0;
  std::string raw = "[", raw_inside = "[";
  for (const Sample& s : samples) {
    wire_us.push_back(static_cast<double>(s.breach_to_order_ns) / 1e3);
    inside_us.push_back(static_cast<double>(s.tick_to_order_ns) / 1e3);
    longs += s.long_side;
    raw += (raw.size() > 1 ? "," : "") + std::to_string(s.breach_to_order_ns);
    raw_inside += (raw_inside.size() > 1 ? "," : "") + std::to_string(s.tick_to_order_ns);
  }
  raw += "]";
  raw_inside += "]";
  if (samples.empty()) throw std::runtime_error("no breach could be timed (all were left out)");
  const SampleStats wire = summarize(wire_us), inside = summarize(inside_us);
  print_report(o, wire, inside, longs, skipped);

  if (!o.json.empty()) {
    JsonLine opts;
    opts.num("samples", o.samples).str("wait", o.wait).boolean("fused", o.fused);
    opts.str("cpus", o.cpus).boolean("tls", o.tls).num("interval_ms", o.interval_ms);
    opts.str("symbol", kSymbol).str("qty", kQty);
    std::string opts_text = opts.finish();
    opts_text.pop_back();
    JsonLine polling;
    polling.real("cycle_s", kPollingCycleS).real("mean_s", kPollingCycleS / 2);
    polling.real("worst_s", kPollingCycleS);
    std::string polling_text = polling.finish();
    polling_text.pop_back();
    JsonLine ratio;
    ratio.real("polling_mean_over_p50", kPollingCycleS / 2 * 1e6 / wire.p50);
    ratio.real("polling_worst_over_p99", kPollingCycleS * 1e6 / wire.p99);
    std::string ratio_text = ratio.finish();
    ratio_text.pop_back();
    JsonLine j;
    j.str("mode", "loopback").raw("options", opts_text);
    j.str("clock", "exitbrain-sim CLOCK_MONOTONIC: markPrice frame written -> exit order read");
    j.num("count", static_cast<std::int64_t>(wire.count)).num("long", longs);
    j.num("skipped", skipped);
    j.raw("breach_to_order_us", stats_json(wire));
    j.raw("exitbrain_tick_to_order_us", stats_json(inside));
    j.raw("polling", polling_text).raw("ratio", ratio_text).raw("samples_ns", raw);
    j.raw("exitbrain_tick_to_order_ns", raw_inside);
    write_text_file(o.json, j.finish());
    std::printf("\nfigures written to %s\n", o.json.c_str());
  }
  if (!o.keep && o.dir.empty()) std::filesystem::remove_all(so.dir);
}

}  // namespace

void add_loopback_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<LoopbackOptions>();
  CLI::App* cmd = app.add_subcommand(
      "loopback",
      "breach-to-order over real sockets: exitbrain-sim breaches a managed position's stop and "
      "times exitbrain's exit order, beside the 10 s polling cycle it replaces");
  cmd->add_option("--samples", o->samples, "breaches, LONG and SHORT in turn")
      ->check(CLI::Range(1, kMaxSamples))
      ->capture_default_str();
  cmd->add_option("--wait", o->wait, "exitbrain's wait strategy, every thread")
      ->check(CLI::IsMember({"spin", "spin-yield", "block"}))
      ->capture_default_str();
  cmd->add_flag("--fused", o->fused, "state and decide on one thread");
  cmd->add_option("--cpus", o->cpus,
                  "pin exitbrain's threads: md,state,decide,orders,user CPUs (-1: not pinned)");
  cmd->add_flag("--tls", o->tls, "wss:// and https:// with a test CA (default plain ws/http)");
  cmd->add_option("--interval-ms", o->interval_ms,
                  "from one sample's start to the next (each sends 2 orders: the default keeps "
                  "them under the exchange's 1200 a minute)")
      ->check(CLI::Range(0, 60'000))
      ->capture_default_str();
  cmd->add_option("--timeout-s", o->timeout_s, "longest wait for any one step")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--sim", o->sim_path, "exitbrain-sim (default: beside exitbrain-bench)");
  cmd->add_option("--exitbrain", o->exitbrain_path, "exitbrain (default: beside exitbrain-bench)");
  cmd->add_option("--dir", o->dir,
                  "keep the config, logs and events here (default: a temp dir, "
                  "removed after a successful run)");
  cmd->add_flag("--keep", o->keep, "keep the temp dir");
  cmd->add_option("--json", o->json, "also write the figures (and the options) to this file");
  cmd->callback([o, &exit_code] {
    run_loopback(*o);
    exit_code = 0;
  });
}

}  // namespace exitbrain::bench
