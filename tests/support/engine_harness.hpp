#pragma once
// Drives an ExitEngine by hand: one symbol, a chosen profile, prices and ATRs as given.
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/events.hpp"
#include "core/symbol_table.hpp"
#include "strategies/exit_engine.hpp"
#include "tests/support/decimal_text.hpp"

namespace exitbrain::testing {

class EngineHarness {
 public:
  explicit EngineHarness(Profile profile, const char* tick = "0.01", const char* step = "1") {
    profile_ = profile;
    sym_ = *symbols_.intern("TESTUSDT");
    other_ = *symbols_.intern("OTHERUSDT");
    for (SymbolId s : {sym_, other_}) {
      symbols_.filters(s).tick_size = dec(tick);
      symbols_.filters(s).step_size = dec(step);
    }
    engine_ = std::make_unique<ExitEngine>(std::vector<Profile>{profile},
                                           std::vector<std::uint8_t>{0}, symbols_, 1000);
  }

  std::optional<AddError> add(Side side, const char* qty, const char* entry, TimeMs opened_at = 0,
                              const char* sl = nullptr, std::vector<const char*> tp = {},
                              bool on_other_symbol = false) {
    NewPosition np;
    np.symbol = on_other_symbol ? other_ : sym_;
    np.side = side;
    np.qty = dec(qty);
    np.entry = dec(entry);
    np.opened_at = opened_at;
    if (sl) np.sl = dec(sl);
    for (const char* t : tp) np.tp[np.tp_count++] = dec(t);
    return engine_->add_position(np, [this](const Decision& d) { decisions.push_back(d); });
  }

  // One price update of the trigger source (mark unless `source` says otherwise).
  void price(const char* p, TimeMs t, std::optional<double> atr = 1.0,
             TriggerSource source = TriggerSource::kMark, bool on_other_symbol = false) {
    PriceState st;
    st.symbol = on_other_symbol ? other_ : sym_;
    st.event_time = t;
    st.updated = trigger_bit(source);
    st.mark = st.last = st.mid = dec(p);
    if (atr) {
      st.atr[0] = *atr;
      st.atr_ready = 1;
    }
    engine_->on_price(st, [this](const Decision& d) { decisions.push_back(d); });
  }

  std::vector<Decision> take() {
    std::vector<Decision> out;
    out.swap(decisions);
    return out;
  }
  const PositionState& pos(std::uint32_t i = 0) const { return engine_->position(i); }
  ExitEngine& engine() { return *engine_; }

  std::vector<Decision> decisions;

 private:
  Profile profile_;
  SymbolTable symbols_;
  SymbolId sym_{}, other_{};
  std::unique_ptr<ExitEngine> engine_;
};

// A profile with only the feature under test switched on.
inline Profile bare_profile() {
  Profile p;
  p.name = "TEST";
  p.harvest_max = 0;
  p.trailing = false;
  p.time_stop_sec = 0;
  return p;
}

}  // namespace exitbrain::testing
