#include "tools/soak/soak_check.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "core/decimal.hpp"

namespace exitbrain::soak {

namespace {

constexpr std::size_t kShownFailures = 8;

// One entry of exitbrain-sim's order record (SimExchange::orders_json()).
struct Entry {
  std::int64_t seq = 0, time = 0;
  std::string endpoint, outcome, client_id, symbol, side, position_side;
  bool reduce_only = false, close_position = false;
  std::string algo_id;  // params.algoId (a cancel by id), or the id the answer gave
  Decimal executed{};
  Decimal trigger{};  // params.triggerPrice (a hard stop)
  int http_status = 0;
};

void fail(InvariantResult& r, std::string what) {
  ++r.failed;
  if (r.failures.size() < kShownFailures) r.failures.push_back(std::move(what));
}

std::string at(const Entry& e) {
  return " (seq " + std::to_string(e.seq) + ", t " + std::to_string(e.time) + ")";
}

bool starts(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The record, or the reason it cannot be read.
std::string read_entries(const std::string& json, std::vector<Entry>& out) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc)) return "the order record is not JSON";
  simdjson::dom::array arr;
  if (doc.get(arr)) return "the order record is not an array";
  for (simdjson::dom::element item : arr) {
    Entry e;
    std::string_view sv;
    std::int64_t n = 0;
    if (item["seq"].get(e.seq) || item["time"].get(e.time) || item["endpoint"].get(sv))
      return "an entry without seq, time or endpoint";
    e.endpoint = std::string(sv);
    if (!item["outcome"].get(sv)) e.outcome = std::string(sv);
    if (!item["http_status"].get(n)) e.http_status = static_cast<int>(n);
    if (!item["executed_qty"].get(sv) && parse_decimal(sv, e.executed) != DecimalError::kOk)
      return "entry " + std::to_string(e.seq) + ": executed_qty is not a decimal";
    if (!item["algo_id"].get(n)) e.algo_id = std::to_string(n);
    simdjson::dom::object params;
    if (!item["params"].get(params)) {
      const auto text = [&](const char* key, std::string& dst) {
        std::string_view v;
        if (!params[key].get(v)) dst = std::string(v);
      };
      text("symbol", e.symbol);
      text("side", e.side);
      text("positionSide", e.position_side);
      text("newClientOrderId", e.client_id);
      text("clientOrderId", e.client_id);  // SIM open
      text("clientAlgoId", e.client_id);
      std::string flag, id;
      text("reduceOnly", flag);
      e.reduce_only = flag == "true";
      flag.clear();
      text("closePosition", flag);
      e.close_position = flag == "true";
      text("algoId", id);
      if (!id.empty()) e.algo_id = id;
      std::string trigger;
      text("triggerPrice", trigger);
      if (!trigger.empty() && parse_decimal(trigger, e.trigger) != DecimalError::kOk)
        return "entry " + std::to_string(e.seq) + ": triggerPrice is not a decimal";
    }
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.seq < b.seq; });
  return "";
}

bool is(const Entry& e, std::string_view endpoint) {
  return e.endpoint == endpoint;
}
bool fill_of(const Entry& e) {
  return e.executed.is_positive() &&
         (is(e, "POST /fapi/v1/order") || is(e, "TRIGGER algoOrder") || is(e, "SIM open"));
}
std::string key_of(const Entry& e) {
  return e.symbol + "|" + (e.position_side.empty() ? "BOTH" : e.position_side);
}

// 1. An exit (or a hard stop) of ours is never sent again once the exchange executed it:
// after an unknown answer the daemon looks up before it resends.
InvariantResult sent_once(const std::vector<Entry>& entries) {
  InvariantResult r{"exit orders never sent twice", 0, 0, {}, ""};
  std::map<std::string, bool> executed;  // client id -> executed (or accepted, for a stop)
  std::set<std::string> failed_ids;
  for (const Entry& e : entries) {
    const bool exit = is(e, "POST /fapi/v1/order") && starts(e.client_id, "xbx-");
    const bool stop = is(e, "POST /fapi/v1/algoOrder") && starts(e.client_id, "xbs-");
    if (!exit && !stop) continue;
    bool& done = executed[e.client_id];
    if (done && failed_ids.insert(e.client_id).second)
      fail(r, e.client_id + " sent again after the exchange had " +
                  (exit ? "executed" : "accepted") + " it" + at(e));
    if (exit ? e.executed.is_positive() : e.outcome == "NEW") done = true;
  }
  r.passed = static_cast<std::int64_t>(executed.size() - failed_ids.size());
  r.note = std::to_string(executed.size()) + " client ids of exits and hard stops";
  return r;
}

