#pragma once
// The decide stage: the exit engine and what feeds it besides prices. A plain object the
// decide thread (or, fused, the state thread) drives; `exitbrain run`, exitbrain-bench
// and the tests run the same one.
//  - price states in -> the engine's rules -> decisions out to `to_orders` (the ring to the
//    order sink in the hot pipeline) and into the event log (fixed-size records: the hot
//    path does not format);
//  - the exchange's view of each position (account stream): changes made elsewhere are
//    applied, new positions adopted per [run] foreign_positions;
//  - trade intents to execute (entries = execute): one position per symbol and side, the
//    total-notional limit, then the intent's levels once the position shows up;
//  - cross-exchange level adjustments.
// Everything but on_price() is rare and may log.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/byte_codec.hpp"
#include "core/latency_histogram.hpp"
#include "core/sink_ref.hpp"
#include "core/spsc_queue.hpp"
#include "core/symbol_table.hpp"
#include "net/order_format.hpp"
#include "strategies/cross_exchange.hpp"
#include "strategies/exit_engine.hpp"
#include "tools/common/event_log.hpp"
#include "tools/live/messages.hpp"
#include "tools/live/state_records.hpp"
#include "tools/settings/atr_plan.hpp"
#include "tools/settings/config.hpp"

namespace exitbrain {

class DecideStage;

// Positions that come from somewhere else than the exchange's account stream: the
// benchmark's stand-in exchange reopens every position that closes, so exits keep coming
// at any rate. `exitbrain run` has none (its positions are the account's).
class PositionSupply {
 public:
  virtual ~PositionSupply() = default;
  // Every decision, as it is made.
  virtual void on_decision(const Decision& d) = 0;
  // After a price update's decisions (and its hops recorded).
  virtual void after_price(const PriceState& st, DecideStage& stage) = 0;
};

class DecideStage {
 public:
  // `to_orders` must outlive the stage.
  DecideStage(const Config& config, const AtrPlan& plan, SymbolTable& symbols, EventLog& event_log,
              SinkRef<OrderWork> to_orders, std::size_t max_positions);

  // Before the threads start.
  void set_mode(PositionMode mode) noexcept { mode_ = mode; }
  void set_position_supply(PositionSupply* supply) noexcept { supply_ = supply; }
  // Every input that changes the stage's state goes to this ring as well (the state
  // journal, tools/live/state_journal.hpp), after it was applied. Waits for room: a full
  // ring holds the stage rather than lose a record (counted by the ring).
  void set_journal(SpscQueue<StateRecord>* journal) noexcept { journal_ = journal; }
  // Restore and replay feed recorded inputs without sending orders again (`orders` false)
  // and, for a restore, without writing the lines the first run wrote (`log` false).
  // A replay of a journal writes the decision lines only (`text` false).
  void set_outputs(bool orders, bool log, bool text = true) noexcept {
    orders_on_ = orders;
    log_on_ = log;
    text_on_ = log && text;
  }

  // Hot path: one price state through the engine's rules.
  void on_price(const PriceState& st) noexcept;
  // The owner lease is lost: no more decisions (the hard stops stay on the exchange).
  // Any thread; the stage reads it once per update.
  void halt() noexcept { halted_.store(true, std::memory_order_relaxed); }
  bool halted() const noexcept { return halted_.load(std::memory_order_relaxed); }
  // The owner lease is ours again: decisions go on from the next input.
  void resume() noexcept { halted_.store(false, std::memory_order_relaxed); }

  // `now`: the wall clock when the input was taken (journalled with it, so a replay
  // decides the same).
  void on_account(const AccountChange& c, TimeMs now, bool at_startup = false);
  // How long a full exit's wait for its flat account state lasts (AwaitingFlat below): our
  // exits fill in milliseconds; one held back by a ban or a rate limit that long and seen
  // again in the meantime is managed twice (both exits are reduce-only), the lesser harm
  // than a position left unmanaged.
  static constexpr TimeMs kAwaitFlatMs = 10'000;
  // Between inputs (the decide loop, after its rings): ends the waits for a full exit's flat
  // account state that lasted kAwaitFlatMs. Reads the clock only while one is waiting.
  void on_idle();
  void on_idle(TimeMs now);
  void on_entry(const EntryOrder& e, TimeMs now);
  void on_adjustments(const cross_exchange::Adjustments& a) noexcept;
  void on_level_adjustments(const LevelAdjustments& a) noexcept;
  // The kill switch: halt (no new entries; exits, stops and adopted positions are managed
  // as before), flatten (an exit of all that is left of every open position now, reason
  // "flatten", then halted) or resume. Journalled, and part of save(): a restart keeps a
  // halt. Each command is an event line.
  void on_control(const ControlCommand& c, TimeMs now);
  // For the operations thread.
  bool entries_halted() const noexcept { return entries_halted_.load(std::memory_order_relaxed); }
  ControlSource halt_source() const noexcept {
    return static_cast<ControlSource>(halt_source_.load(std::memory_order_relaxed));
  }
  // The seq of the last command applied (release: its effects are visible once it shows).
  std::uint32_t control_applied() const noexcept {
    return control_applied_.load(std::memory_order_acquire);
  }
  // Stores the engine's open-position count for other threads (after every input).
  void publish_open() noexcept {
    open_positions_.store(engine_->open_positions(), std::memory_order_relaxed);
  }
  // Open positions in the engine, as of the latest input (any thread).
  std::uint32_t open_positions() const noexcept {
    return open_positions_.load(std::memory_order_relaxed);
  }
  // The exits the last flatten decided.
  std::uint32_t last_flatten_exits() const noexcept {
    return last_flatten_exits_.load(std::memory_order_relaxed);
  }
  // A position the exchange shows, managed with the default profile (or ignored / alerted
  // per [run] foreign_positions unless `ours`). `source` names where it was seen.
  void adopt(SymbolId s, Side side, Qty amount, Price entry, TimeMs opened_at, AdoptSource source,
             bool ours = false);
  // A position with levels of its own (the benchmark's stand-in exchange). False when the
  // table is full or the levels are refused.
  bool open(const NewPosition& np);
  // One journalled input, as it was first applied (restore, replay). False: a record that
  // names a symbol, side or kind this stage does not have (nothing applied).
  bool apply(const StateRecord& r);

