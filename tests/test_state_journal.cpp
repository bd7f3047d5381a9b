// The state journal: a decide stage driven through levels, stop moves, take-profit legs,
// harvests, exits and account changes, its inputs journalled; then a "crash" (the journal
// abandoned without a last snapshot) and a restore from the snapshot and the journal tail
// must give back the very state the stage held, bit for bit, and decide the same from there
// on. Damage (a cut tail, a bad checksum, a damaged snapshot) recovers to the last good
// record and says how much was lost; a journal of another account or config is refused;
// one owner per state directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/spsc_queue.hpp"
#include "tests/support/decimal_text.hpp"
#include "tests/support/test_files.hpp"
#include "tools/common/event_log.hpp"
#include "tools/live/decide_stage.hpp"
#include "tools/live/order_trail.hpp"
#include "tools/live/state_journal.hpp"
#include "tools/state/journal_writer.hpp"
#include "tools/state/state_lock.hpp"

namespace exitbrain {
namespace {

namespace fs = std::filesystem;
using testing::dec;

constexpr TimeMs kT0 = 1'771'000'000'000LL;

struct Bench {
  Bench() : devnull(std::fopen("/dev/null", "w")), log(symbols, devnull) {
    for (const char* name : {"BTCUSDT", "ETHUSDT"}) {
      const SymbolId s = *symbols.intern(name);
      symbols.filters(s).tick_size = dec("0.1");
      symbols.filters(s).step_size = dec("0.001");
    }
    config.live.symbols = {"BTCUSDT", "ETHUSDT"};
    plan = plan_atr_specs(config, {config.find_profile(config.default_profile)});
    log.start();
  }
  ~Bench() {
    log.stop();
    std::fclose(devnull);
  }
  StateJournalSettings settings(const std::string& dir) const {
    StateJournalSettings js;
    js.dir = dir;
    js.identity = journal_identity(config, "test-api-key");
    js.options.sync = JournalSync::kOff;
    return js;
  }
  SymbolTable symbols;
  Config config;
  AtrPlan plan;
  std::FILE* devnull;
  EventLog log;
};

// A decide stage with the ring to the orders it would send.
struct Stage {
  explicit Stage(Bench& s)
      : orders(64 * 1024),
        push{&orders},
        stage(s.config, s.plan, s.symbols, s.log, SinkRef<OrderWork>(push), 256) {}
  std::vector<Decision> take_decisions() {
    std::vector<Decision> out;
    OrderWork w;
    while (orders.try_pop(w))
      if (w.kind == OrderWorkKind::kDecision) out.push_back(w.decision);
    return out;
  }
  SpscQueue<OrderWork> orders;
  PushInto<OrderWork> push;
  DecideStage stage;
};

std::vector<std::uint8_t> state_of(const DecideStage& d) {
  std::vector<std::uint8_t> b;
  ByteWriter w(b);
  d.save(w);
  return b;
}

// Random walks of both symbols, the ATR warm from the start (with a spike that trips the
// volatility governor now and then).
class Walk {
 public:
  explicit Walk(unsigned seed) : rng_(seed) {}
  PriceState next() {
    const SymbolId s = static_cast<SymbolId>(rng_() % 2);
    double& p = price_[s];
    p *= 1.0 + std::normal_distribution<double>(0.0, 0.0008)(rng_);
    PriceState st;
    st.symbol = s;
    st.event_time = t_ += 500;
    st.updated = trigger_bit(TriggerSource::kMark) | trigger_bit(TriggerSource::kLast);
    st.mark = Decimal::from_double(p)->floor_to(dec("0.1"));
    st.last = st.mark;
    st.atr_ready = 0xF;
    const double atr = (rng_() % 50 == 0 ? 0.03 : 0.004) * p;
    for (double& a : st.atr) a = atr;
    st.atr_close = p;
    last_ = st;
    return st;
  }
  double price(SymbolId s) const { return price_[s]; }
  TimeMs time() const { return t_; }

