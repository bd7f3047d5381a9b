// The last hot-path step before the socket: an exit order's query string written in place
// (QueryWriter's fixed buffer) and signed with HMAC-SHA256 from the key's precomputed
// states, and the signature alone.
#include <benchmark/benchmark.h>

#include "net/hmac_signer.hpp"
#include "net/order_format.hpp"

namespace exitbrain {
namespace {

// A secret of Binance's length; never a real one.
constexpr std::string_view kSecret =
    "bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef0123";

void BM_SignExitQuery(benchmark::State& state) {
  const HmacSha256Signer signer(kSecret);
  const std::string_view query =
      "symbol=NEARUSDT&side=SELL&type=MARKET&quantity=200&reduceOnly=true&newClientOrderId="
      "xbx-ijaamny5mq-1&newOrderRespType=RESULT&recvWindow=5000&timestamp=1771000000000";
  char hex[HmacSha256Signer::kHexLength];
  for (auto _ : state) {
    signer.sign(query, hex);
    benchmark::DoNotOptimize(hex);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignExitQuery);

void BM_WriteAndSignExitOrder(benchmark::State& state) {
  const HmacSha256Signer signer(kSecret);
  QueryWriter q;
  const ClientId id = ClientId::for_exit(0x1234567890ull, 1);
  const Qty qty = Decimal::from_int(200);
  std::int64_t t = 1'771'000'000'000;
  for (auto _ : state) {
    q.clear();
    write_exit_order(q, "NEARUSDT", Side::kLong, qty, id, PositionMode::kOneWay,
                     RequestTiming{t++, 5000});
    q.sign(signer);
    benchmark::DoNotOptimize(q.view().data());
  }
  if (!q.ok()) state.SkipWithError("query overflow");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WriteAndSignExitOrder);

}  // namespace
}  // namespace exitbrain
