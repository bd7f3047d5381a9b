#pragma once
// The fault soak's judge: the invariants of issue 14 checked from what the exchange saw —
// exitbrain-sim's own record of every order request (GET /sim/orders), the trade.closed
// stream in Redis, and samples of the daemon's RSS, file descriptors and threads — never
// from exitbrain's word about itself. Pure: the soak (tools/soak.sh) collects the inputs,
// exitbrain-soak-check reads them, the tests feed hand-made records.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace exitbrain::soak {

struct InvariantResult {
  std::string name;
  std::int64_t passed = 0, failed = 0;
  std::vector<std::string> failures;  // the first few, each naming what and when
  std::string note;                   // what was measured, or why nothing could be
};

struct SoakInputs {
  std::string orders_json;  // GET /sim/orders at the end of the soak
  // trade.closed rows (field -> value), in stream order.
  std::vector<std::map<std::string, std::string>> closed;
  // One line per sample: "<wall ms> <pid> <rss kB> <open fds> <threads>".
  std::string samples;
  // A position opened at t must hold a stop of ours by t + grace: exitbrain has to see it
  // (user stream or its start-up) and place one; faults (503, 429, a restart) delay that.
  std::int64_t stop_grace_ms = 15'000;
  // Samples of one process taken before this long after its first sample are warm-up.
  std::int64_t warm_up_ms = 30'000;
  // GET /sim/marks: the mark prices the market streams carried, in order ("" : not judged).
  std::string marks_json;
  // The schedule's faults, one per line: "<start ms> <end ms> <name>" (wall clock).
  std::string faults;
  // Where the engine's stop is, seen from the exchange: the hard stop sits `stop_buffer`
  // beyond it and moves only by `stop_min_move` (exitbrain's [hard_stop] defaults). A
  // mark beyond the hard stop's trigger less that buffer and move is a breach of the
  // engine's own stop for certain; it must be acted on within `act_within_ms`, or within
  // that of the first streamed mark after a fault that covered it ended.
  double stop_buffer = 0.002, stop_min_move = 0.001;
  std::int64_t act_within_ms = 3'000;
};

// In order: exits never sent twice; reduce-only exits, no position flipped or taken below
// zero; a hard stop behind every open position; every stop breach acted on; every filled
// exit once on trade.closed; resources flat. A failure to read the record is a failed invariant of
// its own ("record").
std::vector<InvariantResult> check_soak(const SoakInputs& in);

// "name: N passed, M failed" lines (and the first failures), as the soak prints them.
std::string format_results(const std::vector<InvariantResult>& results);

}  // namespace exitbrain::soak