 private:
  std::mt19937_64 rng_;
  double price_[2] = {60000.0, 3000.0};
  TimeMs t_ = kT0;
  PriceState last_{};
};

// Drives `stage` for `steps` updates: positions adopted on both sides of both symbols as
// others close, an account reduction now and then. Journalled through `journal`'s ring
// when one is set; the journal is drained every few steps.
void drive(Stage& st, Walk& walk, int steps, StateJournal* journal, std::mt19937_64& rng) {
  for (int i = 0; i < steps; ++i) {
    const PriceState ps = walk.next();
    st.stage.on_price(ps);
    if (i % 8 == 0) {
      const SymbolId s = static_cast<SymbolId>(rng() % 2);
      const Side side = rng() % 2 ? Side::kShort : Side::kLong;
      if (!st.stage.engine().find_open(s, side) &&
          st.stage.engine().position_count() + 1 < st.stage.engine().position_capacity()) {
        const Price entry = *Decimal::from_double(walk.price(s));
        st.stage.adopt(s, side, dec("0.500"), entry.floor_to(dec("0.1")), walk.time(),
                       AdoptSource::kUserStream);
      }
    }
    if (i % 97 == 0) {  // a reduction made elsewhere
      for (std::uint32_t p = 0; p < st.stage.engine().position_count(); ++p) {
        const PositionState& pos = st.stage.engine().position(p);
        if (pos.closed || pos.remaining <= dec("0.1")) continue;
        AccountChange c;
        c.symbol = pos.symbol;
        c.side = pos.side;
        c.amount = pos.remaining - dec("0.1");
        c.entry = pos.entry;
        c.time = walk.time();
        st.stage.on_account(c, walk.time());
        break;
      }
    }
    if (journal && i % 25 == 0) journal->drain_once();
  }
  if (journal) journal->drain_once();
}

std::string fresh_dir(const std::string& name) {
  const std::string dir = testing::make_test_dir(name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string last_segment(const std::string& dir) {
  const auto names = list_by_seq(dir, "journal-", ".seg");
  return names.empty() ? std::string() : dir + "/" + names.back();
}

// A journalled run of `steps` updates with two snapshots on the way; returns the stage's
// state at the end (what a kill -9 would leave the journal to restore).
std::vector<std::uint8_t> journalled_run(Bench& s, const std::string& dir, int steps,
                                         std::vector<Decision>* decisions = nullptr) {
  Stage live(s);
  StateJournal journal(s.config, s.plan, s.symbols, s.log, s.settings(dir), 256);
  RestoreReport rr;
  EXPECT_EQ(journal.restore(rr), "");
  EXPECT_EQ(journal.begin_run(7, kT0), "");
  live.stage.set_journal(&journal.decide_ring());
  Walk walk(42);
  std::mt19937_64 rng(7);
  drive(live, walk, steps / 3, &journal, rng);
  EXPECT_EQ(journal.snapshot_now(), "");
  drive(live, walk, steps / 3, &journal, rng);
  EXPECT_EQ(journal.snapshot_now(), "");
  drive(live, walk, steps - 2 * (steps / 3), &journal, rng);
  if (decisions) *decisions = live.take_decisions();
  return state_of(live.stage);
  // The journal is dropped here without stop(): no last snapshot, as after a kill -9.
}

// Write-ahead for hard-stop moves (OrderGateway::journal_ahead_of_stop_moves): every level
// a hard stop follows carries the number of journal records that must be written first,
// and that number counts the record of the very input that made it (a price is journalled
// after it is applied, an adoption or account change before) and nothing after it. One
// too few, and a kill between the stop's placement and the journal's write would leave a
// restart with a plan looser than the stop on the exchange (the CI failure this fixes).
TEST(StateJournal, EveryLevelAHardStopFollowsCountsTheRecordOfItsOwnInput) {
  Bench s;
  Stage st(s);
  SpscQueue<StateRecord> ring(64 * 1024);
  st.stage.set_journal(&ring);
  Walk walk(42);
  std::uint64_t records = 0;
  int levels = 0, moves = 0;
  auto after_input = [&] {
    StateRecord r;
    while (ring.try_pop(r)) ++records;
    for (const Decision& d : st.take_decisions()) {
      if (d.kind != DecisionKind::kLevels && d.kind != DecisionKind::kStopMoved) continue;
      EXPECT_EQ(d.journal_records, records) << static_cast<int>(d.kind);
      ++(d.kind == DecisionKind::kLevels ? levels : moves);
    }
  };
  for (int i = 0; i < 4000; ++i) {
    st.stage.on_price(walk.next());
    after_input();
    for (const SymbolId sym : {SymbolId{0}, SymbolId{1}}) {
      for (const Side side : {Side::kLong, Side::kShort}) {
        if (st.stage.engine().find_open(sym, side) ||
            st.stage.engine().position_count() + 1 >= st.stage.engine().position_capacity())
          continue;
        const Price entry = Decimal::from_double(walk.price(sym))->floor_to(dec("0.1"));
        st.stage.adopt(sym, side, dec("0.500"), entry, walk.time(), AdoptSource::kUserStream);
        after_input();
      }
    }
  }
  EXPECT_GT(levels, 10);
  EXPECT_GT(moves, 10);
}

TEST(StateJournal, ARestoreGivesBackTheStageBitForBitAndItDecidesTheSameFromThere) {
  Bench s;
  const std::string dir = fresh_dir("state_journal_bit_exact");
  Stage live(s);
  std::vector<std::uint8_t> at_crash;
  std::vector<Decision> first;
  {
    StateJournal journal(s.config, s.plan, s.symbols, s.log, s.settings(dir), 256);
    RestoreReport rr;
    ASSERT_EQ(journal.restore(rr), "");
    EXPECT_FALSE(rr.snapshot);
    ASSERT_EQ(journal.begin_run(7, kT0), "");
    live.stage.set_journal(&journal.decide_ring());
    Walk walk(42);
    std::mt19937_64 rng(7);
    drive(live, walk, 3000, &journal, rng);
    ASSERT_EQ(journal.snapshot_now(), "");
    drive(live, walk, 3000, &journal, rng);
    at_crash = state_of(live.stage);
    first = live.take_decisions();
    live.stage.set_journal(nullptr);
  }
  // The run did what a restore must give back: levels, every kind of stop move and exit.
  int levels = 0, moves = 0, exits = 0, tp = 0, harvest = 0, trail = 0;
  for (const Decision& d : first) {
    levels += d.kind == DecisionKind::kLevels;
    moves += d.kind == DecisionKind::kStopMoved;
    exits += d.kind == DecisionKind::kExit;
    tp += d.kind == DecisionKind::kExit && d.exit_reason == ExitReason::kTakeProfit;
    harvest += d.kind == DecisionKind::kExit && d.exit_reason == ExitReason::kHarvest;
    trail += d.kind == DecisionKind::kStopMoved && d.move_reason == StopMoveReason::kTrailing;
  }
  EXPECT_GT(levels, 10);
  EXPECT_GT(moves, 10);
  EXPECT_GT(exits, 10);
  EXPECT_GT(tp, 2);
  EXPECT_GT(harvest, 2);
  EXPECT_GT(trail, 2);
  std::uint32_t open = 0;
  for (std::uint32_t i = 0; i < live.stage.engine().position_count(); ++i)
    open += !live.stage.engine().position(i).closed;
  EXPECT_GT(open, 0u) << "positions must be open at the crash; "
                      << live.stage.engine().position_count() << " in all";

  StateJournal again(s.config, s.plan, s.symbols, s.log, s.settings(dir), 256);
  RestoreReport rr;
  ASSERT_EQ(again.restore(rr), "");
  EXPECT_TRUE(rr.snapshot);
  EXPECT_GT(rr.records, 0u) << "the tail after the snapshot is applied";
  EXPECT_EQ(rr.lost_bytes, 0u);
  EXPECT_EQ(rr.damage, "");
  const std::vector<std::uint8_t> restored = again.stage_state();
  ASSERT_EQ(restored.size(), at_crash.size());
  EXPECT_TRUE(restored == at_crash) << "the restored state differs from the crashed one";

  // A new stage loaded with it decides exactly as the original goes on deciding.
  Stage next(s);
  ByteReader r(restored);
  ASSERT_EQ(next.stage.load(r), std::nullopt);
  Walk walk_a(99), walk_b(99);
  std::mt19937_64 rng_a(5), rng_b(5);
  drive(live, walk_a, 2000, nullptr, rng_a);
  drive(next, walk_b, 2000, nullptr, rng_b);
  const auto a = live.take_decisions();
  const auto b = next.take_decisions();
  ASSERT_EQ(a.size(), b.size());
  EXPECT_GT(a.size(), 10u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].kind, b[i].kind) << i;
    EXPECT_EQ(a[i].position, b[i].position) << i;
    EXPECT_EQ(a[i].sl, b[i].sl) << i;
    EXPECT_EQ(a[i].qty, b[i].qty) << i;
    EXPECT_EQ(a[i].exit_seq, b[i].exit_seq) << i;
  }
  EXPECT_TRUE(state_of(live.stage) == state_of(next.stage));
}

TEST(StateJournal, WithoutASnapshotTheWholeJournalIsReplayed) {
  Bench s;
  const std::string dir = fresh_dir("state_journal_no_snapshot");
  const auto at_crash = journalled_run(s, dir, 1000);
  for (const auto& n : list_by_seq(dir, "snapshot-", ".snap")) fs::remove(dir + "/" + n);
  StateJournal again(s.config, s.plan, s.symbols, s.log, s.settings(dir), 256);
  RestoreReport rr;
  ASSERT_EQ(again.restore(rr), "");
  EXPECT_FALSE(rr.snapshot);
  EXPECT_TRUE(again.stage_state() == at_crash);
}

TEST(StateJournal, ACutTailRecoversToTheLastGoodRecordAndSaysHowMuchWasLost) {
  Bench s;
  const std::string dir = fresh_dir("state_journal_cut_tail");
  (void)journalled_run(s, dir, 1000);
  const std::string seg = last_segment(dir);
  const auto size = fs::file_size(seg);
  fs::resize_file(seg, size - 7);  // a record cut short by the crash
  StateJournal again(s.config, s.plan, s.symbols, s.log, s.settings(dir), 256);
  RestoreReport rr;
  ASSERT_EQ(again.restore(rr), "");
  EXPECT_GT(rr.lost_bytes, 0u);
  EXPECT_LT(rr.lost_bytes, 400u) << "only the last record is lost";
  EXPECT_NE(rr.damage.find("cut short"), std::string::npos) << rr.damage;
  // The segment was cut back to its last good record: the next start meets no damage.
  StateJournal third(s.config, s.plan, s.symbols, s.log, s.settings(dir), 256);
  RestoreReport rr3;
  ASSERT_EQ(third.restore(rr3), "");
  EXPECT_EQ(rr3.lost_bytes, 0u);
  EXPECT_EQ(rr3.damage, "");
  EXPECT_EQ(rr3.last_seq, rr.last_seq);
  EXPECT_TRUE(third.stage_state() == again.stage_state());
}

TEST(StateJournal, ABadChecksumStopsTheReadThereAndNothingAfterItIsApplied) {
  Bench s;
  const std::string dir = fresh_dir("state_journal_bad_crc");
  (void)journalled_run(s, dir, 1000);
  const std::string seg = last_segment(dir);
  const auto size = fs::file_size(seg);
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(size / 2));
    c = static_cast<char>(c ^ 0x5A);
    f.write(&c, 1);
  }
  StateJournal again(s.config, s.plan, s.symbols, s.log, s.settings(dir), 256);
  RestoreReport rr;
  ASSERT_EQ(again.restore(rr), "");
  EXPECT_GT(rr.lost_bytes, size / 4);
  EXPECT_FALSE(rr.damage.empty());
}

