#include "tools/live/state_journal.hpp"

#include <openssl/sha.h>

#include <chrono>
#include <cstdint>
#include <filesystem>

#include "core/thread_affinity.hpp"
#include "tools/common/json_line.hpp"

#ifndef EXITBRAIN_VERSION
#define EXITBRAIN_VERSION "unknown"
#endif

namespace exitbrain {

namespace {

std::int64_t mono_ms() {
  return mono_now_ns() / 1'000'000;
}

void put_profile(ByteWriter& w, const Profile& p) {
  w.put_bytes(p.name).put(p.atr_period).put(p.atr_interval_ms).put(p.atr_method);
  w.put(p.atr_multiplier).put(p.high_vol_atr_multiplier).put(p.volatility_threshold);
  for (const double v : p.tp_r) w.put(v);
  for (const double v : p.tp_fraction) w.put(v);
  w.put(p.tp_count).put(p.harvest_trigger).put(p.harvest_fraction).put(p.harvest_max);
  w.put(p.trailing).put(p.trail_offset).put(p.trail_activation).put(p.time_stop_sec);
  w.put(p.trigger_source).put(p.warmup_sl_pct).put(p.by_regime);
}

}  // namespace

JournalIdentity journal_identity(const Config& config, std::string_view api_key) {
  JournalIdentity id;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(api_key.data()), api_key.size(), digest);
  id.account = fingerprint(std::span<const std::uint8_t>(digest, sizeof digest));
  std::vector<std::uint8_t> bytes;
  ByteWriter w(bytes);
  for (const std::string& s : config.live.symbols) w.put_bytes(s);
  w.put_bytes(config.default_profile);
  for (const Profile& p : config.profiles) put_profile(w, p);
  id.config = fingerprint(bytes);
  id.version = EXITBRAIN_VERSION;
  return id;
}

StateJournal::StateJournal(const Config& config, const AtrPlan& plan, SymbolTable& symbols,
                           EventLog& event_log, StateJournalSettings settings,
                           std::size_t max_positions)
    : event_log_(event_log),
      settings_(std::move(settings)),
      symbols_(symbols),
      replica_(std::make_unique<DecideStage>(config, plan, symbols, event_log,
                                             SinkRef<OrderWork>(trail_sink_), max_positions)),
      decide_ring_(settings_.ring_capacity),
      orders_ring_(settings_.ring_capacity) {
  replica_->set_outputs(true, false);  // its "orders" feed the trail; it writes no lines
}

StateJournal::~StateJournal() {
  stop();
}

void StateJournal::set_replay() noexcept {
  replay_ = true;
  replica_->set_outputs(true, true, false);
}

bool StateJournal::apply(const StateRecord& r) {
  switch (r.kind) {
    case StateRecordKind::kSymbol:
      // A restart takes the exchange's filters of today; a replay those of the run.
      if (r.symbol.symbol >= symbols_.size()) return false;
      if (replay_) symbols_.filters(r.symbol.symbol) = r.symbol.filters;
      return true;
    case StateRecordKind::kRunStarted:
      trail_.on_run_started(r.run.run_key);
      return true;
    case StateRecordKind::kOrder: {
      const OrderRecord& o = r.order;
      const bool done = trail_.on_order(o);
      // A fill, once: an exit's final answer (first seen), or a hard stop the exchange
      // triggered. Its PnL from the position's entry, for the daily loss limit.
      const bool fill = (done && o.kind == OrderRecordKind::kExitDone) ||
                        o.kind == OrderRecordKind::kHardStopTriggered;
      if (fill && o.qty.is_positive() && o.price.is_positive() &&
          o.position < replica_->engine().position_count()) {
        const PositionState& pos = replica_->engine().position(o.position);
        trail_.add_realised(
            o.time, (o.price - pos.entry).to_double() * o.qty.to_double() * side_sign(pos.side));
      }
      return true;
    }
    default:
      return replica_->apply(r);
  }
}