// 2. Exits are reduce-only and never take a position through zero.
InvariantResult never_flipped(const std::vector<Entry>& entries) {
  InvariantResult r{"no position reduced below zero or flipped", 0, 0, {}, ""};
  std::map<std::string, Decimal> amount;
  for (const Entry& e : entries) {
    const bool ours_exit = is(e, "POST /fapi/v1/order") && starts(e.client_id, "xbx-");
    if (ours_exit && !e.reduce_only && !e.close_position && e.position_side != "LONG" &&
        e.position_side != "SHORT")
      fail(r, e.client_id + " is not reduce-only" + at(e));
    if (!fill_of(e)) continue;
    Decimal& a = amount[key_of(e)];
    const Decimal before = a;
    a = e.side == "BUY" ? a + e.executed : a - e.executed;
    const bool exit = ours_exit || (is(e, "TRIGGER algoOrder") && starts(e.client_id, "xbs-"));
    if (!exit) continue;
    const bool flipped = (before.is_positive() && a.is_negative()) ||
                         (before.is_negative() && a.is_positive()) || before.is_zero() ||
                         (before.is_positive() ? a > before : a < before);
    if (flipped)
      fail(r, e.client_id + " took " + e.symbol + " from " + to_string(before) + " to " +
                  to_string(a) + at(e));
    else
      ++r.passed;
  }
  r.note = "every fill of an exit or a hard stop of ours";
  return r;
}

// 3. Every open position holds a live hard stop of ours at every moment: from the grace
// after it opened (the daemon must see it first), and across moves (placed before the old
// one is cancelled, so never a moment without one).
InvariantResult always_protected(const std::vector<Entry>& entries, std::int64_t grace_ms) {
  InvariantResult r{"every open position behind a live hard stop", 0, 0, {}, ""};
  constexpr std::int64_t kMoveGraceMs = 0;
  struct Book {
    Decimal amount{};
    std::set<std::string> stops;  // client ids of live stops
    std::int64_t bare_since = -1;
    bool bare_after_open = false;  // the bare time began with an opening
  };
  std::map<std::string, Book> books;  // symbol -> (one-way soak)
  std::map<std::string, std::string> client_of_algo;
  std::int64_t end = 0;
  const auto covered = [&](Book& b, const std::string& sym, const Entry& e) {
    if (b.bare_since < 0) return;
    const std::int64_t bare = e.time - b.bare_since;
    const std::int64_t allowed = b.bare_after_open ? grace_ms : kMoveGraceMs;
    if (bare > allowed)
      fail(r, sym + " open without a hard stop for " + std::to_string(bare) + " ms" +
                  (b.bare_after_open ? " after it opened" : " after its stop went") + at(e));
    else
      ++r.passed;
    b.bare_since = -1;
  };
  std::map<std::string, std::string> symbol_of_stop;  // a cancel by id names no symbol
  for (const Entry& e : entries) {
    end = std::max(end, e.time);
    if (is(e, "POST /fapi/v1/algoOrder") && starts(e.client_id, "xbs-") && e.outcome == "NEW") {
      Book& b = books[e.symbol];
      client_of_algo[e.algo_id] = e.client_id;
      symbol_of_stop[e.client_id] = e.symbol;
      b.stops.insert(e.client_id);
      if (!b.amount.is_zero()) covered(b, e.symbol, e);
      continue;
    }
    const std::string stop_id = e.client_id.empty() ? client_of_algo[e.algo_id] : e.client_id;
    const bool cancel = is(e, "DELETE /fapi/v1/algoOrder") && e.outcome == "CANCELED";
    const std::string sym = cancel ? symbol_of_stop[stop_id] : e.symbol;
    Book& b = books[sym];
    bool removed = false;
    if (cancel) {
      removed = b.stops.erase(stop_id) > 0;
    } else if (is(e, "DELETE /fapi/v1/algoOpenOrders") && e.outcome == "CANCELED") {
      removed = !b.stops.empty();
      b.stops.clear();
    } else if (is(e, "TRIGGER algoOrder")) {
      removed = b.stops.erase(e.client_id) > 0;
    }
    if (fill_of(e)) {
      const Decimal before = b.amount;
      b.amount = e.side == "BUY" ? b.amount + e.executed : b.amount - e.executed;
      if (b.amount.is_zero()) {
        if (b.bare_since >= 0) covered(b, sym, e);  // closed while bare: how long
        b.bare_since = -1;
      } else if (before.is_zero() && b.stops.empty()) {
        b.bare_since = e.time;
        b.bare_after_open = true;
      }
    }
    if (removed && !b.amount.is_zero() && b.stops.empty() && b.bare_since < 0) {
      b.bare_since = e.time;
      b.bare_after_open = false;
    }
  }
  for (auto& [sym, b] : books) {
    if (b.bare_since < 0 || b.amount.is_zero()) continue;
    Entry last;
    last.time = end;
    last.seq = -1;
    covered(b, sym, last);
  }
  r.note = "each time a position opened or its stop went: a stop within " +
           std::to_string(grace_ms) + " ms of the opening, at once after a stop went";
  return r;
}