TEST(StateJournal, ADamagedSnapshotFallsBackToTheOlderOneAndStillRestoresExactly) {
  Bench s;
  const std::string dir = fresh_dir("state_journal_bad_snapshot");
  const auto at_crash = journalled_run(s, dir, 1000);
  const auto snaps = list_by_seq(dir, "snapshot-", ".snap");
  ASSERT_EQ(snaps.size(), 2u);
  const std::string newest = dir + "/" + snaps.back();
  fs::resize_file(newest, fs::file_size(newest) - 3);
  StateJournal again(s.config, s.plan, s.symbols, s.log, s.settings(dir), 256);
  RestoreReport rr;
  ASSERT_EQ(again.restore(rr), "");
  EXPECT_NE(rr.note.find("cut short"), std::string::npos) << rr.note;
  EXPECT_TRUE(again.stage_state() == at_crash);
}

TEST(StateJournal, AJournalOfAnotherAccountOrConfigIsRefused) {
  Bench s;
  const std::string dir = fresh_dir("state_journal_identity");
  (void)journalled_run(s, dir, 200);
  {
    StateJournalSettings other = s.settings(dir);
    other.identity = journal_identity(s.config, "another-api-key");
    StateJournal j(s.config, s.plan, s.symbols, s.log, other, 256);
    RestoreReport rr;
    const std::string err = j.restore(rr);
    EXPECT_NE(err.find("another account"), std::string::npos) << err;
    EXPECT_EQ(err.find("test-api-key"), std::string::npos) << "never the key itself";
  }
  {
    Config changed = s.config;
    changed.profiles[0].trail_offset *= 2;
    StateJournalSettings other = s.settings(dir);
    other.identity = journal_identity(changed, "test-api-key");
    StateJournal j(s.config, s.plan, s.symbols, s.log, other, 256);
    RestoreReport rr;
    const std::string err = j.restore(rr);
    EXPECT_NE(err.find("another config"), std::string::npos) << err;
  }
}

