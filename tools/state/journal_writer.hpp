#pragma once
// Appends records to the state journal's current segment (tools/state/journal_format.hpp).
// Written by one thread, the journal's; what it appends is buffered and goes to the file
// with flush(), which the journal thread calls after each batch.
//
// Durability (after Aeron's archive file-sync levels):
//   off         write(2) per batch, never fsync: survives a crash or kill -9 of exitbrain
//               (the kernel holds the bytes), not a power loss or kernel panic;
//   interval    the same, plus fdatasync every sync_interval_ms (default 1000): a power
//               loss loses at most that much of the journal;
//   every_batch fdatasync after every batch: nothing acknowledged by the journal thread is
//               lost, at the cost of a disk flush per batch (the hot path does not wait
//               for it unless the journal's ring fills up).
// What the pipeline had pushed but the journal thread had not yet written (under 1 ms
// while busy, up to the idle poll of 10 ms) is lost in every mode.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tools/state/journal_format.hpp"

namespace exitbrain {

enum class JournalSync : std::uint8_t { kOff, kInterval, kEveryBatch };
const char* to_string(JournalSync s) noexcept;

struct JournalOptions {
  JournalSync sync = JournalSync::kInterval;
  std::int64_t sync_interval_ms = 1000;
  std::uint64_t segment_bytes = 64ull << 20;  // a new segment after this many bytes
};

class JournalWriter {
 public:
  JournalWriter() = default;
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // Starts a new segment in `dir` whose first record will be `next_seq`. Error text or "".
  std::string open(const std::string& dir, const JournalIdentity& id, std::uint64_t next_seq,
                   const JournalOptions& options);
  // Buffers one record; returns its sequence number.
  std::uint64_t append(std::uint16_t kind, std::span<const std::uint8_t> payload);
  // Writes what is buffered (and syncs per the policy). `now_ms`: a monotonic clock.
  // Error text or "" (the buffer is kept and written again next time).
  std::string flush(std::int64_t now_ms);
  // fdatasync now (a snapshot is about to rely on the segment).
  std::string sync();
  // Deletes whole segments holding only records before `seq` (a snapshot covers them).
  void remove_segments_before(std::uint64_t seq);

  std::uint64_t next_seq() const noexcept { return next_seq_; }
  std::uint64_t bytes_written() const noexcept { return bytes_written_; }
  std::uint64_t pending_bytes() const noexcept { return buffer_.size(); }
  const std::string& segment_path() const noexcept { return path_; }

 private:
  std::string start_segment();
  void close_fd();

  std::string dir_;
  JournalIdentity id_;
  JournalOptions options_;
  std::string path_;
  int fd_ = -1;
  std::uint64_t next_seq_ = 1;
  std::uint64_t segment_size_ = 0;
  std::uint64_t bytes_written_ = 0;
  std::int64_t last_sync_ms_ = 0;
  bool dirty_ = false;  // written since the last fdatasync
  std::vector<std::uint8_t> buffer_;
};

// "journal-00000000000000000042.seg" / "snapshot-....snap": file names by sequence number.
std::string segment_name(std::uint64_t first_seq);
std::string snapshot_name(std::uint64_t seq);
// The sequence number in such a name (0 if it is not one).
std::uint64_t seq_of_name(const std::string& name, const char* prefix, const char* suffix);
// The names in `dir` with that prefix and suffix, in sequence order.
std::vector<std::string> list_by_seq(const std::string& dir, const char* prefix,
                                     const char* suffix);
// Writes `bytes` to `path` whole or not at all (temporary file, fsync, rename, fsync of the
// directory). Error text or "".
std::string write_file_atomically(const std::string& dir, const std::string& name,
                                  std::span<const std::uint8_t> bytes);
// Reads a whole file. Error text or "".
std::string read_whole_file(const std::string& path, std::vector<std::uint8_t>& out);

}  // namespace exitbrain