std::string StateJournal::restore(RestoreReport& report) {
  report = RestoreReport{};
  const auto t0 = std::chrono::steady_clock::now();
  SnapshotRead snap;
  if (std::string err = read_latest_snapshot(settings_.dir, settings_.identity, snap, replay_);
      !err.empty())
    return err;
  report.note = snap.note;
  // A replay starts from the very first record while the journal still holds it.
  const std::vector<std::string> segs = list_by_seq(settings_.dir, "journal-", ".seg");
  if (replay_ && !segs.empty() && seq_of_name(segs.front(), "journal-", ".seg") == 1)
    snap = SnapshotRead{};
  if (snap.found) {
    ByteReader r(snap.payload);
    if (auto err = replica_->load(r)) return "state_dir: snapshot: " + *err;
    if (auto err = trail_.load(r)) return "state_dir: snapshot: " + *err;
    if (!r.at_end()) return std::string("state_dir: snapshot: bytes left over");
    report.snapshot = true;
    report.snapshot_seq = snap.seq;
  }
  std::string bad_record;
  JournalRead jr;
  const RecordVisitor visit = [&](std::uint64_t seq, std::uint16_t kind,
                                  std::span<const std::uint8_t> payload) {
    if (!bad_record.empty()) return false;
    StateRecord rec;
    if (!rec.assign(kind, payload) || !apply(rec)) {
      bad_record = "record " + std::to_string(seq) + " (kind " + std::to_string(kind) +
                   ") does not fit this exitbrain: it and what follows are not applied";
      return false;
    }
    return true;
  };
  if (std::string err = read_journal(settings_.dir, settings_.identity, snap.seq, visit, jr);
      !err.empty())
    return err;
  report.records = jr.records;
  report.last_seq = jr.last_seq;
  report.lost_bytes = jr.lost_bytes;
  report.damage = !bad_record.empty() ? bad_record : jr.lost_note;
  report.load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  last_snapshot_seq_ = report.snapshot_seq;
  restored_last_seq_ = jr.last_seq;
  return {};
}

std::vector<std::uint8_t> StateJournal::stage_state() const {
  std::vector<std::uint8_t> bytes;
  ByteWriter w(bytes);
  replica_->save(w);
  return bytes;
}

std::string StateJournal::begin_run(std::uint64_t run_key, TimeMs now) {
  // Records continue after the last one read (a damaged tail was cut off).
  if (std::string err = writer_.open(settings_.dir, settings_.identity, restored_last_seq_ + 1,
                                     settings_.options);
      !err.empty())
    return "state_dir: " + err;
  // A snapshot of what was restored (the next start need not read this tail again), then
  // the new run's first records after it, so that a replay from it sees them. An empty
  // journal needs none: a replay reads it from its first record.
  if (restored_last_seq_ > 0)
    if (std::string err = snapshot_now(); !err.empty()) return "state_dir: " + err;
  StateRecord r;
  r.kind = StateRecordKind::kRunStarted;
  r.run = RunStarted{run_key, now};
  writer_.append(static_cast<std::uint16_t>(r.kind), r.payload());
  apply(r);
  for (SymbolId s = 0; s < symbols_.size(); ++s) {
    StateRecord sr;
    sr.kind = StateRecordKind::kSymbol;
    sr.symbol = SymbolRecord{s, symbols_.filters(s)};
    writer_.append(static_cast<std::uint16_t>(sr.kind), sr.payload());
  }
  if (std::string err = writer_.flush(mono_ms()); !err.empty()) return "state_dir: " + err;
  return {};
}

