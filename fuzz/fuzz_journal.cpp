// The state directory read back as a restart reads it (StateJournal::restore: the newest
// good snapshot, then the journal after it), on damaged or arbitrary files.
//
// Damage mode: a state directory written by the project's own writer (JournalWriter, N
// records of input-chosen kinds and payloads, segments of an input-chosen size, flushed in
// input-chosen batches; up to two snapshots by write_snapshot), then damaged as a disk or a
// crash would: cut at any point, bursts of up to 4 flipped bytes, random bytes appended (not
// the input's own: a record the input forged would be a record, not damage), blocks of the
// directory's own bytes appended again. Invariants: the snapshot found is one that was
// written (and the newest one when it is intact); the records read are exactly the written
// records after it, in order (same seq, kind, payload), never one that was not written;
// fewer than all of them come back only with the damage reported (damaged()) or an error,
// unless the journal was merely cut at a record boundary at its end (indistinguishable from
// a journal that ended there).
//
// Raw mode: segments and snapshots whose bytes are the input's (with or without a valid
// header in front). Invariant: the records read run on one by one after the snapshot.
//
// Both: an error names the state directory and leaves every file as it was; the bytes
// said lost are exactly the bytes cut from segments or set aside (*.damaged, whose content
// is kept as it was); no damage reported means no file changed; and the next start reads
// the same snapshot and records from what this read left, with no damage and no error.
//
// Input (FuzzedDataProvider: the integers from the back, the texts from the front): a flags
// byte (1: raw mode; 2: the reader refuses one record), then in damage mode N, the segment
// size, the batch size, per record its kind and payload, the snapshots (count, seq,
// payload), the refused seq, then up to 8 damage operations; in raw mode the segments and
// snapshots (count, seq of the name, header or not, bytes). fuzz/make_seeds.py writes the
// seeds in this layout.
#include <fcntl.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "tools/state/journal_format.hpp"
#include "tools/state/journal_reader.hpp"
#include "tools/state/journal_writer.hpp"

