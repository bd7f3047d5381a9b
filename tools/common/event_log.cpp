#include "tools/common/event_log.hpp"

#include <algorithm>
#include <chrono>

#include "core/thread_affinity.hpp"
#include "tools/common/json_line.hpp"

namespace exitbrain {

const char* to_string(OrderRecordKind k) noexcept {
  switch (k) {
    case OrderRecordKind::kExitSent:
      return "exit_sent";
    case OrderRecordKind::kExitDone:
      return "exit_done";
    case OrderRecordKind::kExitLookup:
      return "exit_lookup";
    case OrderRecordKind::kHardStopPlaced:
      return "hard_stop_placed";
    case OrderRecordKind::kHardStopCancelled:
      return "hard_stop_cancelled";
    case OrderRecordKind::kHardStopTriggered:
      return "hard_stop_triggered";
  }
  return "?";
}

EventLog::EventLog(const SymbolTable& symbols, std::FILE* out)
    : symbols_(symbols), out_(out), queue_(64 * 1024) {
  latencies_.reserve(4096);
}

EventLog::~EventLog() {
  stop();
  if (!path_.empty() && out_) std::fclose(out_);
}

void EventLog::reopen() {
  reopen_.store(false, std::memory_order_relaxed);
  if (path_.empty()) return;
  std::fflush(out_);
  // The new file first: if it cannot be opened the lines go on to the old one, and say so.
  // Written here, on the writer thread, as every text record is.
  Record r;
  r.kind = Record::Kind::kText;
  std::FILE* next = std::fopen(path_.c_str(), "a");
  if (!next) {
    r.text =
        R"("event":"alert","alert":"event_log_reopen_failed","path":)" + JsonLine::quote(path_);
  } else {
    std::fclose(out_);
    out_ = next;
    reopens_.fetch_add(1, std::memory_order_relaxed);
    r.text = R"("event":"event_log_reopened","path":)" + JsonLine::quote(path_);
  }
  write(r);
  count(r);
  std::fflush(out_);
}

void EventLog::count(const Record& r) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  auto bump = [](std::atomic<std::uint64_t>& c) { c.store(c.load(kRelaxed) + 1, kRelaxed); };
  switch (r.kind) {
    case Record::Kind::kDecision:
      bump(counts_.decisions_[static_cast<std::size_t>(r.decision.kind)]);
      if (r.decision.kind == DecisionKind::kExit)
        bump(counts_.exits_[static_cast<std::size_t>(r.decision.exit_reason)]);
      return;
    case Record::Kind::kOrder: {
      std::lock_guard<std::mutex> l(counts_.mu_);
      ++counts_.orders_[{r.order.kind, r.order.ok, r.order.error_code}];
      return;
    }
    case Record::Kind::kText: {
      constexpr std::string_view kAlert = R"("alert":")";
      const auto at = r.text.find(kAlert);
      if (at == std::string::npos) return;
      const auto from = at + kAlert.size();
      const auto end = r.text.find('"', from);
      if (end == std::string::npos) return;
      std::lock_guard<std::mutex> l(counts_.mu_);
      ++counts_.alerts_[r.text.substr(from, end - from)];
      return;
    }
  }
}

void EventLog::start() {
  stop_ = false;
  thread_ = std::thread([this] {
    name_current_thread("eb-events");
    run();
  });
}

void EventLog::stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
}

void EventLog::decision(const Decision& d) noexcept {
  Record r;
  r.kind = Record::Kind::kDecision;
  r.decision = d;
  if (!queue_.try_enqueue(std::move(r))) dropped_.fetch_add(1, std::memory_order_relaxed);
}

void EventLog::order(const OrderRecord& o) noexcept {
  Record r;
  r.kind = Record::Kind::kOrder;
  r.order = o;
  if (!queue_.try_enqueue(std::move(r))) dropped_.fetch_add(1, std::memory_order_relaxed);
}

void EventLog::text(std::string json_fields) {
  Record r;
  r.kind = Record::Kind::kText;
  r.text = std::move(json_fields);
  // Rare records may grow the queue: they are never dropped.
  queue_.enqueue(std::move(r));
}

