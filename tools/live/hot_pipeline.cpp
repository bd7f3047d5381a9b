#include "tools/live/hot_pipeline.hpp"

#include "core/thread_affinity.hpp"
#include "tools/common/json_line.hpp"

namespace exitbrain {

namespace {

constexpr std::size_t kHotRing = 16 * 1024;
constexpr std::size_t kSideRing = 2 * 1024;
constexpr MonoNs kTimerNs = 100'000'000;  // the order sink's deferred work, every 100 ms

}  // namespace

HotPipeline::HotPipeline(const Config& config, SymbolTable& symbols, EventLog& event_log,
                         ThreadSettings threads, std::int64_t shutdown_grace_ms,
                         std::size_t max_positions)
    : threads_(threads),
      shutdown_grace_ms_(shutdown_grace_ms),
      event_log_(event_log),
      q_md_(kHotRing, &state_bell_),
      q_state_(kHotRing, &decide_bell_),
      q_orders_(kHotRing, &orders_bell_),
      q_account_(kSideRing, threads.fused ? &state_bell_ : &decide_bell_),
      q_user_orders_(kSideRing, &orders_bell_),
      q_entries_(kSideRing, threads.fused ? &state_bell_ : &decide_bell_),
      q_adjust_(64, threads.fused ? &state_bell_ : &decide_bell_),
      q_control_(64, threads.fused ? &state_bell_ : &decide_bell_),
      plan_(plan_atr_specs(config, {config.find_profile(config.default_profile)})),
      state_(
          std::make_unique<PriceStateEngine>(SymbolTable::kMaxSymbols, plan_.specs, config.regime)),
      ingest_(symbols, SinkRef<MarketEvent>(md_out_), event_log),
      decide_(config, plan_, symbols, event_log, SinkRef<OrderWork>(decide_out_), max_positions) {}

HotPipeline::~HotPipeline() {
  join();
}

std::string HotPipeline::start_thread(Stage stage, const ThreadSettings& threads,
                                      EventLog& event_log) {
  const int i = static_cast<int>(stage);
  name_current_thread((std::string("eb-") + to_string(stage)).c_str());
  if (threads.cpu[i] < 0) return {};
  std::string err = pin_current_thread(threads.cpu[i]);
  event_log.text(R"("event":"thread","stage":")" + std::string(to_string(stage)) + R"(","cpu":)" +
                 std::to_string(threads.cpu[i]) +
                 (err.empty() ? "" : R"(,"error":)" + JsonLine::quote(err)));
  return err;
}

void HotPipeline::enter(Stage s) {
  pin_errors_[static_cast<int>(s)] = start_thread(s, threads_, event_log_);
}

void HotPipeline::start(MarketSource& source, OrderSink& sink, const std::atomic<bool>& stop) {
  orders_thread_ = std::thread([this, &sink] { orders_loop(sink); });
  if (!threads_.fused) decide_thread_ = std::thread([this] { decide_loop(); });
  state_thread_ = std::thread([this] { state_loop(); });
  md_thread_ = std::thread([this, &source, &stop] {
    enter(Stage::kMd);
    source.run(ingest_, wait(Stage::kMd), stop);
    md_done_ = true;
    state_bell_.ring();
  });
}

void HotPipeline::join() {
  for (std::thread* t : {&md_thread_, &state_thread_, &decide_thread_, &orders_thread_})
    if (t->joinable()) t->join();
}

bool HotPipeline::drained() const noexcept {
  return q_md_.size_approx() == 0 && q_state_.size_approx() == 0 && q_orders_.size_approx() == 0;
}

std::uint64_t HotPipeline::ring_full() const noexcept {
  return q_md_.full_count() + q_state_.full_count() + q_orders_.full_count();
}

void HotPipeline::drain_side_rings() {
  AccountChange c;
  while (q_account_.try_pop(c)) decide_.on_account(c, wall_clock_ms());
  cross_exchange::Adjustments a;
  while (q_adjust_.try_pop(a)) decide_.on_adjustments(a);
  EntryOrder e;
  while (q_entries_.try_pop(e)) decide_.on_entry(e, wall_clock_ms());
  ControlCommand k;
  while (q_control_.try_pop(k)) decide_.on_control(k, wall_clock_ms());
  decide_.on_idle();
  decide_.publish_open();
}

void HotPipeline::state_loop() {
  enter(Stage::kState);
  MarketEvent ev;
  PriceState st;
  const bool fused = threads_.fused;
  for (;;) {
    beat(Stage::kState);
    if (fused) beat(Stage::kDecide);
    bool any = false;
    while (q_md_.try_pop(ev)) {
      any = true;
      if (!state_->on_event(ev, st)) continue;
      st.stamps.state = mono_now_ns();
      if (st.stamps.frame_in) to_state_.record(st.stamps.state - st.stamps.parsed);
      if (fused)
        decide_.on_price(st);
      else
        q_state_.push(st);
    }
    if (fused) drain_side_rings();
    if (!any) {
      if (md_done_.load() && q_md_.size_approx() == 0) break;
      idle_wait(wait(Stage::kState), state_bell_);
    }
  }
  state_done_ = true;
  if (fused) decide_done_ = true;
  decide_bell_.ring();
  orders_bell_.ring();
}

void HotPipeline::decide_loop() {
  enter(Stage::kDecide);
  PriceState st;
  for (;;) {
    beat(Stage::kDecide);
    bool any = false;
    while (q_state_.try_pop(st)) {
      any = true;
      decide_.on_price(st);
    }
    drain_side_rings();
    if (!any) {
      if (state_done_.load() && q_state_.size_approx() == 0) break;
      idle_wait(wait(Stage::kDecide), decide_bell_);
    }
  }
  decide_done_ = true;
  orders_bell_.ring();
}

void HotPipeline::orders_loop(OrderSink& sink) {
  enter(Stage::kOrders);
  OrderWork w;
  UserEvent e;
  MonoNs next_timer = 0;
  MonoNs drain_deadline = 0;
  for (;;) {
    beat(Stage::kOrders);
    bool any = false;
    while (q_orders_.try_pop(w)) {
      any = true;
      sink.on_work(w);
    }
    while (q_user_orders_.try_pop(e)) {
      any = true;
      sink.on_user_event(e);
    }
    const MonoNs now = mono_now_ns();
    if (now >= next_timer) {
      sink.on_timer();
      next_timer = now + kTimerNs;
    }
    if (decide_done_.load() && q_orders_.size_approx() == 0) {
      if (drain_deadline == 0) drain_deadline = now + shutdown_grace_ms_ * 1'000'000;
      if (sink.idle() || now >= drain_deadline) break;
    }
    if (!any) idle_wait(wait(Stage::kOrders), orders_bell_);
  }
}

}  // namespace exitbrain
