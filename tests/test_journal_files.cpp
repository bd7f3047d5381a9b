// The state journal's files read back by tools/state alone (no daemon state on top):
// the cases fuzz/fuzz_journal.cpp found, each kept here as a regression test.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/test_files.hpp"
#include "tools/state/journal_reader.hpp"
#include "tools/state/journal_writer.hpp"

namespace exitbrain {
namespace {

namespace fs = std::filesystem;

struct Record {
  std::uint64_t seq = 0;
  std::uint16_t kind = 0;
  std::vector<std::uint8_t> payload;
  bool operator==(const Record&) const = default;
};

JournalIdentity identity() {
  JournalIdentity id;
  id.account = 7;
  id.config = 11;
  id.version = "test";
  return id;
}

// Writes `payloads` as records 1..N (kind = index), segments of `segment_bytes`.
void write_records(const std::string& dir, const std::vector<std::vector<std::uint8_t>>& payloads,
                   std::uint64_t segment_bytes) {
  JournalWriter w;
  JournalOptions o;
  o.sync = JournalSync::kOff;
  o.segment_bytes = segment_bytes;
  ASSERT_EQ(w.open(dir, identity(), 1, o), "");
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    w.append(static_cast<std::uint16_t>(i), payloads[i]);
    ASSERT_EQ(w.flush(static_cast<std::int64_t>(i)), "");  // a flush per record: segments cut
  }
}

std::vector<Record> read_back(const std::string& dir, std::uint64_t after_seq, JournalRead& out) {
  std::vector<Record> got;
  EXPECT_EQ(read_journal(
                dir, identity(), after_seq,
                [&](std::uint64_t seq, std::uint16_t kind, std::span<const std::uint8_t> p) {
                  got.push_back({seq, kind, {p.begin(), p.end()}});
                  return true;
                },
                out),
            "");
  return got;
}

std::vector<std::vector<std::uint8_t>> payloads(int n) {
  std::vector<std::vector<std::uint8_t>> out;
  for (int i = 0; i < n; ++i) out.push_back(std::vector<std::uint8_t>(40, std::uint8_t(i)));
  return out;
}

// The writer's checksum of an empty payload took crc32() of a null pointer (its initial
// value, 0), the reader's of a pointer into the file: the record was refused as damaged.
TEST(JournalFiles, ARecordWithAnEmptyPayloadReadsBack) {
  const std::string dir = testing::make_test_dir("journal_files/empty_payload");
  write_records(dir, {{}, {1, 2, 3}, {}}, 64ull << 20);
  JournalRead read;
  const std::vector<Record> got = read_back(dir, 0, read);
  EXPECT_FALSE(read.damaged()) << read.lost_note;
  const std::vector<Record> want = {{1, 0, {}}, {2, 1, {1, 2, 3}}, {3, 2, {}}};
  EXPECT_EQ(got, want);
}

// A segment is named after its first record. A missing segment between two others left a
// hole the reader did not see (each segment's records ran on in order within it): the
// state was rebuilt without the records in the hole. The read now stops before the hole,
// says so, and sets the later segments aside.
TEST(JournalFiles, AMissingSegmentStopsTheReadBeforeTheHole) {
  const std::string dir = testing::make_test_dir("journal_files/missing_segment");
  write_records(dir, payloads(12), 200);  // a few records per segment
  const std::vector<std::string> segments = list_by_seq(dir, "journal-", ".seg");
  ASSERT_GE(segments.size(), 4u);
  const std::uint64_t hole_from = seq_of_name(segments[1], "journal-", ".seg");
  fs::remove(dir + "/" + segments[1]);

  JournalRead read;
  const std::vector<Record> got = read_back(dir, 0, read);
  ASSERT_EQ(got.size(), hole_from - 1) << read.lost_note;
  EXPECT_EQ(got.back().seq, hole_from - 1);
  EXPECT_EQ(read.last_seq, hole_from - 1);
  EXPECT_TRUE(read.damaged());
  EXPECT_NE(read.lost_note.find("seq " + std::to_string(hole_from) + " is next"), std::string::npos)
      << read.lost_note;
  for (std::size_t i = 2; i < segments.size(); ++i)
    EXPECT_TRUE(fs::exists(dir + "/" + segments[i] + ".damaged")) << segments[i];

  // What the read left is a clean journal: the next start meets no damage.
  JournalRead again;
  EXPECT_EQ(read_back(dir, 0, again).size(), hole_from - 1);
  EXPECT_FALSE(again.damaged()) << again.lost_note;
}

// The first segment after a snapshot must hold the record after it: one that starts later
// leaves the records between them out.
TEST(JournalFiles, AJournalStartingAfterTheSnapshotsNextRecordIsDamage) {
  const std::string dir = testing::make_test_dir("journal_files/starts_late");
  write_records(dir, payloads(12), 200);
  const std::vector<std::string> segments = list_by_seq(dir, "journal-", ".seg");
  ASSERT_GE(segments.size(), 3u);
  const std::uint64_t second = seq_of_name(segments[1], "journal-", ".seg");
  fs::remove(dir + "/" + segments[0]);

  JournalRead covered;  // a snapshot up to the record before the second segment: nothing lost
  EXPECT_EQ(read_back(dir, second - 1, covered).size(), 12 - (second - 1));
  EXPECT_FALSE(covered.damaged()) << covered.lost_note;

  JournalRead late;  // a snapshot older than that: its next records are gone
  EXPECT_TRUE(read_back(dir, second - 3, late).empty());
  EXPECT_TRUE(late.damaged());
  EXPECT_EQ(late.last_seq, second - 3);
}

}  // namespace
}  // namespace exitbrain