// The event log polls: a doorbell would put a futex wake (a syscall) on the hot path, whose
// records only enqueue. It polls every 1 ms while records come, backing off to every 50 ms
// when idle, so a quiet exitbrain (positions waiting for markPrice@1s) wakes it 20 times a
// second instead of 500 (issue 5: CPU at rest). A line is written at most 50 ms late.
void EventLog::run() {
  constexpr auto kBusyPoll = std::chrono::milliseconds(1);
  constexpr auto kIdlePoll = std::chrono::milliseconds(50);
  auto poll = kBusyPoll;
  Record r;
  for (;;) {
    bool any = false;
    if (reopen_.load(std::memory_order_relaxed)) reopen();
    while (queue_.try_dequeue(r)) {
      any = true;
      write(r);
      count(r);
    }
    if (any) std::fflush(out_);
    if (stop_.load()) {
      if (queue_.size_approx() == 0) break;
      continue;
    }
    poll = any ? kBusyPoll : std::min(poll * 2, kIdlePoll);
    std::this_thread::sleep_for(poll);
  }
  std::fflush(out_);
}

void EventLog::write(const Record& r) {
  std::string line;
  switch (r.kind) {
    case Record::Kind::kText: {
      line = "{\"t\":" + std::to_string(wall_clock_ms()) + "," + r.text + "}\n";
      if (r.text.find("\"alert\"") != std::string::npos) ++alerts_;
      break;
    }
    case Record::Kind::kDecision: {
      const Decision& d = r.decision;
      JsonLine j;
      j.num("t", d.time).num("position", d.position).str("symbol", symbols_.name(d.symbol));
      j.str("side", to_string(d.side));
      if (d.kind == DecisionKind::kLevels) {
        j.str("event", "levels").num("sl", d.sl);
        std::string tp = "[";
        for (std::uint8_t i = 0; i < d.tp_count; ++i) {
          if (i) tp += ',';
          tp += to_string(d.tp[i]);
        }
        j.raw("tp", tp + "]").boolean("provisional", d.provisional);
      } else if (d.kind == DecisionKind::kStopMoved) {
        j.str("event", "sl_moved").num("sl", d.sl).str("reason", to_string(d.move_reason));
        j.num("price", d.price);
      } else {
        j.str("event", "exit").str("reason", to_string(d.exit_reason)).num("leg", int{d.leg});
        j.num("qty", d.qty).num("price", d.price).num("remaining", d.remaining);
        j.num("exit_seq", d.exit_seq);
      }
      line = j.finish();
      break;
    }
    case Record::Kind::kOrder: {
      const OrderRecord& o = r.order;
      JsonLine j;
      j.num("t", o.time).str("event", to_string(o.kind)).num("position", o.position);
      j.num("seq", o.seq).str("symbol", symbols_.name(o.symbol)).str("side", to_string(o.side));
      j.num("qty", o.qty);
      if (o.price.is_positive()) j.num("price", o.price);
      j.boolean("ok", o.ok);
      if (o.http_status) j.num("http_status", o.http_status);
      if (o.error_code) j.num("code", o.error_code);
      if (o.kind == OrderRecordKind::kExitSent) {
        ++exits_sent_;
        if (o.stamps.frame_in && o.stamps.order_out) {
          const std::int64_t total = o.stamps.order_out - o.stamps.frame_in;
          latencies_.push_back(total);
          j.num("tick_to_order_ns", total);
          j.num("parse_ns", o.stamps.parsed - o.stamps.frame_in);
          j.num("state_ns", o.stamps.state - o.stamps.parsed);
          j.num("decide_ns", o.stamps.decided - o.stamps.state);
          j.num("send_ns", o.stamps.order_out - o.stamps.decided);
        }
      }
      if (o.kind == OrderRecordKind::kExitDone && o.ok) ++exits_filled_;
      line = j.finish();
      break;
    }
  }
  std::fwrite(line.data(), 1, line.size(), out_);
}

}  // namespace exitbrain
