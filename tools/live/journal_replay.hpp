#pragma once
// `exitbrain replay --journal DIR`: the same decide stage over a live run's state journal,
// from the oldest snapshot it still holds, writing the decision lines (levels, sl_moved,
// exit) the live run wrote for the same records, byte for byte. Nothing is sent.
#include <cstdio>
#include <string>

#include "tools/settings/config.hpp"

namespace exitbrain {

struct JournalReplayResult {
  std::uint64_t records = 0, decisions = 0;
  std::uint64_t first_seq = 0, last_seq = 0;
  std::string damage;
};

// Throws InputError on a journal that does not fit the config (or no journal at all).
JournalReplayResult replay_journal(const Config& config, const std::string& dir, std::FILE* out);

}  // namespace exitbrain