namespace exitbrain {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;
using Files = std::map<std::string, Bytes>;  // name -> content

struct Record {
  std::uint64_t seq = 0;
  std::uint16_t kind = 0;
  Bytes payload;
  bool operator==(const Record&) const = default;
};

struct Restore {
  std::string error;
  bool snapshot_error = false;  // the error came from the snapshots (no journal read)
  SnapshotRead snapshot;
  JournalRead journal;
  std::vector<Record> records;
};

const JournalIdentity& identity() {
  static const JournalIdentity id{kJournalFormat, 0x1234, 0x5678, "fuzz-1"};
  return id;
}

Bytes to_bytes(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

// A directory of this process's own under /dev/shm (no disk writes, fsync is free), made
// once and emptied for every input.
class Scratch {
 public:
  Scratch() {
    const char* base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : std::getenv("TMPDIR");
    std::string pattern = std::string(base ? base : "/tmp") + "/exitbrain-fuzz-journal-XXXXXX";
    if (!::mkdtemp(pattern.data())) fuzz::invariant_broken("mkdtemp", __FILE__, __LINE__);
    root_ = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  // An empty directory `name` under the root.
  std::string fresh(const std::string& name) const {
    const std::string dir = root_ + "/" + name;
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directory(dir, ec);
    if (ec) fuzz::invariant_broken("create_directory", __FILE__, __LINE__);
    return dir;
  }

 private:
  std::string root_;
};

Files read_dir(const std::string& dir) {
  Files out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    Bytes b;
    FUZZ_INVARIANT(read_whole_file(e.path().string(), b).empty());
    out.emplace(e.path().filename().string(), std::move(b));
  }
  return out;
}

void write_dir(const std::string& dir, const Files& files) {
  for (const auto& [name, bytes] : files) {
    const std::string path = dir + "/" + name;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_INVARIANT(fd >= 0);
    FUZZ_INVARIANT(bytes.empty() ||
                   ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    ::close(fd);
  }
}

// What a restart reads: the newest good snapshot, then every record after it.
Restore restore(const std::string& dir, std::uint64_t refuse_seq) {
  Restore r;
  r.error = read_latest_snapshot(dir, identity(), r.snapshot);
  r.snapshot_error = !r.error.empty();
  if (r.snapshot_error) return r;
  const std::uint64_t after = r.snapshot.found ? r.snapshot.seq : 0;
  r.error = read_journal(
      dir, identity(), after,
      [&](std::uint64_t seq, std::uint16_t kind, std::span<const std::uint8_t> payload) {
        if (seq == refuse_seq) return false;
        r.records.push_back({seq, kind, Bytes(payload.begin(), payload.end())});
        return true;
      },
      r.journal);
  return r;
}

bool is_segment(const std::string& name) {
  return seq_of_name(name, "journal-", ".seg") != 0;
}

bool is_prefix(const Bytes& part, const Bytes& whole) {
  return part.size() <= whole.size() && std::equal(part.begin(), part.end(), whole.begin());
}

// What every read must keep, whatever the files held before it (`before`: the directory
// as the read found it).
void check_read(const std::string& dir, const Files& before, const Restore& r) {
  const Files after = read_dir(dir);
  if (!r.error.empty() || !r.journal.damaged()) FUZZ_INVARIANT(after == before);
  if (!r.error.empty()) FUZZ_INVARIANT(r.error.rfind("state_dir: ", 0) == 0);
  // Said lost: cut from a segment, or the whole segment set aside (or, a header cut short,
  // removed). Nothing else changes; what is set aside is kept as it was.
  std::uint64_t lost = 0;
  for (const auto& [name, bytes] : before) {
    const auto kept = after.find(name);
    if (kept != after.end()) {
      FUZZ_INVARIANT(is_segment(name) ? is_prefix(kept->second, bytes) : kept->second == bytes);
      lost += bytes.size() - kept->second.size();
    } else {
      FUZZ_INVARIANT(is_segment(name));
      const auto aside = after.find(name + ".damaged");
      if (aside != after.end()) FUZZ_INVARIANT(aside->second == bytes);
      lost += bytes.size();
    }
  }
  for (const auto& [name, bytes] : after) {
    if (before.count(name)) continue;
    FUZZ_INVARIANT(name.size() > 8 && name.ends_with(".damaged"));
    FUZZ_INVARIANT(before.count(name.substr(0, name.size() - 8)) == 1);
  }
  FUZZ_INVARIANT(lost == r.journal.lost_bytes);
  // The records run on one by one after the snapshot; the counts say so.
  const std::uint64_t after_seq = r.snapshot.found ? r.snapshot.seq : 0;
  for (std::size_t i = 0; i < r.records.size(); ++i) {
    FUZZ_INVARIANT(r.records[i].seq > after_seq);
    if (i > 0) FUZZ_INVARIANT(r.records[i].seq == r.records[i - 1].seq + 1);
  }
  FUZZ_INVARIANT(r.journal.records == r.records.size());
  FUZZ_INVARIANT(r.journal.last_seq == (r.records.empty() ? after_seq : r.records.back().seq));
}

// The next start, on what the read left and what the start after it wrote first (begin_run
// opens the segment of the next record; a crash then, before any record): the same
// snapshot and records, no damage, no error.
void check_next_start(const std::string& dir, const Restore& first) {
  if (!first.error.empty()) return;
  {
    JournalWriter writer;
    JournalOptions options;
    options.sync = JournalSync::kOff;
    FUZZ_INVARIANT(writer.open(dir, identity(), first.journal.last_seq + 1, options).empty());
  }
  const Restore again = restore(dir, 0);
  FUZZ_INVARIANT(again.error.empty());
  FUZZ_INVARIANT(!again.journal.damaged());
  FUZZ_INVARIANT(again.snapshot.found == first.snapshot.found);
  FUZZ_INVARIANT(again.snapshot.seq == first.snapshot.seq);
  FUZZ_INVARIANT(again.snapshot.payload == first.snapshot.payload);
  FUZZ_INVARIANT(again.records == first.records);
  FUZZ_INVARIANT(again.journal.last_seq == first.journal.last_seq);
}

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The header's version text is for messages only: a change inside it is no damage.
std::size_t version_begin() {
  Bytes h;
  append_identity(h, kJournalMagic, identity());
  return h.size() - identity().version.size();
}

bool same_but_version(const Bytes& a, const Bytes& b) {
  if (a.size() != b.size()) return false;
  const std::size_t from = version_begin(), to = from + identity().version.size();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && (i < from || i >= to)) return false;
  return true;
}

// Written by the writer: the directory, the records and the snapshots in it.
struct Written {
  Files files;
  std::vector<Record> records;
  std::vector<Record> snapshots;                // seq and payload (kind 0)
  std::vector<std::size_t> boundaries_of_last;  // where a record ends in the last segment
};

Written write_state(FuzzedDataProvider& in, const Scratch& scratch) {
  Written w;
  const std::string dir = scratch.fresh("written");
  const int n = in.ConsumeIntegralInRange<int>(1, 32);
  JournalOptions options;
  options.sync = JournalSync::kOff;
  options.segment_bytes = 40 + 4 * std::uint64_t{in.ConsumeIntegral<std::uint8_t>()};
  const int batch = in.ConsumeIntegralInRange<int>(1, 8);
  {
    JournalWriter writer;
    FUZZ_INVARIANT(writer.open(dir, identity(), 1, options).empty());
    for (int i = 0; i < n; ++i) {
      Record r;
      r.kind = in.ConsumeIntegral<std::uint16_t>();
      r.payload = to_bytes(in.ConsumeRandomLengthString(48));
      r.seq = writer.append(r.kind, r.payload);
      FUZZ_INVARIANT(r.seq == static_cast<std::uint64_t>(i) + 1);
      w.records.push_back(std::move(r));
      if ((i + 1) % batch == 0) FUZZ_INVARIANT(writer.flush(0).empty());
    }
    FUZZ_INVARIANT(writer.flush(0).empty());
  }
  const int snapshots = in.ConsumeIntegralInRange<int>(0, 2);
  for (int i = 0; i < snapshots; ++i) {
    Record s;
    s.seq = in.ConsumeIntegralInRange<std::uint64_t>(1, static_cast<std::uint64_t>(n));
    s.payload = to_bytes(in.ConsumeRandomLengthString(32));
    FUZZ_INVARIANT(write_snapshot(dir, identity(), s.seq, s.payload).empty());
    std::erase_if(w.snapshots, [&](const Record& o) { return o.seq == s.seq; });
    w.snapshots.push_back(std::move(s));
  }
  w.files = read_dir(dir);
  // Record boundaries of the last segment, from the records the writer put there.
  std::string last_segment;
  for (const auto& [name, bytes] : w.files)
    if (is_segment(name)) last_segment = name;
  const std::uint64_t first = seq_of_name(last_segment, "journal-", ".seg");
  std::size_t at = version_begin() + identity().version.size();
  w.boundaries_of_last.push_back(at);
  for (const Record& r : w.records)
    if (r.seq >= first) w.boundaries_of_last.push_back(at += kRecordHeaderBytes + r.payload.size());
  FUZZ_INVARIANT(w.boundaries_of_last.back() == w.files[last_segment].size());
  return w;
}

void damage(FuzzedDataProvider& in, Files& files, const Files& written) {
  std::vector<std::string> names;
  for (const auto& [name, bytes] : files) names.push_back(name);
  for (int op = 0; op < 8 && in.remaining_bytes() > 0; ++op) {
    Bytes& f = files[names[in.ConsumeIntegral<std::uint8_t>() % names.size()]];
    switch (in.ConsumeIntegral<std::uint8_t>() % 4) {
      case 0:  // cut
        f.resize(in.ConsumeIntegralInRange<std::size_t>(0, f.size()));
        break;
      case 1: {  // a burst of flipped bytes
        if (f.empty()) break;
        std::size_t at = in.ConsumeIntegralInRange<std::size_t>(0, f.size() - 1);
        const int n = in.ConsumeIntegralInRange<int>(1, 4);
        for (int i = 0; i < n && at < f.size(); ++i, ++at) {
          const auto mask = in.ConsumeIntegral<std::uint8_t>();
          f[at] ^= mask ? mask : 1;
        }
        break;
      }
      case 2: {  // random bytes
        const int n = in.ConsumeIntegralInRange<int>(1, 64);
        std::uint64_t state = in.ConsumeIntegral<std::uint32_t>();
        for (int i = 0; i < n; ++i) f.push_back(static_cast<std::uint8_t>(splitmix(state)));
        break;
      }
      case 3: {  // a block of the directory's own bytes again
        const Bytes& src = written.at(names[in.ConsumeIntegral<std::uint8_t>() % names.size()]);
        const std::size_t at = in.ConsumeIntegralInRange<std::size_t>(0, src.size());
        const std::size_t n =
            std::min(src.size() - at, in.ConsumeIntegralInRange<std::size_t>(1, 128));
        f.insert(f.end(), src.begin() + static_cast<std::ptrdiff_t>(at),
                 src.begin() + static_cast<std::ptrdiff_t>(at + n));
        break;
      }
    }
  }
}

// The damage left the journal whole but for a cut at a record boundary of its last segment
// (a segment the snapshot at `snapshot_seq` covers whole is never read: damage there is no
// loss).
bool cut_at_record_boundary(const Written& w, const Files& damaged, std::uint64_t snapshot_seq) {
  std::vector<std::string> segments;  // in sequence order: the names are zero-padded
  for (const auto& [name, bytes] : w.files)
    if (is_segment(name)) segments.push_back(name);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& name = segments[i];
    const Bytes& bytes = w.files.at(name);
    const Bytes& now = damaged.at(name);
    if (i + 1 < segments.size()) {
      const bool covered = seq_of_name(segments[i + 1], "journal-", ".seg") <= snapshot_seq + 1;
      if (!covered && !same_but_version(now, bytes)) return false;
      continue;
    }
    bool boundary = false;
    for (std::size_t b : w.boundaries_of_last) boundary = boundary || b == now.size();
    if (!boundary) return false;
    const Bytes original_cut(bytes.begin(),
                             bytes.begin() + static_cast<std::ptrdiff_t>(now.size()));
    if (!same_but_version(now, original_cut)) return false;
  }
  return true;
}

void damage_mode(FuzzedDataProvider& in, const Scratch& scratch, bool refuse) {
  const Written w = write_state(in, scratch);
  const std::uint64_t n = w.records.size();
  const std::uint64_t refuse_seq = refuse ? in.ConsumeIntegralInRange<std::uint64_t>(1, n) : 0;
  Files files = w.files;
  damage(in, files, w.files);
  const std::string dir = scratch.fresh("state");
  write_dir(dir, files);

  const Restore r = restore(dir, refuse_seq);
  check_read(dir, files, r);
  check_next_start(dir, r);
  if (r.snapshot_error) return;
  // The snapshot: one that was written, the newest when its file is intact.
  std::uint64_t s = 0;
  if (r.snapshot.found) {
    s = r.snapshot.seq;
    bool written = false;
    for (const Record& snap : w.snapshots)
      written = written || (snap.seq == s && snap.payload == r.snapshot.payload);
    FUZZ_INVARIANT(written);
  }
  if (!w.snapshots.empty()) {
    const Record* newest = &w.snapshots.front();
    for (const Record& snap : w.snapshots)
      if (snap.seq > newest->seq) newest = &snap;
    const std::string name = snapshot_name(newest->seq);
    if (same_but_version(files.at(name), w.files.at(name))) {
      FUZZ_INVARIANT(r.snapshot.found && r.snapshot.seq == newest->seq);
    }
  }
  // The records: exactly the written ones after the snapshot, none missing unseen.
  FUZZ_INVARIANT(r.records.size() <= n - s);
  for (std::size_t i = 0; i < r.records.size(); ++i)
    FUZZ_INVARIANT(r.records[i] == w.records[s + i]);
  if (r.records.size() < n - s && r.error.empty() && !r.journal.damaged())
    FUZZ_INVARIANT(cut_at_record_boundary(w, files, s));
}

void raw_mode(FuzzedDataProvider& in, const Scratch& scratch, bool refuse) {
  Files files;
  const auto add = [&](bool segment) {
    const auto seq = in.ConsumeIntegralInRange<std::uint64_t>(1, 40);
    Bytes bytes;
    if (in.ConsumeBool())
      append_identity(bytes, segment ? kJournalMagic : kSnapshotMagic, identity());
    const Bytes body = to_bytes(in.ConsumeRandomLengthString(1024));
    bytes.insert(bytes.end(), body.begin(), body.end());
    files[segment ? segment_name(seq) : snapshot_name(seq)] = std::move(bytes);
  };
  for (int i = in.ConsumeIntegralInRange<int>(1, 3); i > 0; --i) add(true);
  for (int i = in.ConsumeIntegralInRange<int>(0, 2); i > 0; --i) add(false);
  const std::uint64_t refuse_seq = refuse ? in.ConsumeIntegralInRange<std::uint64_t>(1, 64) : 0;
  const std::string dir = scratch.fresh("state");
  write_dir(dir, files);
  const Restore r = restore(dir, refuse_seq);
  check_read(dir, files, r);
  check_next_start(dir, r);
}

}  // namespace
}  // namespace exitbrain

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace exitbrain;
  static const Scratch scratch;
  FuzzedDataProvider in(data, size);
  const auto flags = in.ConsumeIntegral<std::uint8_t>();
  if (flags & 1)
    raw_mode(in, scratch, (flags & 2) != 0);
  else
    damage_mode(in, scratch, (flags & 2) != 0);
  return 0;
}
