#include "tools/state/journal_reader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/byte_codec.hpp"
#include "tools/state/journal_writer.hpp"

namespace exitbrain {

std::string read_latest_snapshot(const std::string& dir, const JournalIdentity& expected,
                                 SnapshotRead& out, bool oldest) {
  out = SnapshotRead{};
  std::vector<std::string> names = list_by_seq(dir, "snapshot-", ".snap");
  if (oldest) std::reverse(names.begin(), names.end());
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    std::vector<std::uint8_t> bytes;
    if (std::string err = read_whole_file(dir + "/" + *it, bytes); !err.empty()) return err;
    JournalIdentity id;
    const auto at = read_identity(bytes, kSnapshotMagic, id);
    if (!at) {
      out.note += *it + ": no valid header, skipped; ";
      continue;
    }
    if (!id.fits(expected))
      return "state_dir: " + *it + " was written for " + identity_mismatch(id, expected);
    const std::span<const std::uint8_t> body = std::span<const std::uint8_t>(bytes).subspan(*at);
    ByteReader r(body);
    std::uint64_t seq = 0;
    std::uint32_t len = 0, crc = 0;
    if (!r.get(seq) || !r.get(len) || !r.get(crc) || bytes.size() - *at - r.position() != len) {
      out.note += *it + ": cut short, skipped; ";
      continue;
    }
    const auto payload = std::span(bytes).subspan(*at + r.position());
    if (record_crc(seq, 0, payload) != crc) {
      out.note += *it + ": bad checksum, skipped; ";
      continue;
    }
    out.found = true;
    out.seq = seq;
    out.payload.assign(payload.begin(), payload.end());
    return {};
  }
  return {};
}

std::string write_snapshot(const std::string& dir, const JournalIdentity& id, std::uint64_t seq,
                           std::span<const std::uint8_t> payload, std::size_t keep) {
  std::vector<std::uint8_t> bytes;
  append_identity(bytes, kSnapshotMagic, id);
  ByteWriter w(bytes);
  w.put(seq).put(static_cast<std::uint32_t>(payload.size())).put(record_crc(seq, 0, payload));
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  if (std::string err = write_file_atomically(dir, snapshot_name(seq), bytes); !err.empty())
    return err;
  const std::vector<std::string> names = list_by_seq(dir, "snapshot-", ".snap");
  if (names.size() > keep)
    for (std::size_t i = 0; i < names.size() - keep; ++i) ::unlink((dir + "/" + names[i]).c_str());
  return {};
}

std::string read_journal(const std::string& dir, const JournalIdentity& expected,
                         std::uint64_t after_seq, const RecordVisitor& visit, JournalRead& out) {
  out = JournalRead{};
  out.last_seq = after_seq;
  const std::vector<std::string> names = list_by_seq(dir, "journal-", ".seg");
  std::uint64_t expect_seq = 0;  // of the next record; 0: no segment read yet
  bool stopped = false;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string path = dir + "/" + names[i];
    std::vector<std::uint8_t> bytes;
    if (std::string err = read_whole_file(path, bytes); !err.empty()) return err;
    if (stopped) {  // after damage: set aside, never applied
      out.lost_bytes += bytes.size();
      std::rename(path.c_str(), (path + ".damaged").c_str());
      continue;
    }
    // A later segment starts after this one's records: skip it if the snapshot covers
    // it whole (its successor starts at or before after_seq + 1).
    if (i + 1 < names.size() && seq_of_name(names[i + 1], "journal-", ".seg") <= after_seq + 1)
      continue;
    JournalIdentity id;
    const auto at = read_identity(bytes, kJournalMagic, id);
    if (!at) {
      // A segment created by a crash before its header was written holds nothing.
      if (bytes.size() < 64 && i + 1 == names.size()) {
        out.lost_bytes += bytes.size();
        out.lost_note = names[i] + ": header cut short";
        ::truncate(path.c_str(), 0);
        ::unlink(path.c_str());
        break;
      }
      return "state_dir: " + names[i] + " is not a journal segment (no valid header)";
    }
    if (!id.fits(expected))
      return "state_dir: " + names[i] + " was written for " + identity_mismatch(id, expected);
    // A segment is named after its first record. One that does not start where the records
    // before it ended (or, the first one read, by the record after the snapshot) leaves
    // records out: the segment before it was cut at a record boundary, or is gone. Set
    // aside. And its first record must be that one (a header whose length is wrong takes
    // its first record, or more, for part of itself; a good record that is not the first
    // follows).
    const std::uint64_t first_seq = seq_of_name(names[i], "journal-", ".seg");
    if (expect_seq == 0 ? first_seq > after_seq + 1 : first_seq != expect_seq) {
      out.lost_bytes += bytes.size();
      out.lost_note = names[i] + ": starts at seq " + std::to_string(first_seq) + ", seq " +
                      std::to_string(expect_seq == 0 ? after_seq + 1 : expect_seq) +
                      " is next (records after seq " + std::to_string(out.last_seq) +
                      " are not applied)";
      std::rename(path.c_str(), (path + ".damaged").c_str());
      stopped = true;
      continue;
    }
    expect_seq = first_seq;
    std::size_t pos = *at;
    while (pos < bytes.size()) {
      const char* why = nullptr;
      std::uint32_t len = 0, crc = 0;
      std::uint64_t seq = 0;
      std::uint16_t kind = 0;
      if (bytes.size() - pos < kRecordHeaderBytes) {
        why = "record header cut short";
      } else {
        std::memcpy(&len, &bytes[pos], 4);
        std::memcpy(&crc, &bytes[pos + 4], 4);
        std::memcpy(&seq, &bytes[pos + 8], 8);
        std::memcpy(&kind, &bytes[pos + 16], 2);
        if (len > kMaxRecordPayload)
          why = "record length out of range";
        else if (bytes.size() - pos - kRecordHeaderBytes < len)
          why = "record cut short";
      }
      std::span<const std::uint8_t> payload;
      if (!why) {
        payload = std::span(bytes).subspan(pos + kRecordHeaderBytes, len);
        if (record_crc(seq, kind, payload) != crc)
          why = "bad checksum";
        else if (seq != expect_seq)
          why = "sequence gap";
      }
      if (why) {
        out.lost_bytes += bytes.size() - pos;
        out.lost_note = names[i] + " at byte " + std::to_string(pos) + ": " + why +
                        " (records after seq " + std::to_string(out.last_seq) + " are not applied)";
        // Cut back to the last good record: the next start meets a clean journal.
        ::truncate(path.c_str(), static_cast<off_t>(pos));
        stopped = true;
        break;
      }
      expect_seq = seq + 1;
      if (seq > after_seq) {
        if (!visit(seq, kind, payload)) {
          out.lost_bytes += bytes.size() - pos;
          out.lost_note = names[i] + " at byte " + std::to_string(pos) +
                          ": a record this exitbrain cannot apply";
          ::truncate(path.c_str(), static_cast<off_t>(pos));
          stopped = true;
          break;
        }
        ++out.records;
        out.last_seq = seq;
      }
      pos += kRecordHeaderBytes + len;
    }
  }
  return {};
}

}  // namespace exitbrain
