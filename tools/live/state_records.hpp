#pragma once
// What the state journal records (the files: tools/state/). The decide stage is a
// deterministic state machine: the same inputs in the same order give the same engine,
// bit for bit. So the journal holds its inputs — every price state that reached a rule
// (updates the quiet band answered change nothing and are not journalled), every account
// change, entry, adjustment and adoption, each with the wall-clock time the stage read —
// and the order sender's records (exits sent and answered, hard stops), which say what is
// on the exchange. A restart loads the newest snapshot and feeds the records after it to
// the same DecideStage; `exitbrain replay --journal` does the same and prints the lines.
//
// A record in the ring is a fixed-size plain value (the hot path copies, never formats);
// on disk its payload is the bytes of the one member its kind names.
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "core/events.hpp"
#include "strategies/exit_engine.hpp"
#include "tools/common/event_log.hpp"
#include "tools/live/messages.hpp"

namespace exitbrain {

enum class StateRecordKind : std::uint16_t {
  kRunStarted = 1,  // RunStarted: a new process took over the journal
  kPrice = 2,       // PriceState through the engine's rules
  kAccount = 3,     // AccountInput: the exchange's view of a position
  kEntry = 4,       // EntryInput: a trade intent to execute
  kAdjustments = 5,
  kAdopt = 6,     // AdoptInput: a position the exchange shows, adopted
  kOpen = 7,      // NewPosition with levels of its own (benchmarks)
  kOrder = 8,     // OrderRecord from the order sender
  kSymbol = 9,    // SymbolRecord: a symbol's filters at the start of a run (replay needs them)
  kControl = 10,  // ControlInput: halt / flatten / resume
  // AccountInput (symbol, side, now): the wait for a full exit's flat account state ended
  // without it; what the exchange showed meanwhile is applied (DecideStage::on_idle).
  kAwaitLapsed = 11,
};

struct RunStarted {
  std::uint64_t run_key = 0;  // the client-id key of this run's orders
  TimeMs time = 0;
};
struct AccountInput {
  AccountChange change{};
  TimeMs now = 0;
  bool at_startup = false;
};
struct EntryInput {
  EntryOrder entry{};
  TimeMs now = 0;
};
struct AdoptInput {
  SymbolId symbol = kNoSymbol;
  Side side = Side::kLong;
  Qty amount{};
  Price entry{};
  TimeMs opened_at = 0;
  std::uint8_t source = 0;  // AdoptSource
  bool ours = false;
};
struct ControlInput {
  ControlCommand command{};
  TimeMs now = 0;
};
struct SymbolRecord {
  SymbolId symbol = kNoSymbol;
  SymbolFilters filters{};
};
enum class AdoptSource : std::uint8_t { kStartup, kUserStream, kIntent };
const char* to_string(AdoptSource s) noexcept;

struct StateRecord {
  StateRecordKind kind = StateRecordKind::kPrice;
  union {
    RunStarted run;
    PriceState price;
    AccountInput account;
    EntryInput entry;
    LevelAdjustments adjustments;
    AdoptInput adopt;
    NewPosition open;
    OrderRecord order;
    SymbolRecord symbol;
    ControlInput control;
  };
  StateRecord() noexcept : price{} {}

  // The bytes of the member `kind` names (the on-disk payload).
  std::span<const std::uint8_t> payload() const noexcept;
  // From a kind and payload read back; false if the size does not fit the kind.
  bool assign(std::uint16_t kind, std::span<const std::uint8_t> payload) noexcept;
};
static_assert(std::is_trivially_copyable_v<StateRecord>);

}  // namespace exitbrain