struct Mark {
  std::int64_t time = 0;
  std::string symbol;
  double price = 0.0;
};

// GET /sim/marks, or the reason it cannot be read.
std::string read_marks(const std::string& json, std::vector<Mark>& out) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array arr;
  if (parser.parse(json).get(doc) || doc["marks"].get(arr)) return "the marks are not JSON";
  for (simdjson::dom::element item : arr) {
    Mark m;
    std::string_view sym, price;
    Decimal p;
    if (item["t"].get(m.time) || item["s"].get(sym) || item["p"].get(price) ||
        parse_decimal(price, p) != DecimalError::kOk)
      return "a mark without t, s or p";
    m.symbol = std::string(sym);
    m.price = p.to_double();
    out.push_back(std::move(m));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Mark& a, const Mark& b) { return a.time < b.time; });
  return "";
}

struct FaultWindow {
  std::int64_t start = 0, end = 0;
  std::string name;
};

std::vector<FaultWindow> read_faults(const std::string& text) {
  std::vector<FaultWindow> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    FaultWindow w;
    if (f >> w.start >> w.end >> w.name && w.end >= w.start) out.push_back(w);
  }
  return out;
}

// 4. Every breach of the engine's stop is acted on: an exit of ours sent for the symbol,
// its hard stop fired, or the position gone, within act_within_ms of the first mark beyond
// the stop; if a fault covered that mark, within act_within_ms of the first mark after the
// fault ended (the engine may not see a price, or send, while it lasts). The engine's stop
// is inferred from the newest hard stop of ours standing, so only certain breaches count.
InvariantResult breaches_acted_on(const std::vector<Entry>& entries, const SoakInputs& in) {
  InvariantResult r{"every stop breach acted on", 0, 0, {}, ""};
  if (in.marks_json.empty()) {
    r.note = "no marks recorded: not judged";
    return r;
  }
  std::vector<Mark> marks;
  if (const std::string err = read_marks(in.marks_json, marks); !err.empty()) {
    fail(r, err);
    return r;
  }
  const std::vector<FaultWindow> faults = read_faults(in.faults);
  struct Book {
    Decimal amount{};
    std::vector<std::pair<std::string, double>> stops;  // client id, trigger: oldest first
    std::int64_t breach_since = -1, deadline = 0;
    std::string breach_what;
    // The hard stop whose engine stop an exit of ours answered: what that exit left (a
    // trader's addition, S7) is a new position with levels of its own, judged once a stop
    // of its own stands, not against the exited one's.
    std::string answered_stop;
  };
  std::map<std::string, Book> books;
  std::map<std::string, std::string> symbol_of_stop, client_of_algo;
  // The first streamed mark of `symbol` at or after `t` (or t itself when none comes).
  const auto first_mark_after = [&](const std::string& symbol, std::int64_t t) {
    auto it = std::lower_bound(marks.begin(), marks.end(), t,
                               [](const Mark& m, std::int64_t v) { return m.time < v; });
    for (; it != marks.end(); ++it)
      if (it->symbol == symbol) return it->time;
    return t;
  };
  const auto deadline_for = [&](const std::string& symbol, std::int64_t t) {
    std::int64_t until = t;  // the end of the faults covering t, one after another
    for (bool grew = true; grew;) {
      grew = false;
      for (const FaultWindow& w : faults)
        if (w.start <= until && until < w.end) {
          until = w.end;
          grew = true;
        }
    }
    return (until == t ? t : first_mark_after(symbol, until)) + in.act_within_ms;
  };
  std::int64_t breaches = 0;
  const auto acted = [&](Book& b, std::int64_t t) {
    if (b.breach_since < 0) return;
    if (!b.stops.empty()) b.answered_stop = b.stops.back().first;
    if (t > b.deadline)
      fail(r, b.breach_what + ": acted on only after " + std::to_string(t - b.breach_since) +
                  " ms (due by " + std::to_string(b.deadline - b.breach_since) + " ms)");
    else
      ++r.passed;
    b.breach_since = -1;
  };
  const auto remove_stop = [](Book& b, const std::string& id) {
    for (auto it = b.stops.begin(); it != b.stops.end(); ++it)
      if (it->first == id) {
        b.stops.erase(it);
        return;
      }
  };
  const auto apply = [&](const Entry& e) {
    if (is(e, "POST /fapi/v1/algoOrder") && starts(e.client_id, "xbs-") && e.outcome == "NEW") {
      books[e.symbol].stops.emplace_back(e.client_id, e.trigger.to_double());
      symbol_of_stop[e.client_id] = e.symbol;
      client_of_algo[e.algo_id] = e.client_id;
      return;
    }
    const std::string stop_id = e.client_id.empty() ? client_of_algo[e.algo_id] : e.client_id;
    if (is(e, "DELETE /fapi/v1/algoOrder") && e.outcome == "CANCELED") {
      remove_stop(books[symbol_of_stop[stop_id]], stop_id);
      return;
    }
    Book& b = books[e.symbol];
    if (is(e, "DELETE /fapi/v1/algoOpenOrders") && e.outcome == "CANCELED") b.stops.clear();
    const bool our_exit = is(e, "POST /fapi/v1/order") && starts(e.client_id, "xbx-");
    if (is(e, "TRIGGER algoOrder")) {
      remove_stop(b, e.client_id);
      if (starts(e.client_id, "xbs-")) acted(b, e.time);
    }
    if (our_exit) acted(b, e.time);  // sent, whatever the answer: the engine acted
    if (fill_of(e)) {
      b.amount = e.side == "BUY" ? b.amount + e.executed : b.amount - e.executed;
      if (b.amount.is_zero()) acted(b, e.time);
    }
  };
  std::size_t next = 0;
  for (const Mark& m : marks) {
    // What happened before this mark; an answer to it (an exit, the hard stop firing) comes
    // in the same millisecond or after, and up to 1 s later counts as acting on it at once.
    for (; next < entries.size() && entries[next].time < m.time; ++next) apply(entries[next]);
    Book& b = books[m.symbol];
    if (b.amount.is_zero() || b.stops.empty()) continue;
    if (b.stops.back().first == b.answered_stop) continue;
    const double trigger = b.stops.back().second;
    const bool is_long = b.amount.is_positive();
    const double level = is_long ? trigger / (1.0 - in.stop_buffer) * (1.0 - in.stop_min_move)
                                 : trigger / (1.0 + in.stop_buffer) * (1.0 + in.stop_min_move);
    const bool beyond = is_long ? m.price <= level : m.price >= level;
    if (!beyond || b.breach_since >= 0) continue;
    // Acted on already, just before the mark was noted?
    bool answered = false;
    for (std::size_t k = next; k < entries.size() && entries[k].time <= m.time + 1'000; ++k) {
      const Entry& e = entries[k];
      if (e.symbol == m.symbol && ((is(e, "POST /fapi/v1/order") && starts(e.client_id, "xbx-")) ||
                                   (is(e, "TRIGGER algoOrder") && starts(e.client_id, "xbs-"))))
        answered = true;
    }
    ++breaches;
    if (answered) {
      ++r.passed;
      b.answered_stop = b.stops.back().first;
      continue;
    }
    b.breach_since = m.time;
    b.deadline = deadline_for(m.symbol, m.time);
    b.breach_what = m.symbol + (is_long ? " LONG" : " SHORT") + " marked " +
                    std::to_string(m.price) + " beyond its stop (~" + std::to_string(level) +
                    ", hard stop " + std::to_string(trigger) + ") at t " + std::to_string(m.time);
  }
  for (; next < entries.size(); ++next) apply(entries[next]);
  for (auto& [symbol, b] : books)
    if (b.breach_since >= 0) fail(r, b.breach_what + ": never acted on");
  r.note = std::to_string(marks.size()) + " streamed marks, " + std::to_string(breaches) +
           " beyond an engine stop, " + std::to_string(faults.size()) + " fault windows";
  return r;
}

