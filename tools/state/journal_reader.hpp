#pragma once
// Reads the state directory back at start-up: the newest good snapshot, then every journal
// record after it, in order.
//
// Damage (a tail cut short by a crash, a bad checksum, a gap in the sequence, between
// records or between segments: a segment is named after its first record) ends the
// read at the last good record: what follows is not applied (a state rebuilt past a hole
// could be wrong in ways nobody would see), the damaged segment is cut back to its last
// good record so the next start does not meet it again, later segments are set aside as
// `*.damaged`, and the result says how many bytes were lost. A journal or snapshot of
// another account, config or format is refused whole.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "tools/state/journal_format.hpp"

namespace exitbrain {

struct SnapshotRead {
  bool found = false;
  std::uint64_t seq = 0;  // the last journal record the snapshot contains
  std::vector<std::uint8_t> payload;
  std::string note;  // snapshots skipped as damaged, if any
};

// The newest snapshot whose checksum holds (`oldest`: the oldest, for a replay of all the
// journal still holds). Error text (a snapshot of another identity; an unreadable
// directory) or "".
std::string read_latest_snapshot(const std::string& dir, const JournalIdentity& expected,
                                 SnapshotRead& out, bool oldest = false);
// Writes snapshot-<seq>.snap atomically and removes all but the newest `keep`.
std::string write_snapshot(const std::string& dir, const JournalIdentity& id, std::uint64_t seq,
                           std::span<const std::uint8_t> payload, std::size_t keep = 2);

struct JournalRead {
  std::uint64_t last_seq = 0;  // of the last good record (or the snapshot's seq)
  std::uint64_t records = 0;   // applied, after the snapshot
  std::uint64_t lost_bytes = 0;
  std::string lost_note;  // where and why the read stopped early
  bool damaged() const noexcept { return lost_bytes > 0 || !lost_note.empty(); }
};

using RecordVisitor =  // false: stop here (the record does not fit)
    std::function<bool(std::uint64_t seq, std::uint16_t kind, std::span<const std::uint8_t>)>;

// Visits every good record with seq > after_seq. Error text (another identity, an
// unreadable file) or "": damage is reported in `out`, not as an error.
std::string read_journal(const std::string& dir, const JournalIdentity& expected,
                         std::uint64_t after_seq, const RecordVisitor& visit, JournalRead& out);

}  // namespace exitbrain
