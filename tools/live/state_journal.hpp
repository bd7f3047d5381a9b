#pragma once
// The state journal's thread (what the files look like: tools/state/; what the records
// mean: tools/live/state_records.hpp). The decide stage and the order sender push fixed-
// size records into two SPSC rings; this thread numbers them, appends them to the current
// segment, and applies them to a replica of the decide stage and to the order trail, so
// that it can write a snapshot of the replica whenever one is due without ever stopping
// the hot path. A restart loads the newest snapshot into the replica, applies the records
// after it, and hands the result to the live decide stage: the killed process's state,
// bit for bit.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "core/spsc_queue.hpp"
#include "tools/common/event_log.hpp"
#include "tools/live/decide_stage.hpp"
#include "tools/live/order_trail.hpp"
#include "tools/live/state_records.hpp"
#include "tools/state/journal_reader.hpp"
#include "tools/state/journal_writer.hpp"

namespace exitbrain {

struct StateJournalSettings {
  std::string dir;
  JournalIdentity identity;
  JournalOptions options;
  std::int64_t snapshot_interval_ms = 60'000;
  // Snapshots (and the segments after them) are kept this long for `exitbrain replay
  // --journal`; the newest two always. A restart reads from the newest only.
  std::int64_t retention_ms = 24 * 3'600'000LL;
  std::size_t ring_capacity = 64 * 1024;
};

// What a restore found.
struct RestoreReport {
  bool snapshot = false;
  std::uint64_t snapshot_seq = 0;
  std::uint64_t records = 0;  // applied after the snapshot
  std::uint64_t last_seq = 0;
  std::uint64_t lost_bytes = 0;
  std::string damage;  // why the read stopped early ("" if it did not)
  std::string note;    // snapshots skipped, if any
  double load_ms = 0;  // exitbrain's own time to read and apply
};

class StateJournal {
 public:
  StateJournal(const Config& config, const AtrPlan& plan, SymbolTable& symbols, EventLog& event_log,
               StateJournalSettings settings, std::size_t max_positions);
  ~StateJournal();
  StateJournal(const StateJournal&) = delete;
  StateJournal& operator=(const StateJournal&) = delete;

  // Start-up, before any thread: the snapshot and the journal after it, into the replica
  // and the trail. Error text (another account, config or format; unreadable files):
  // the start must stop.
  std::string restore(RestoreReport& report);
  // Replay instead of restore: from the oldest snapshot, with each run's symbol filters
  // applied and the replica's decision lines written to the event log. Before restore().
  void set_replay() noexcept;
  // The replica's state, for the live decide stage (DecideStage::load).
  std::vector<std::uint8_t> stage_state() const;
  const OrderTrail& trail() const noexcept { return trail_; }
  const DecideStage& replica() const noexcept { return *replica_; }

  // After restore(): a new segment, a RunStarted record and a snapshot of what was
  // restored (so the next restart starts from here). Error text or "".
  std::string begin_run(std::uint64_t run_key, TimeMs now);
  SpscQueue<StateRecord>& decide_ring() noexcept { return decide_ring_; }
  SpscQueue<StateRecord>& orders_ring() noexcept { return orders_ring_; }

  void start();
  // Writes what the rings hold, a last snapshot, and stops.
  void stop();

  // Read while running (relaxed).
  std::uint64_t records() const noexcept { return records_.load(std::memory_order_relaxed); }
  std::uint64_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }
  std::uint64_t snapshots() const noexcept { return snapshots_.load(std::memory_order_relaxed); }
  std::uint64_t write_errors() const noexcept { return errors_.load(std::memory_order_relaxed); }
  // Records from the decide ring written to the segment (write(2) done: a kill -9 of
  // exitbrain does not lose them). Compared with Decision::journal_records.
  const std::atomic<std::uint64_t>& decide_records_written() const noexcept {
    return decide_written_;
  }
  // Records in the rings, not yet written: how far the journal is behind (any thread).
  std::size_t queued() const noexcept {
    return decide_ring_.size_approx() + orders_ring_.size_approx();
  }

  // One record through the replica and the trail (restore, the thread, replay).
  bool apply(const StateRecord& r);
  // Drains both rings once: returns the number of records written.
  std::size_t drain_once();
  // Writes a snapshot now (the thread does this on its interval). Error text or "".
  std::string snapshot_now();

 private:
  void run();

  EventLog& event_log_;
  StateJournalSettings settings_;
  SymbolTable& symbols_;
  OrderTrail trail_;
  struct TrailSink {
    OrderTrail* trail;
    void operator()(const OrderWork& w) const {
      if (w.kind == OrderWorkKind::kDecision) trail->on_decision(w.decision);
    }
  } trail_sink_{&trail_};
  std::unique_ptr<DecideStage> replica_;
  SpscQueue<StateRecord> decide_ring_, orders_ring_;
  JournalWriter writer_;
  std::uint64_t last_snapshot_seq_ = 0;
  std::uint64_t restored_last_seq_ = 0;
  std::int64_t last_snapshot_ms_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> records_{0}, bytes_{0}, snapshots_{0}, errors_{0};
  std::uint64_t decide_appended_ = 0;  // the journal thread's own count
  std::atomic<std::uint64_t> decide_written_{0};
  std::string last_error_;
  bool replay_ = false;
};

// The identity a journal is written with: the account (a fingerprint of a SHA-256 of the
// API key), the config (the symbols in order and every profile's values: what the
// engine's state refers to by index), the format, and exitbrain's version.
JournalIdentity journal_identity(const Config& config, std::string_view api_key);

}  // namespace exitbrain