TEST(StateJournal, AStateThatDoesNotFitIsRefusedNamingTheFieldAndChangesNothing) {
  Bench s;
  Stage st(s);
  Walk walk(3);
  std::mt19937_64 rng(3);
  drive(st, walk, 500, nullptr, rng);
  const auto good = state_of(st.stage);
  Stage other(s);
  for (std::size_t cut : {std::size_t{3}, good.size() / 3, good.size() - 1}) {
    std::vector<std::uint8_t> bytes(good.begin(), good.begin() + static_cast<long>(cut));
    ByteReader r(bytes);
    const auto err = other.stage.load(r);
    ASSERT_TRUE(err.has_value()) << cut;
    EXPECT_FALSE(err->empty());
    EXPECT_EQ(other.stage.engine().position_count(), 0u) << "nothing half-applied: " << *err;
  }
  ByteReader r(good);
  EXPECT_EQ(other.stage.load(r), std::nullopt);
  EXPECT_TRUE(state_of(other.stage) == good);
}

// The trail of exit orders the reconciliation reads: an exit sent and answered leaves
// nothing in flight; one without an answer stays in flight under the run that sent it, and a
// later run's lookup of it (its own run key) settles it; an error answer executes nothing.
TEST(OrderTrail, InFlightExitsAreSettledByTheirAnswerOfTheirOwnRun) {
  OrderTrail t;
  t.on_run_started(11);
  Decision d;
  d.kind = DecisionKind::kExit;
  d.position = 3;
  d.qty = dec("2");
  t.on_decision(d);
  t.on_decision(d);
  OrderRecord sent;
  sent.kind = OrderRecordKind::kExitSent;
  sent.position = 3;
  sent.seq = 1;
  sent.qty = dec("2");
  OrderRecord done = sent;
  done.kind = OrderRecordKind::kExitDone;
  done.http_status = 200;
  t.on_order(sent);
  t.on_order(done);
  t.on_order(done);  // the user stream's duplicate counts once
  OrderRecord refused = sent;
  refused.seq = 2;
  t.on_order(refused);
  refused.kind = OrderRecordKind::kExitDone;
  refused.http_status = 400;
  t.on_order(refused);
  OrderRecord lost = sent;
  lost.seq = 3;
  t.on_order(lost);  // the crash comes before its answer
  EXPECT_EQ(t.of(3).decided, dec("4"));
  EXPECT_EQ(t.of(3).executed, dec("2"));
  ASSERT_EQ(t.of(3).in_flight_count, 1);
  EXPECT_EQ(t.of(3).in_flight[0].run_key, 11u);
  EXPECT_EQ(t.of(3).in_flight[0].seq, 3u);

  std::vector<std::uint8_t> bytes;
  ByteWriter w(bytes);
  t.save(w);
  OrderTrail next;
  ByteReader r(bytes);
  ASSERT_EQ(next.load(r), std::nullopt);
  next.on_run_started(12);
  OrderRecord looked_up = lost;
  looked_up.kind = OrderRecordKind::kExitDone;
  looked_up.http_status = 0;
  looked_up.qty = dec("2");
  next.on_order(looked_up);  // run_key 0: this run's (12), not that order
  EXPECT_EQ(next.of(3).in_flight_count, 1) << "run 12 never sent seq 3";
  looked_up.run_key = 11;
  next.on_order(looked_up);
  EXPECT_EQ(next.of(3).in_flight_count, 0);
  EXPECT_EQ(next.of(3).executed, dec("4"));
  std::vector<std::uint8_t> cut(bytes.begin(), bytes.end() - 3);
  ByteReader rc(cut);
  OrderTrail bad;
  EXPECT_TRUE(bad.load(rc).has_value());
}