std::string StateJournal::snapshot_now() {
  std::vector<std::uint8_t> bytes;
  ByteWriter w(bytes);
  replica_->save(w);
  trail_.save(w);
  const std::uint64_t seq = writer_.next_seq() - 1;
  if (std::string err = write_snapshot(settings_.dir, settings_.identity, seq, bytes, SIZE_MAX);
      !err.empty())
    return err;
  // The newest two snapshots stay, older ones until they are past the retention; the
  // journal is kept from the oldest snapshot on.
  std::vector<std::string> snaps = list_by_seq(settings_.dir, "snapshot-", ".snap");
  const auto now = std::filesystem::file_time_type::clock::now();
  std::size_t first_kept = 0;
  for (std::size_t i = 0; i + 2 < snaps.size(); ++i) {
    std::error_code ec;
    const auto age = now - std::filesystem::last_write_time(settings_.dir + "/" + snaps[i], ec);
    if (!ec && age < std::chrono::milliseconds(settings_.retention_ms)) break;
    std::filesystem::remove(settings_.dir + "/" + snaps[i], ec);
    first_kept = i + 1;
  }
  // Segments go with the snapshots the retention removed, never before.
  if (first_kept > 0 && first_kept < snaps.size())
    writer_.remove_segments_before(seq_of_name(snaps[first_kept], "snapshot-", ".snap"));
  last_snapshot_seq_ = seq;
  last_snapshot_ms_ = mono_ms();
  snapshots_.fetch_add(1, std::memory_order_relaxed);
  return {};
}

std::size_t StateJournal::drain_once() {
  std::size_t n = 0;
  StateRecord r;
  // The decide stage's inputs first, then what the order sender recorded: each ring is
  // in its own order, which is all the replica and the trail need.
  while (n < 4096 && decide_ring_.try_pop(r)) {
    writer_.append(static_cast<std::uint16_t>(r.kind), r.payload());
    apply(r);
    ++n;
    ++decide_appended_;
  }
  while (n < 8192 && orders_ring_.try_pop(r)) {
    writer_.append(static_cast<std::uint16_t>(r.kind), r.payload());
    apply(r);
    ++n;
  }
  if (n == 0 && writer_.pending_bytes() == 0) return 0;
  if (std::string err = writer_.flush(mono_ms()); !err.empty()) {
    // The bytes stay buffered and are written again next time; the operator is told once
    // per kind of failure.
    errors_.fetch_add(1, std::memory_order_relaxed);
    if (err != last_error_)
      event_log_.text(R"("event":"alert","alert":"journal_write_failed","error":)" +
                      JsonLine::quote(err));
    last_error_ = err;
  } else {
    last_error_.clear();
    decide_written_.store(decide_appended_, std::memory_order_release);
  }
  records_.fetch_add(n, std::memory_order_relaxed);
  bytes_.store(writer_.bytes_written(), std::memory_order_relaxed);
  return n;
}

void StateJournal::start() {
  stop_ = false;
  last_snapshot_ms_ = mono_ms();
  thread_ = std::thread([this] {
    name_current_thread("eb-journal");
    run();
  });
}

// Polls like the event log (a doorbell would put a futex wake on the hot path): every
// 1 ms while records come, backing off to 10 ms when idle.
void StateJournal::run() {
  auto poll = std::chrono::milliseconds(1);
  for (;;) {
    const bool stopping = stop_.load();
    const std::size_t n = drain_once();
    if (writer_.next_seq() - 1 != last_snapshot_seq_ &&
        mono_ms() - last_snapshot_ms_ >= settings_.snapshot_interval_ms) {
      if (std::string err = snapshot_now(); !err.empty())
        event_log_.text(R"("event":"alert","alert":"snapshot_failed","error":)" +
                        JsonLine::quote(err));
    }
    if (stopping && n == 0) break;
    poll = n ? std::chrono::milliseconds(1) : std::min(poll * 2, std::chrono::milliseconds(10));
    std::this_thread::sleep_for(poll);
  }
  if (writer_.next_seq() - 1 != last_snapshot_seq_) (void)snapshot_now();
  (void)writer_.sync();
}

void StateJournal::stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
}

}  // namespace exitbrain