// 5. Every exit of ours the exchange filled is on trade.closed exactly once, and nothing
// else is.
InvariantResult closed_once(const std::vector<Entry>& entries,
                            const std::vector<std::map<std::string, std::string>>& closed) {
  InvariantResult r{"every filled exit exactly once on trade.closed", 0, 0, {}, ""};
  std::map<std::string, int> published;
  for (const auto& row : closed) {
    const auto it = row.find("client_order_id");
    ++published[it == row.end() ? std::string("<none>") : it->second];
  }
  std::set<std::string> filled;
  for (const Entry& e : entries) {
    const bool exit = is(e, "POST /fapi/v1/order") && starts(e.client_id, "xbx-");
    const bool stop = is(e, "TRIGGER algoOrder") && starts(e.client_id, "xbs-");
    if ((exit || stop) && e.executed.is_positive()) filled.insert(e.client_id);
  }
  for (const std::string& id : filled) {
    const int n = published.count(id) ? published[id] : 0;
    if (n == 1)
      ++r.passed;
    else
      fail(r, id + (n == 0 ? " filled, never on trade.closed"
                           : " on trade.closed " + std::to_string(n) + " times"));
  }
  for (const auto& [id, n] : published)
    if (!filled.count(id)) fail(r, id + " on trade.closed, but the exchange filled no such exit");
  r.note = std::to_string(filled.size()) + " filled exits and hard stops, " +
           std::to_string(closed.size()) + " trade.closed entries";
  return r;
}