TEST(OrderTrail, TheStopStandingPerPositionFollowsItsRecordsAndSurvivesASnapshot) {
  OrderTrail t;
  t.on_run_started(7);
  OrderRecord r;
  r.position = 2;
  r.kind = OrderRecordKind::kHardStopPlaced;
  r.seq = 1;
  r.ok = true;
  (void)t.on_order(r);
  r.seq = 2;  // make before break: the new one stands, then the old one goes
  (void)t.on_order(r);
  r.kind = OrderRecordKind::kHardStopCancelled;
  r.seq = 1;
  (void)t.on_order(r);
  EXPECT_EQ(t.of(2).stop_seq, 2u);
  EXPECT_EQ(t.of(2).stop_run_key, 7u);
  r.kind = OrderRecordKind::kHardStopPlaced;  // a refused placement changes nothing
  r.seq = 3;
  r.ok = false;
  (void)t.on_order(r);
  EXPECT_EQ(t.of(2).stop_seq, 2u);
  r.kind = OrderRecordKind::kHardStopTriggered;
  r.seq = 2;
  r.ok = true;
  (void)t.on_order(r);
  EXPECT_TRUE(t.of(2).stop_fill_seen);
  // An earlier run's stop taken over at start-up carries its own run key.
  r.kind = OrderRecordKind::kHardStopPlaced;
  r.position = 3;
  r.seq = 5;
  r.run_key = 4;
  (void)t.on_order(r);
  std::vector<std::uint8_t> bytes;
  ByteWriter w(bytes);
  t.save(w);
  OrderTrail back;
  ByteReader rd(bytes);
  ASSERT_EQ(back.load(rd), std::nullopt);
  EXPECT_TRUE(rd.at_end());
  EXPECT_EQ(back.of(2).stop_seq, 2u);
  EXPECT_TRUE(back.of(2).stop_fill_seen);
  EXPECT_EQ(back.of(3).stop_seq, 5u);
  EXPECT_EQ(back.of(3).stop_run_key, 4u);
  EXPECT_FALSE(back.of(3).stop_fill_seen);
}

