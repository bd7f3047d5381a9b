#include "bench/e2e/tick_workload.hpp"

#include <stdexcept>

#include "net/binance_message_parser.hpp"

namespace exitbrain::bench {

TickWorkload::TickWorkload(const FrameSet& frames, int positions) : frames_(frames) {
  const SymbolId sym = *symbols_.intern("BTCUSDT");
  Decimal tick, step;
  (void)parse_decimal("0.1", tick);
  (void)parse_decimal("0.001", step);
  symbols_.filters(sym).tick_size = tick;
  symbols_.filters(sym).step_size = step;
  Profile p = builtin_profiles()[0];
  p.time_stop_sec = 0;
  config_.profiles = {p};
  config_.default_profile = p.name;
  const AtrPlan plan = plan_atr_specs(config_, {0});
  devnull_ = std::fopen("/dev/null", "w");
  if (!devnull_) throw std::runtime_error("cannot open /dev/null for the event log");
  event_log_ = std::make_unique<EventLog>(symbols_, devnull_);
  state_ = std::make_unique<PriceStateEngine>(symbols_.size(), plan.specs, RegimeParams{});
  ingest_ = std::make_unique<MarketIngest>(symbols_, SinkRef<MarketEvent>(to_state_), *event_log_);
  decide_ = std::make_unique<DecideStage>(config_, plan, symbols_, *event_log_,
                                          SinkRef<OrderWork>(to_orders_),
                                          static_cast<std::size_t>(positions));

  // The first mark price: the positions' entry.
  Price first{};
  TimeMs at = 0;
  BinanceMessageParser probe(symbols_);
  for (const std::string& f : frames_.frames) {
    (void)probe.parse(f.data(), f.size(), f.capacity(), [&](const MarketEvent& ev) {
      if (ev.kind == MarketEventKind::kMarkPrice && !first.is_positive()) {
        first = ev.price;
        at = ev.event_time;
      }
    });
    if (first.is_positive()) break;
  }
  if (!first.is_positive()) throw std::runtime_error("frames: no BTCUSDT markPrice message");
  for (int i = 0; i < positions; ++i) {
    NewPosition np;
    np.symbol = sym;
    np.side = i % 2 ? Side::kShort : Side::kLong;
    np.qty = Decimal::from_int(1);
    np.entry = first;
    np.opened_at = at;
    const Price lo = Decimal::from_double(first.to_double() * 0.95)->floor_to(tick);
    const Price hi = Decimal::from_double(first.to_double() * 1.05)->floor_to(tick);
    np.sl = np.side == Side::kLong ? lo : hi;
    np.tp[0] = np.side == Side::kLong ? hi : lo;
    np.tp_count = 1;
    if (!decide_->open(np)) throw std::runtime_error("positions: could not be opened");
  }
}

TickWorkload::~TickWorkload() {
  decide_.reset();
  ingest_.reset();
  event_log_.reset();
  if (devnull_) std::fclose(devnull_);
}

void TickWorkload::on_event(const MarketEvent& ev) noexcept {
  if (depth_ == TickDepth::kParse) {
    ticks_ += ev.kind == MarketEventKind::kMarkPrice;
    return;
  }
  if (!state_->on_event(ev, st_)) return;
  ++ticks_;
  if (depth_ == TickDepth::kDecision) decide_->on_price(st_);
}

std::uint64_t TickWorkload::run(std::size_t from, std::size_t to, TickDepth depth) {
  depth_ = depth;
  ticks_ = 0;
  for (std::size_t i = from; i < to; ++i) {
    const std::string& f = frames_.frames[i];
    ingest_->on_frame(f.data(), f.size(), f.capacity(), 0);  // 0: no latency stamps
  }
  return ticks_;
}

}  // namespace exitbrain::bench
