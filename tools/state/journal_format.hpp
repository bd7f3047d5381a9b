#pragma once
// The state journal's bytes on disk (tools/state: files only; what the records mean is the
// daemon's, tools/live/state_records.hpp).
//
// A state directory holds segments `journal-<first seq, 20 digits>.seg`, snapshots
// `snapshot-<seq, 20 digits>.snap` and the owner's `lock`. Every segment and snapshot starts
// with the same identity header; a record is
//
//   u32 payload length | u32 CRC-32 of (seq, kind, payload) | u64 seq | u16 kind | payload
//
// little-endian, appended only. Sequence numbers run on across segments and restarts, so a
// snapshot names the last record it contains and a restart reads only what follows.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace exitbrain {

inline constexpr std::uint32_t kJournalMagic = 0x4A425845;   // "EXBJ"
inline constexpr std::uint32_t kSnapshotMagic = 0x53425845;  // "EXBS"
// Bumped whenever a record's layout changes: a journal of another format is refused.
inline constexpr std::uint32_t kJournalFormat = 1;
inline constexpr std::size_t kRecordHeaderBytes = 18;
inline constexpr std::uint32_t kMaxRecordPayload = 1u << 20;

// Who wrote a journal: a journal of another account, config or format is refused, never
// applied to positions it does not describe.
struct JournalIdentity {
  std::uint32_t format = kJournalFormat;
  std::uint64_t account = 0;  // fingerprint of the API key (never the key)
  std::uint64_t config = 0;   // fingerprint of what the engine's state depends on
  std::string version;        // exitbrain's version, for the message only

  // `expected.account == 0` takes any account (a replay reads; it never trades).
  bool fits(const JournalIdentity& expected) const {
    return format == expected.format && (expected.account == 0 || account == expected.account) &&
           config == expected.config;
  }
};

// 64-bit FNV-1a: a fingerprint, not a secret (the account's is taken over a SHA-256 of the
// key, so the journal holds nothing the key could be recovered from).
std::uint64_t fingerprint(std::span<const std::uint8_t> bytes, std::uint64_t seed = 0);
std::uint64_t fingerprint(std::string_view text, std::uint64_t seed = 0);

std::uint32_t record_crc(std::uint64_t seq, std::uint16_t kind,
                         std::span<const std::uint8_t> payload);

void append_identity(std::vector<std::uint8_t>& out, std::uint32_t magic,
                     const JournalIdentity& id);
// Reads the header at the start of `in`; the number of bytes it took, or nullopt.
std::optional<std::size_t> read_identity(std::span<const std::uint8_t> in, std::uint32_t magic,
                                         JournalIdentity& id);
// "account", "config" or "format" (the first that differs), with both sides.
std::string identity_mismatch(const JournalIdentity& found, const JournalIdentity& expected);

void append_record(std::vector<std::uint8_t>& out, std::uint64_t seq, std::uint16_t kind,
                   std::span<const std::uint8_t> payload);

}  // namespace exitbrain
