// One user-data stream message through UserDataParser. Invariants: a malformed message
// names its field; kOk delivered at least one event, every event of a known symbol (or a
// listenKeyExpired), fills never negative and never more than the cumulative fill, a
// reason text NUL-terminated; the same bytes parsed again give the same answer.
#include <cstring>
#include <vector>

#include "core/symbol_table.hpp"
#include "fuzz/fuzz_support.hpp"
#include "net/binance_message_parser.hpp"
#include "net/user_data_parser.hpp"

namespace exitbrain {
namespace {

struct Answer {
  ParseStatus status = ParseStatus::kOk;
  std::vector<UserEvent> events;
};

struct Harness {
  SymbolTable symbols;
  UserDataParser parser{symbols};
  fuzz::PaddedBuffer buffer;
  Harness() {
    (void)symbols.intern("BTCUSDT");
    (void)symbols.intern("ETHUSDT");
  }
  Answer run(std::string_view msg) {
    char* data = buffer.fill(msg, kJsonPadding);
    Answer a;
    a.status = parser.parse(data, msg.size(), buffer.capacity(),
                            [&](const UserEvent& e) { a.events.push_back(e); });
    return a;
  }
};

bool same(const UserEvent& x, const UserEvent& y) {
  return x.kind == y.kind && x.event_time == y.event_time && x.symbol == y.symbol &&
         x.order.client_id.view() == y.order.client_id.view() && x.order.status == y.order.status &&
         x.order.last_filled == y.order.last_filled &&
         x.order.cumulative_filled == y.order.cumulative_filled &&
         x.position.amount == y.position.amount && x.position.entry == y.position.entry &&
         x.algo.client_algo_id.view() == y.algo.client_algo_id.view() &&
         x.algo.status == y.algo.status && x.algo.trigger == y.algo.trigger;
}

}  // namespace
}  // namespace exitbrain

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace exitbrain;
  static Harness h;
  const std::string_view msg = fuzz::as_text(data, size);
  const Answer a = h.run(msg);
  if (a.status == ParseStatus::kMalformed) FUZZ_INVARIANT(h.parser.last_error().field[0] != '\0');
  if (a.status == ParseStatus::kOk) FUZZ_INVARIANT(!a.events.empty());
  for (const UserEvent& e : a.events) {
    if (e.kind != UserEventKind::kListenKeyExpired)
      FUZZ_INVARIANT(e.symbol != kNoSymbol && e.symbol < h.symbols.size());
    if (e.kind == UserEventKind::kOrder) {
      FUZZ_INVARIANT(!e.order.last_filled.is_negative() &&
                     !e.order.cumulative_filled.is_negative());
      FUZZ_INVARIANT(!(e.order.cumulative_filled < e.order.last_filled));
    }
    if (e.kind == UserEventKind::kAlgo)
      FUZZ_INVARIANT(std::memchr(e.algo.reason.data(), '\0', e.algo.reason.size()) != nullptr);
  }
  const Answer b = h.run(msg);
  FUZZ_INVARIANT(a.status == b.status && a.events.size() == b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i) FUZZ_INVARIANT(same(a.events[i], b.events[i]));
  return 0;
}
