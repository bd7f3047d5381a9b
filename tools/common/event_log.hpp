#pragma once
// The live run's event log: every decision, order, hard-stop move, fill and alert as one
// JSON line, written by its own thread. Pipeline threads only enqueue fixed-size records
// (no formatting, no I/O on the hot path); text records are for the rare paths
// (connections, start-up, alerts). The writer also keeps the tick-to-order latencies of
// the exits for the closing summary.
#include <concurrentqueue/concurrentqueue.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/events.hpp"
#include "core/symbol_table.hpp"

namespace exitbrain {

enum class OrderRecordKind : std::uint8_t {
  kExitSent,    // an exit order's bytes went out
  kExitDone,    // it reached a final state (filled / rejected / ...)
  kExitLookup,  // looked up by client id after an unknown outcome
  kHardStopPlaced,
  kHardStopCancelled,
  kHardStopTriggered,  // the exchange-side stop fired (ALGO_UPDATE)
};

struct OrderRecord {
  OrderRecordKind kind = OrderRecordKind::kExitSent;
  TimeMs time = 0;
  std::uint32_t position = 0;
  std::uint32_t seq = 0;  // client id sequence
  SymbolId symbol = kNoSymbol;
  Side side = Side::kLong;  // position side
  Qty qty{};                // requested (exits) / executed (done)
  Price price{};            // average fill price / hard-stop trigger
  int http_status = 0;
  int error_code = 0;  // Binance code, 0 if none
  std::uint8_t error_action = 0;
  bool ok = true;
  LatencyStamps stamps{};     // exits: frame-in ... order bytes out
  std::uint64_t run_key = 0;  // the run whose client id it is; 0: this run (state journal)
};

inline constexpr std::size_t kOrderRecordKinds = 6;
const char* to_string(OrderRecordKind k) noexcept;

// What the event log thread counted of the records it wrote, for the metrics scrape (any
// thread may read): decisions by kind, exits by reason, order records by kind, outcome
// and Binance code, alerts by name. Counted where the lines are written, off the hot path;
// records the full queue dropped are not in them (dropped_records() counts those).
class EventCounts {
 public:
  std::uint64_t decisions(DecisionKind k) const noexcept {
    return decisions_[static_cast<std::size_t>(k)].load(std::memory_order_relaxed);
  }
  std::uint64_t exits(ExitReason r) const noexcept {
    return exits_[static_cast<std::size_t>(r)].load(std::memory_order_relaxed);
  }
  // (kind, ok, code) -> records.
  using OrderKey = std::tuple<OrderRecordKind, bool, int>;
  std::map<OrderKey, std::uint64_t> orders() const {
    std::lock_guard<std::mutex> l(mu_);
    return orders_;
  }
  std::map<std::string, std::uint64_t> alerts() const {
    std::lock_guard<std::mutex> l(mu_);
    return alerts_;
  }

 private:
  friend class EventLog;
  std::array<std::atomic<std::uint64_t>, 3> decisions_{};
  std::array<std::atomic<std::uint64_t>, kExitReasonCount> exits_{};
  mutable std::mutex mu_;  // the event log thread and the scrape only
  std::map<OrderKey, std::uint64_t> orders_;
  std::map<std::string, std::uint64_t> alerts_;
};

class EventLog {
 public:
  // `out` is written by the event log thread only. `symbols` must not change meanwhile.
  EventLog(const SymbolTable& symbols, std::FILE* out);
  ~EventLog();  // stops; closes an owned file
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  void start();
  // Writes what is queued, then stops.
  void stop();

  // `out` is the file at `path`, opened by the caller for writing: the log owns it from now
  // on (closes it when destroyed) and, on request_reopen(), opens `path` again for append
  // and goes on there (logrotate moved the old one away). Before start().
  void own_file(std::string path) { path_ = std::move(path); }
  // Async-signal-safe (SIGHUP): the writer thread reopens the file at its next poll.
  void request_reopen() noexcept { reopen_.store(true, std::memory_order_relaxed); }
  std::uint64_t reopens() const noexcept { return reopens_.load(std::memory_order_relaxed); }
  const EventCounts& counts() const noexcept { return counts_; }

  // Hot path: a fixed-size record into a pre-allocated queue; never blocks. A full queue
  // is counted (dropped_records) and reported in the summary, never hidden.
  void decision(const Decision& d) noexcept;
  void order(const OrderRecord& r) noexcept;
  // Rare paths: `json_fields` is the inside of an object (`"event":"feed",...`).
  void text(std::string json_fields);

  std::uint64_t dropped_records() const noexcept { return dropped_.load(); }
  // Exit latencies (order bytes out - frame in), ns, as recorded so far. After stop().
  const std::vector<std::int64_t>& exit_latencies_ns() const noexcept { return latencies_; }
  std::uint64_t exits_sent() const noexcept { return exits_sent_; }
  std::uint64_t exits_filled() const noexcept { return exits_filled_; }
  std::uint64_t alerts() const noexcept { return alerts_; }

 private:
  struct Record {
    enum class Kind : std::uint8_t { kDecision, kOrder, kText } kind = Kind::kText;
    Decision decision{};
    OrderRecord order{};
    std::string text;
  };
  void run();
  void write(const Record& r);
  void count(const Record& r);
  void reopen();

  const SymbolTable& symbols_;
  std::FILE* out_;
  moodycamel::ConcurrentQueue<Record> queue_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> dropped_{0};
  std::vector<std::int64_t> latencies_;
  std::uint64_t exits_sent_ = 0, exits_filled_ = 0, alerts_ = 0;
  EventCounts counts_;
  std::string path_;  // "": `out_` is the caller's
  std::atomic<bool> reopen_{false};
  std::atomic<std::uint64_t> reopens_{0};
};

}  // namespace exitbrain