TEST(StateLock, ASecondOwnerOfTheStateDirectoryIsRefusedNamingThePid) {
  const std::string dir = fresh_dir("state_lock");
  StateLock first;
  ASSERT_EQ(first.acquire(dir), "");
  StateLock second;
  const std::string err = second.acquire(dir);
  EXPECT_NE(err.find("in use by another exitbrain run (pid " + std::to_string(::getpid())),
            std::string::npos)
      << err;
  EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST(StateLock, AStateDirectoryThatCannotBeCreatedIsAnError) {
  StateLock lock;
  const std::string err = lock.acquire("/proc/exitbrain-state-test");
  EXPECT_NE(err.find("state_dir /proc/exitbrain-state-test: cannot create it"), std::string::npos)
      << err;
}

}  // namespace
}  // namespace exitbrain

namespace exitbrain {
namespace {

// The kill switch goes through the journal like every other input: a flatten's exits are
// decided once, and a restore (a restart) keeps entries halted.
TEST(StateJournal, TheKillSwitchIsJournalledAndARestoreKeepsTheHalt) {
  Bench s;
  const std::string dir = fresh_dir("state_journal_kill_switch");
  Stage live(s);
  std::vector<std::uint8_t> after;
  {
    StateJournal journal(s.config, s.plan, s.symbols, s.log, s.settings(dir), 256);
    RestoreReport rr;
    ASSERT_EQ(journal.restore(rr), "");
    ASSERT_EQ(journal.begin_run(7, kT0), "");
    live.stage.set_journal(&journal.decide_ring());
    live.stage.adopt(0, Side::kLong, dec("0.5"), dec("60000"), kT0, AdoptSource::kStartup, true);
    live.stage.adopt(1, Side::kShort, dec("2"), dec("3000"), kT0, AdoptSource::kStartup, true);
    (void)live.take_decisions();
    EXPECT_FALSE(live.stage.entries_halted());

    live.stage.on_control(ControlCommand{ControlKind::kFlatten, ControlSource::kOperator, 1}, kT0);
    EXPECT_TRUE(live.stage.entries_halted());
    EXPECT_EQ(live.stage.halt_source(), ControlSource::kOperator);
    EXPECT_EQ(live.stage.control_applied(), 1u);
    EXPECT_EQ(live.stage.last_flatten_exits(), 2u);
    const auto d = live.take_decisions();
    ASSERT_EQ(d.size(), 2u);
    for (const Decision& x : d) {
      EXPECT_EQ(x.kind, DecisionKind::kExit);
      EXPECT_EQ(x.exit_reason, ExitReason::kFlatten);
      EXPECT_FALSE(x.remaining.is_positive()) << "all of it";
    }
    EXPECT_EQ(d[0].qty, dec("0.5"));
    EXPECT_EQ(d[1].qty, dec("2"));
    // A second flatten finds nothing open: no exit twice.
    live.stage.on_control(ControlCommand{ControlKind::kFlatten, ControlSource::kOperator, 2}, kT0);
    EXPECT_TRUE(live.take_decisions().empty());
    EXPECT_EQ(live.stage.last_flatten_exits(), 0u);
    while (journal.drain_once() > 0) {
    }
    after = state_of(live.stage);
    live.stage.set_journal(nullptr);
  }
  StateJournal again(s.config, s.plan, s.symbols, s.log, s.settings(dir), 256);
  RestoreReport rr;
  ASSERT_EQ(again.restore(rr), "");
  const std::vector<std::uint8_t> restored = again.stage_state();
  EXPECT_TRUE(restored == after) << "the journal's replay of the commands gives the same stage";
  Stage next(s);
  ByteReader r(restored);
  ASSERT_EQ(next.stage.load(r), std::nullopt);
  EXPECT_TRUE(next.stage.entries_halted()) << "a restart keeps the halt";
  EXPECT_EQ(next.stage.halt_source(), ControlSource::kOperator);

  // resume, then a state saved before the kill switch existed (no trailer) loads as not
  // halted; a damaged trailer is refused naming it, and changes nothing.
  next.stage.on_control(ControlCommand{ControlKind::kResume, ControlSource::kOperator, 3}, kT0);
  EXPECT_FALSE(next.stage.entries_halted());
  std::vector<std::uint8_t> old_format = after;
  old_format.resize(old_format.size() - 6);  // magic (4), halted (1), source (1)
  Stage old(s);
  ByteReader ro(old_format);
  ASSERT_EQ(old.stage.load(ro), std::nullopt);
  EXPECT_FALSE(old.stage.entries_halted());
  std::vector<std::uint8_t> damaged = after;
  damaged.back() = 9;  // no such source
  ByteReader rd(damaged);
  const auto err = old.stage.load(rd);
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("kill switch"), std::string::npos) << *err;
  EXPECT_FALSE(old.stage.entries_halted());
}

}  // namespace
}  // namespace exitbrain

