#include "tools/live/order_trail.hpp"

#include <cmath>

namespace exitbrain {

namespace {
constexpr std::uint32_t kTrailMagic = 0x4542544F;  // "OTBE"
constexpr std::uint32_t kPnlMagic = 0x4C4E5050;    // "PPNL": the day's realised PnL
constexpr std::uint32_t kStopMagic = 0x504F5453;   // "STOP": the stop standing per position
constexpr std::uint32_t kMaxTrails = 1u << 20;     // the position bits of a client id
const PositionTrail kEmpty{};
}  // namespace

PositionTrail& OrderTrail::at(std::uint32_t position) {
  if (position >= trails_.size()) trails_.resize(position + 1);
  return trails_[position];
}

const PositionTrail& OrderTrail::of(std::uint32_t position) const noexcept {
  return position < trails_.size() ? trails_[position] : kEmpty;
}

void OrderTrail::on_decision(const Decision& d) {
  if (d.kind != DecisionKind::kExit || d.position >= kMaxTrails) return;
  at(d.position).decided += d.qty;
}

void OrderTrail::add_realised(TimeMs t, double pnl) noexcept {
  const std::int64_t day = t / 86'400'000;
  if (day != realised_day_) {
    if (day < realised_day_) return;  // a late record of a day already over
    realised_day_ = day;
    realised_pnl_ = 0;
  }
  realised_pnl_ += pnl;
}

bool OrderTrail::on_order(const OrderRecord& r) {
  if (r.position >= kMaxTrails) return false;
  const std::uint64_t key = r.run_key != 0 ? r.run_key : run_key_;
  if (r.kind == OrderRecordKind::kHardStopPlaced || r.kind == OrderRecordKind::kHardStopCancelled ||
      r.kind == OrderRecordKind::kHardStopTriggered) {
    PositionTrail& t = at(r.position);
    const bool current = r.seq == t.stop_seq && key == t.stop_run_key;
    if (r.kind == OrderRecordKind::kHardStopPlaced && r.ok) {
      t.stop_run_key = key;  // make before break: the newest stands, the older goes next
      t.stop_seq = r.seq;
      t.stop_fill_seen = false;
    } else if (r.kind == OrderRecordKind::kHardStopCancelled && current) {
      t.stop_seq = 0;
    } else if (r.kind == OrderRecordKind::kHardStopTriggered && current) {
      t.stop_fill_seen = true;
    }
    return false;
  }
  if (r.kind != OrderRecordKind::kExitSent && r.kind != OrderRecordKind::kExitDone) return false;
  PositionTrail& t = at(r.position);
  auto find = [&]() -> int {
    for (int i = 0; i < t.in_flight_count; ++i)
      if (t.in_flight[i].seq == r.seq && t.in_flight[i].run_key == key) return i;
    return -1;
  };
  const int i = find();
  if (r.kind == OrderRecordKind::kExitSent) {
    // A resend under the same id is the same order; a full list keeps the newest.
    if (i >= 0) return false;
    if (t.in_flight_count == t.in_flight.size()) {
      for (std::size_t k = 1; k < t.in_flight.size(); ++k) t.in_flight[k - 1] = t.in_flight[k];
      --t.in_flight_count;
    }
    t.in_flight[t.in_flight_count++] = InFlightExit{key, r.seq, r.qty};
    return false;
  }
  // Final: once per order (the REST answer and the user stream may both report it).
  if (i < 0) return false;
  // An error answer carries the requested quantity, not an executed one.
  if (r.http_status == 200 || r.http_status == 0) t.executed += r.qty;
  for (int k = i + 1; k < t.in_flight_count; ++k) t.in_flight[k - 1] = t.in_flight[k];
  --t.in_flight_count;
  return true;
}

void OrderTrail::save(ByteWriter& w) const {
  w.put(kTrailMagic).put(run_key_).put(static_cast<std::uint32_t>(trails_.size()));
  for (const PositionTrail& t : trails_) {
    w.put(t.decided.units()).put(t.executed.units()).put(t.in_flight_count);
    for (std::uint8_t i = 0; i < t.in_flight_count; ++i)
      w.put(t.in_flight[i].run_key).put(t.in_flight[i].seq).put(t.in_flight[i].qty.units());
  }
  w.put(kPnlMagic).put(realised_day_).put(realised_pnl_);
  w.put(kStopMagic);
  for (const PositionTrail& t : trails_)
    w.put(t.stop_run_key).put(t.stop_seq).put(static_cast<std::uint8_t>(t.stop_fill_seen));
}

std::optional<std::string> OrderTrail::load(ByteReader& r) {
  std::uint32_t magic = 0, n = 0;
  std::uint64_t key = 0;
  if (!r.get(magic) || magic != kTrailMagic || !r.get(key) || !r.get(n) || n > kMaxTrails)
    return std::string("order trail: bad header");
  std::vector<PositionTrail> trails(n);
  for (std::uint32_t p = 0; p < n; ++p) {
    PositionTrail& t = trails[p];
    std::int64_t decided = 0, executed = 0;
    if (!r.get(decided) || !r.get(executed) || !r.get(t.in_flight_count) ||
        t.in_flight_count > t.in_flight.size())
      return "order trail: position " + std::to_string(p);
    t.decided = Qty::from_units(decided);
    t.executed = Qty::from_units(executed);
    for (std::uint8_t i = 0; i < t.in_flight_count; ++i) {
      std::int64_t q = 0;
      if (!r.get(t.in_flight[i].run_key) || !r.get(t.in_flight[i].seq) || !r.get(q))
        return "order trail: position " + std::to_string(p) + " in flight";
      t.in_flight[i].qty = Qty::from_units(q);
    }
  }
  // The day's realised PnL; absent in a snapshot written before it was kept.
  std::int64_t day = -1;
  double pnl = 0;
  ByteReader probe = r;
  std::uint32_t pm = 0;
  if (probe.get(pm) && pm == kPnlMagic) {
    if (!probe.get(day) || !probe.get(pnl) || !std::isfinite(pnl))
      return std::string("order trail: realised PnL");
    r = probe;
  }
  // The stops standing; absent in a snapshot written before they were kept.
  probe = r;
  std::uint32_t sm = 0;
  if (probe.get(sm) && sm == kStopMagic) {
    for (std::uint32_t p = 0; p < n; ++p) {
      PositionTrail& t = trails[p];
      std::uint8_t seen = 0;
      if (!probe.get(t.stop_run_key) || !probe.get(t.stop_seq) || !probe.get(seen) || seen > 1)
        return "order trail: the stop of position " + std::to_string(p);
      t.stop_fill_seen = seen != 0;
    }
    r = probe;
  }
  run_key_ = key;
  trails_ = std::move(trails);
  realised_day_ = day;
  realised_pnl_ = pnl;
  return std::nullopt;
}

}  // namespace exitbrain
