// exitbrain-bench pipeline: tick-to-order latency of the in-process pipeline, per hop.
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "bench/bench_paths.hpp"
#include "bench/e2e/bench_commands.hpp"
#include "bench/e2e/latency_report.hpp"
#include "bench/e2e/pipeline_bench.hpp"
#include "strategies/profile.hpp"
#include "tools/cli/commands.hpp"
#include "tools/common/json_line.hpp"

namespace exitbrain::bench {

namespace {

struct PipelineArgs {
  PipelineOptions o;
  std::vector<std::string> data;
  std::string data_dir = default_data_dir();
  bool synthetic = false;
  std::string wait = "block";
  std::string cpus;
  std::string trigger = "mid";
  std::string json_path, png_path;
};

WaitStrategy wait_or_throw(const std::string& s, const char* field) {
  if (auto w = parse_wait_strategy(s)) return *w;
  throw InputError(std::string(field) + ": '" + s + "' is not spin, spin-yield or block");
}

std::vector<NamedHistogram> rows_of(const PipelineResult& r) {
  auto h = [&](Hop hop) { return &r.hops[static_cast<int>(hop)]; };
  return {
      {"source_lag", "scheduled -> frame handed to the parser (the source's own delay)",
       h(Hop::kSourceLag)},
      {"parse", "frame due -> market event (the source's lag included) [md]", h(Hop::kParse)},
      {"md->state", "event -> price state (ring + state update) [state]", h(Hop::kToState)},
      {"state->decide", "state -> decision step done (ring + rules) [decide]", h(Hop::kToDecision)},
      {"decide->order", "exit decided -> exit query written and signed (ring + bytes) [orders]",
       h(Hop::kToOrderBytes)},
      {"tick->decision", "scheduled -> decision step done, every price state",
       h(Hop::kTickToDecision)},
      {"tick->order", "scheduled -> signed exit order bytes, every exit a tick caused",
       h(Hop::kTickToOrder)},
  };
}

std::string options_json(const PipelineArgs& a, const FrameSet& fs, const PipelineResult& r) {
  const PipelineOptions& o = a.o;
  std::string waits, cpus, sources;
  for (int s = 0; s < kBenchStages; ++s) {
    waits += std::string(s ? "," : "") + "\"" + to_string(static_cast<Stage>(s)) + "\":\"" +
             to_string(o.wait[s]) + "\"";
    cpus += std::string(s ? "," : "") + "\"" + to_string(static_cast<Stage>(s)) +
            "\":" + std::to_string(o.cpu[s]);
  }
  for (const std::string& s : fs.sources)
    sources += std::string(sources.empty() ? "" : ",") + JsonLine::quote(s);
  char nums[512];
  std::snprintf(nums, sizeof nums,
                "\"rate_per_s\":%.0f,\"seconds\":%.3f,\"warmup_frames\":%zu,\"fused\":%s,"
                "\"positions_per_symbol\":%d,\"level_bps\":%g,\"trigger\":\"%s\","
                "\"journal\":%s,\"journal_records\":%llu,\"journal_bytes\":%llu",
                o.rate, r.seconds, o.warmup_frames, o.fused ? "true" : "false",
                o.positions_per_symbol, o.level_bps, to_string(o.trigger),
                o.journal_dir.empty() ? "false" : "true",
                static_cast<unsigned long long>(r.journal_records),
                static_cast<unsigned long long>(r.journal_bytes));
  return std::string("{") + nums + ",\"wait\":{" + waits + "},\"cpu\":{" + cpus +
         "},\"frames_from\":[" + sources + "]}";
}

void run(PipelineArgs& a, int& exit_code) {
  PipelineOptions& o = a.o;
  // One strategy for every thread, or one per thread: md,state,decide,orders.
  std::vector<std::string> waits;
  for (std::size_t from = 0;;) {
    const std::size_t comma = a.wait.find(',', from);
    waits.push_back(a.wait.substr(from, comma - from));
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  if (waits.size() != 1 && waits.size() != kBenchStages)
    throw InputError("--wait: want one strategy or four (md,state,decide,orders); got '" + a.wait +
                     "'");
  for (int s = 0; s < kBenchStages; ++s)
    o.wait[s] = wait_or_throw(waits[waits.size() == 1 ? 0 : static_cast<std::size_t>(s)], "--wait");
  if (!a.cpus.empty()) {
    int c[4];
    if (std::sscanf(a.cpus.c_str(), "%d,%d,%d,%d", &c[0], &c[1], &c[2], &c[3]) != 4)
      throw InputError(
          "--cpus: want four CPU numbers md,state,decide,orders (-1: not "
          "pinned); got '" +
          a.cpus + "'");
    for (int s = 0; s < kBenchStages; ++s) o.cpu[s] = c[s];
  }
  const auto trig = parse_trigger_source(a.trigger);
  if (!trig) throw InputError("--trigger: '" + a.trigger + "' is not mark, last or mid");
  o.trigger = *trig;

  FrameSet frames;
  if (a.synthetic) {
    frames = synthetic_frames(o.warmup_frames + static_cast<std::size_t>(o.rate * o.seconds));
  } else {
    if (a.data.empty()) a.data = default_capture_paths(a.data_dir);
    if (a.data.empty()) {
      std::printf(
          "note: no recorded captures under %s (EXITBRAIN_DATA_DIR, --data): using "
          "synthetic frames\n",
          a.data_dir.c_str());
      frames = synthetic_frames(o.warmup_frames + static_cast<std::size_t>(o.rate * o.seconds));
    } else {
      frames = load_recorded_frames(a.data);
    }
  }
  std::unique_ptr<PipelineResult> r;
  try {
    r = run_pipeline(frames, o);
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }

  std::printf(
      "exitbrain-bench pipeline: %llu frames at %.0f/s over %.2f s (%zu symbols, %d "
      "positions each, %s trigger, levels %g bps), %s, waits md/state/decide/orders "
      "%s/%s/%s/%s\n",
      static_cast<unsigned long long>(r->frames_offered), o.rate, r->seconds, r->symbols,
      o.positions_per_symbol, to_string(o.trigger), o.level_bps,
      o.fused ? "fused state+decide" : "split state/decide", to_string(o.wait[0]),
      to_string(o.wait[1]), to_string(o.wait[2]), to_string(o.wait[3]));
  for (const std::string& s : frames.sources) std::printf("  frames from %s\n", s.c_str());
  const auto rows = rows_of(*r);
  std::printf("%s", latency_table(rows).c_str());
  std::printf(
      "events %llu, price states decided %llu, exit orders %llu, stop orders %llu, "
      "positions replaced %llu (refused %llu), malformed %llu, ring-full waits %llu\n",
      static_cast<unsigned long long>(r->events), static_cast<unsigned long long>(r->states),
      static_cast<unsigned long long>(r->exit_orders),
      static_cast<unsigned long long>(r->stop_orders),
      static_cast<unsigned long long>(r->positions_replaced),
      static_cast<unsigned long long>(r->replacements_refused),
      static_cast<unsigned long long>(r->malformed), static_cast<unsigned long long>(r->ring_full));
  if (!o.journal_dir.empty())
    std::printf("state journal: %llu records, %llu bytes, %llu waits for a full ring\n",
                static_cast<unsigned long long>(r->journal_records),
                static_cast<unsigned long long>(r->journal_bytes),
                static_cast<unsigned long long>(r->journal_ring_full));
  const double achieved = static_cast<double>(r->frames_offered) / r->seconds;
  if (achieved < 0.95 * o.rate)
    std::printf(
        "note: the source kept up only %.0f frames/s of the %.0f asked: the rate is "
        "above what this machine sustains, and the figures include the backlog\n",
        achieved, o.rate);

  if (!a.json_path.empty()) {
    std::ofstream f(a.json_path);
    if (!f) throw InputError("--json: cannot write " + a.json_path);
    f << "{\n  \"mode\": \"pipeline\",\n  \"options\": " << options_json(a, frames, *r)
      << ",\n  \"frames\": " << r->frames_offered << ",\n  \"exit_orders\": " << r->exit_orders
      << ",\n  \"stop_orders\": " << r->stop_orders << ",\n  \"hops\": " << latency_json(rows)
      << "\n}\n";
  }
  if (!a.png_path.empty())
    write_percentile_plot(rows, "exitbrain-bench pipeline (coordinated-omission corrected)",
                          a.png_path);
  exit_code = 0;
}

}  // namespace

void add_pipeline_command(CLI::App& root, int& exit_code) {
  auto args = std::make_shared<PipelineArgs>();
  CLI::App* c = root.add_subcommand(
      "pipeline",
      "in-process pipeline over recorded frames at a fixed rate: latency per hop and tick to "
      "signed order bytes, measured from each frame's scheduled time");
  c->add_option("--data", args->data,
                "capture files (default: BTC/ETH 2024-08-08 under --data-dir)");
  c->add_option("--data-dir", args->data_dir, "recorded data folder")->capture_default_str();
  c->add_flag("--synthetic", args->synthetic, "synthetic frames instead of recorded ones");
  c->add_option("--rate", args->o.rate, "frames per second")->capture_default_str();
  c->add_option("--seconds", args->o.seconds, "how long frames are sent")->capture_default_str();
  c->add_option("--warmup", args->o.warmup_frames, "frames sent first, not measured")
      ->capture_default_str();
  c->add_flag("--fused", args->o.fused, "state and decide on one thread");
  c->add_option("--wait", args->wait,
                "spin, spin-yield or block: one for every thread, or md,state,decide,orders")
      ->capture_default_str();
  c->add_option("--cpus", args->cpus, "md,state,decide,orders CPUs (-1: not pinned)");
  c->add_option("--positions", args->o.positions_per_symbol, "positions per symbol")
      ->capture_default_str();
  c->add_option("--level-bps", args->o.level_bps, "stop and target distance from entry (bps)")
      ->capture_default_str();
  c->add_option("--trigger", args->trigger, "price the positions follow: mark, last, mid")
      ->capture_default_str();
  c->add_option("--journal", args->o.journal_dir,
                "write the state journal behind the decide stage into this folder (emptied)");
  c->add_option("--json", args->json_path, "write the figures as JSON here");
  c->add_option("--png", args->png_path, "draw the percentile plot here");
  c->callback([args, &exit_code] { run(*args, exit_code); });
}

}  // namespace exitbrain::bench