  // The stage's whole state (engine, entries in flight, exits awaiting the flat account
  // update), bit for bit; load() replaces it or, on error, names the field and changes
  // nothing.
  void save(ByteWriter& w) const;
  std::optional<std::string> load(ByteReader& r);

  const ExitEngine& engine() const noexcept { return *engine_; }
  // True while the engine's position `position`, exited in full, waits for its flat account
  // state (its hard stop stays until then: start-up keeps it as ours).
  bool awaiting_flat(std::uint32_t position) const noexcept;
  // state -> decided and frame in -> decided, per price state. Written by the decide
  // thread; read once it has stopped.
  const LatencyHistogram& to_decision_hop() const noexcept { return to_decision_; }
  const LatencyHistogram& tick_to_decision() const noexcept { return tick_to_decision_; }

  std::atomic<std::uint64_t> decisions{0}, exits_decided{0}, adopted{0};
  std::atomic<std::uint64_t> entries_requested{0}, entries_refused{0}, positions_opened{0};

 private:
  struct PendingEntry {
    bool active = false;
    EntryOrder order{};
    TimeMs since = 0;
  };
  // After the engine exits a position in full, until the exchange shows it flat: account
  // states of that symbol and side may still show the position from before the exit
  // filled, and must not be adopted as a new one. The wait ends with a flat state or after
  // kAwaitFlatMs; then the latest state seen meanwhile, if not flat, is what is left of the
  // position (the soak found the engine's size stale: a trader had added, or the flat state
  // was missed across a restart, and the rest went unmanaged and without a stop for good).
  struct AwaitingFlat {
    bool active = false;
    std::uint32_t position = kNoPosition;  // the engine's position that was exited
    TimeMs since = 0;                      // the exit's decision time
    bool seen = false;                     // a state not flat arrived meanwhile
    AccountChange latest{};
  };
  static constexpr std::uint32_t kNoPosition = 0xFFFFFFFF;

  void emit(const Decision& decided) noexcept;
  void journal(const StateRecord& r) noexcept {
    if (!journal_) return;
    journal_->push(r);
    ++journalled_;
  }
  void log_text(std::string json_fields) {
    if (text_on_) event_log_.text(std::move(json_fields));
  }
  PendingEntry* pending(SymbolId s, Side side, TimeMs now);
  bool open_for_intent(const AccountChange& c);
  void lapse(SymbolId s, Side side, TimeMs now);
  void end_wait(SymbolId s, Side side);
  void release_stop(std::uint32_t position, SymbolId s, Side side,
                    std::uint32_t after = kNoPosition) noexcept;
  void do_adopt(SymbolId s, Side side, Qty amount, Price entry, TimeMs opened_at,
                AdoptSource source, bool ours);

  const Config& config_;
  SymbolTable& symbols_;
  EventLog& event_log_;
  SinkRef<OrderWork> to_orders_;
  std::unique_ptr<ExitEngine> engine_;
  std::uint16_t default_profile_ = 0;
  PositionMode mode_ = PositionMode::kOneWay;
  PositionSupply* supply_ = nullptr;
  SpscQueue<StateRecord>* journal_ = nullptr;
  std::uint64_t journalled_ = 0;  // records pushed to the journal (Decision::journal_records)
  bool record_follows_ = false;   // applying an input whose record is pushed afterwards
  bool orders_on_ = true, log_on_ = true, text_on_ = true;
  std::atomic<bool> halted_{false};
  std::atomic<bool> entries_halted_{false};
  std::atomic<std::uint8_t> halt_source_{0};
  std::atomic<std::uint32_t> control_applied_{0};
  std::atomic<std::uint32_t> last_flatten_exits_{0};
  std::atomic<std::uint32_t> open_positions_{0};
  std::vector<Price> last_price_;  // per symbol: the reference price of a flatten's exit
  std::vector<std::array<AwaitingFlat, 2>> awaiting_flat_;    // per symbol and side
  std::uint32_t awaiting_count_ = 0;                          // active entries of awaiting_flat_
  std::vector<std::array<PendingEntry, 2>> pending_entries_;  // per symbol and side
  LatencyHistogram to_decision_, tick_to_decision_;
};

}  // namespace exitbrain