// 6. Resources flat after warm-up, per process (each restart is a new process).
InvariantResult resources_flat(const std::string& samples, std::int64_t warm_up_ms) {
  InvariantResult r{"RSS, open files and threads flat after warm-up", 0, 0, {}, ""};
  struct Sample {
    std::int64_t t = 0, rss_kb = 0, fds = 0, threads = 0;
  };
  std::map<long, std::vector<Sample>> by_pid;
  std::istringstream in(samples);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    long pid = 0;
    Sample s;
    if (f >> s.t >> pid >> s.rss_kb >> s.fds >> s.threads) by_pid[pid].push_back(s);
  }
  std::ostringstream note;
  for (const auto& [pid, all] : by_pid) {
    std::vector<Sample> kept;
    for (const Sample& s : all)
      if (s.t - all.front().t >= warm_up_ms) kept.push_back(s);
    if (kept.size() < 3) continue;  // too short-lived to say
    const Sample& a = kept.front();
    const Sample& z = kept.back();
    std::int64_t max_fds = 0, max_threads = 0;
    for (const Sample& s : kept) {
      max_fds = std::max(max_fds, s.fds);
      max_threads = std::max(max_threads, s.threads);
    }
    note << " pid " << pid << ": " << (z.t - a.t) / 1000 << " s, RSS " << a.rss_kb << " -> "
         << z.rss_kb << " kB, fds " << a.fds << " -> " << z.fds << " (max " << max_fds
         << "), threads " << a.threads << " -> " << z.threads << ";";
    // Sockets come and go with reconnects (a few); a leak grows without bound.
    const bool fds_grew = z.fds > a.fds + 8;
    const bool threads_grew = z.threads > a.threads + 2;
    const bool rss_grew = z.rss_kb > a.rss_kb + a.rss_kb / 2 && z.rss_kb > a.rss_kb + 16 * 1024;
    if (fds_grew || threads_grew || rss_grew)
      fail(r, "pid " + std::to_string(pid) + " grew:" + (fds_grew ? " open files" : "") +
                  (threads_grew ? " threads" : "") + (rss_grew ? " RSS" : ""));
    else
      ++r.passed;
  }
  r.note = by_pid.empty() ? "no samples" : "per process past warm-up:" + note.str();
  return r;
}

}  // namespace

std::vector<InvariantResult> check_soak(const SoakInputs& in) {
  std::vector<Entry> entries;
  const std::string error = read_entries(in.orders_json, entries);
  if (!error.empty()) {
    InvariantResult r{"record", 0, 1, {error}, "GET /sim/orders"};
    return {r};
  }
  return {sent_once(entries),
          never_flipped(entries),
          always_protected(entries, in.stop_grace_ms),
          breaches_acted_on(entries, in),
          closed_once(entries, in.closed),
          resources_flat(in.samples, in.warm_up_ms)};
}

std::string format_results(const std::vector<InvariantResult>& results) {
  std::string out;
  for (const InvariantResult& r : results) {
    // Nothing to judge is said so, not passed (a soak too short for the resources' warm-up).
    out += (r.failed   ? "FAIL  "
            : r.passed ? "ok    "
                       : "n/a   ") +
           r.name + ": " + std::to_string(r.passed) + " passed, " + std::to_string(r.failed) +
           " failed";
    if (!r.note.empty()) out += "  [" + r.note + "]";
    out += "\n";
    for (const std::string& f : r.failures) out += "        " + f + "\n";
  }
  return out;
}

}  // namespace exitbrain::soak
