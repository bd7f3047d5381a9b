#pragma once
// What `exitbrain validate` concludes from what it read (tools/cli/cmd_validate.cpp does
// the reading): pure functions over the exchange's answers and Redis's, one verdict line
// each, so every rule is tested without a deployment.
#include <string>
#include <vector>

#include "tools/live/startup.hpp"

namespace exitbrain {

enum class Verdict : std::uint8_t { kPass, kFail, kSkip };
const char* to_string(Verdict v) noexcept;

struct CheckLine {
  Verdict verdict = Verdict::kPass;
  std::string name;    // "hard_stop TESTUSDT LONG"
  std::string reason;  // what was seen
};

// Every open position on a managed symbol holds exactly one hard stop of ours ("xbs-"
// client ids), on the protective side of the mark: below it for a LONG (a SELL stop),
// above it for a SHORT (a BUY stop). A stop belongs to a position by its position side
// (hedge mode) or order side; when the exchange's answer has neither, by the side of the
// mark its trigger is on. With no open position: one passing line that says so.
std::vector<CheckLine> check_hard_stops(const StartupState& st);

// The adaptive levels of the last intents: each target leverage within [lo, hi]. `levels`
// are the target_leverage fields read back (newest first); none is a failure (nothing
// published yet).
CheckLine check_levels_leverage(const std::vector<std::string>& levels, int lo, int hi);

// The per-symbol metadata hash (`prefix`<symbol>) the seeds' stack reads. A symbol whose
// levels were published (`with_levels`: the symbols of the latest levels entries) must have
// one; a symbol no intent has been handled for yet has none to have, and is only named.
// `present`: the managed symbols whose hash exists; `managed`: all of them.
CheckLine check_ilf_metadata(const std::string& prefix, const std::vector<std::string>& managed,
                             const std::vector<std::string>& present,
                             const std::vector<std::string>& with_levels);

}  // namespace exitbrain