namespace exitbrain {
namespace {

// The day's realised PnL rides in the trail's snapshot (the daily loss limit after a
// restart): per UTC day, a late record of a past day ignored, an older snapshot without it
// read as nothing realised.
TEST(OrderTrail, TheDaysRealisedPnlIsKeptPerUtcDayAndSurvivesASnapshot) {
  constexpr TimeMs kDay = 86'400'000;
  OrderTrail t;
  t.add_realised(20'000 * kDay + 5, -3.5);
  t.add_realised(20'000 * kDay + 9, 1.25);
  EXPECT_DOUBLE_EQ(t.realised_on(20'000), -2.25);
  EXPECT_DOUBLE_EQ(t.realised_on(20'001), 0.0);
  std::vector<std::uint8_t> bytes;
  ByteWriter w(bytes);
  t.save(w);
  OrderTrail back;
  ByteReader r(bytes);
  ASSERT_EQ(back.load(r), std::nullopt);
  EXPECT_TRUE(r.at_end());
  EXPECT_DOUBLE_EQ(back.realised_on(20'000), -2.25);
  back.add_realised(20'001 * kDay, -1.0);  // a new day starts from 0
  EXPECT_DOUBLE_EQ(back.realised_on(20'001), -1.0);
  back.add_realised(20'000 * kDay + 10, -100.0);  // late, of the day before: not today's
  EXPECT_DOUBLE_EQ(back.realised_on(20'001), -1.0);

  std::vector<std::uint8_t> old = bytes;
  old.resize(old.size() - 4 - 4 - 8 - 8);  // the stops' magic (no trails); magic, day, pnl
  OrderTrail from_old;
  ByteReader ro(old);
  ASSERT_EQ(from_old.load(ro), std::nullopt);
  EXPECT_DOUBLE_EQ(from_old.realised_on(20'000), 0.0);
}

}  // namespace
}  // namespace exitbrain

namespace exitbrain {
namespace {

// A stage that lost its owner lease decides nothing, a flatten included: another process
// may own the account.
TEST(StateJournal, AFlattenAfterTheLeaseIsLostExitsNothing) {
  Bench s;
  Stage live(s);
  live.stage.adopt(0, Side::kLong, dec("0.5"), dec("60000"), kT0, AdoptSource::kStartup, true);
  (void)live.take_decisions();
  live.stage.halt();
  live.stage.on_control(ControlCommand{ControlKind::kFlatten, ControlSource::kOperator, 1}, kT0);
  EXPECT_TRUE(live.take_decisions().empty());
  EXPECT_EQ(live.stage.last_flatten_exits(), 0u);
  EXPECT_TRUE(live.stage.entries_halted());
  EXPECT_EQ(live.stage.open_positions(), 1u);
}

// Found by the fault soak: after a full exit on a stale size (a trader had added), every
// later state of that symbol and side was taken for one from before the exit filled, for
// good: the rest stayed unmanaged and, once the old stop went, without one. Now the wait
// ends with a flat state or after kAwaitFlatMs, and what the exchange showed meanwhile is
// managed as a position of its own, whose levels go out before the old stop's release.
TEST(StateJournal, WhatAFullExitLeavesIsManagedWhenTheWaitEndsAndTheOldStopWaitsForTheNewOne) {
  Bench s;
  Stage live(s);
  SpscQueue<StateRecord> ring(64 * 1024);
  live.stage.set_journal(&ring);
  // A warm ATR, so an adopted position has its levels at once.
  PriceState st;
  st.symbol = 0;
  st.event_time = kT0;
  st.updated = trigger_bit(TriggerSource::kMark) | trigger_bit(TriggerSource::kLast);
  st.mark = st.last = dec("60000");
  st.atr_ready = 0xF;
  for (double& a : st.atr) a = 240.0;
  st.atr_close = 60000.0;
  live.stage.adopt(0, Side::kLong, dec("0.5"), dec("60000"), kT0, AdoptSource::kStartup, true);
  live.stage.on_price(st);
  ASSERT_FALSE(live.take_decisions().empty()) << "levels";
  const TimeMs exit_at = kT0 + 1000;
  live.stage.on_control(ControlCommand{ControlKind::kFlatten, ControlSource::kOperator, 1},
                        exit_at);
  const auto exits = live.take_decisions();
  ASSERT_EQ(exits.size(), 1u);
  ASSERT_EQ(exits[0].kind, DecisionKind::kExit);
  EXPECT_FALSE(exits[0].remaining.is_positive());
  live.stage.on_control(ControlCommand{ControlKind::kResume, ControlSource::kOperator, 2}, exit_at);

  // The exchange still shows some of it: from before the fill, or left after it? Not told yet.
  AccountChange c;
  c.symbol = 0;
  c.side = Side::kLong;
  c.amount = dec("0.2");
  c.entry = dec("60000");
  c.time = exit_at + 500;
  live.stage.on_account(c, exit_at + 500);
  EXPECT_EQ(live.stage.open_positions(), 0u);
  live.stage.on_idle(exit_at + DecideStage::kAwaitFlatMs - 1);
  EXPECT_EQ(live.stage.open_positions(), 0u);
  EXPECT_EQ(live.orders.size_approx(), 0u);

  // A restart in the middle of the wait gives it back whole.
  Stage restored(s);
  {
    const std::vector<std::uint8_t> snap = state_of(live.stage);
    ByteReader r(snap);
    ASSERT_EQ(restored.stage.load(r), std::nullopt);
  }

  live.stage.on_idle(exit_at + DecideStage::kAwaitFlatMs);
  ASSERT_EQ(live.stage.open_positions(), 1u);
  {
    // The old stop's release goes at once, told to wait for the new position's stop: the
    // order gateway cancels it only once that one stands (or the rest is closed).
    OrderWork w;
    ASSERT_TRUE(live.orders.try_pop(w));
    EXPECT_EQ(w.kind, OrderWorkKind::kReleaseStop);
    EXPECT_EQ(w.decision.position, 0u);
    EXPECT_EQ(w.after_position, 1u);
    EXPECT_FALSE(live.orders.try_pop(w));
  }
  st.event_time = exit_at + DecideStage::kAwaitFlatMs + 1;
  live.stage.on_price(st);
  const PositionState& rest = live.stage.engine().position(1);
  EXPECT_EQ(rest.remaining, dec("0.2"));
  EXPECT_EQ(rest.side, Side::kLong);
  std::vector<OrderWork> work;
  for (OrderWork w; live.orders.try_pop(w);) work.push_back(w);
  ASSERT_GE(work.size(), 1u);
  EXPECT_EQ(work.front().kind, OrderWorkKind::kDecision);
  EXPECT_EQ(work.front().decision.kind, DecisionKind::kLevels);
  EXPECT_EQ(work.front().decision.position, 1u);
  for (const OrderWork& w : work) EXPECT_NE(w.kind, OrderWorkKind::kReleaseStop) << "released once";
  live.stage.on_idle(exit_at + 10 * DecideStage::kAwaitFlatMs);
  EXPECT_EQ(live.stage.open_positions(), 1u) << "adopted once";

  // The restored stage ends its wait the same way; a replica of the journal too.
  restored.stage.on_idle(exit_at + DecideStage::kAwaitFlatMs);
  restored.stage.on_price(st);
  EXPECT_EQ(state_of(restored.stage), state_of(live.stage));
  Stage replica(s);
  replica.stage.set_outputs(false, false);
  for (StateRecord r; ring.try_pop(r);) ASSERT_TRUE(replica.stage.apply(r));
  EXPECT_EQ(state_of(replica.stage), state_of(live.stage));
}

TEST(StateJournal, AFlatStateEndsTheWaitWithNothingAdoptedAndReleasesTheStop) {
  Bench s;
  Stage live(s);
  live.stage.adopt(0, Side::kShort, dec("0.5"), dec("60000"), kT0, AdoptSource::kStartup, true);
  (void)live.take_decisions();
  live.stage.on_control(ControlCommand{ControlKind::kFlatten, ControlSource::kOperator, 1}, kT0);
  ASSERT_EQ(live.take_decisions().size(), 1u);
  AccountChange c;
  c.symbol = 0;
  c.side = Side::kShort;
  c.amount = dec("0.5");  // from before the exit filled
  c.time = kT0 + 10;
  live.stage.on_account(c, kT0 + 10);
  c.amount = Qty{};
  c.side_known = false;  // one-way: a flat "BOTH" position names no side
  live.stage.on_account(c, kT0 + 20);
  std::vector<OrderWork> work;
  for (OrderWork w; live.orders.try_pop(w);) work.push_back(w);
  ASSERT_EQ(work.size(), 1u);
  EXPECT_EQ(work[0].kind, OrderWorkKind::kReleaseStop);
  EXPECT_EQ(work[0].decision.position, 0u);
  live.stage.on_idle(kT0 + 10 * DecideStage::kAwaitFlatMs);
  EXPECT_EQ(live.stage.open_positions(), 0u);
  EXPECT_EQ(live.orders.size_approx(), 0u) << "nothing adopted, released once";
}

}  // namespace
}  // namespace exitbrain
