// The SPSC hop between two pinned threads: the pipeline's ring (core/spsc_queue.hpp, over
// moodycamel ReaderWriterQueue) against boost::lockfree::spsc_queue and a
// mutex + condition-variable queue, behind one interface.
//   BM_HopRoundTrip: one item there and back (ping-pong); the one-way latency is half of it
//                    (counter one_way_ns).
//   BM_HopThroughput: the producer streams items as fast as the consumer takes them.
// Threads are pinned to the two CPUs of --cpus=A,B (default 0,1; see bench/micro_main.cpp).
#include <benchmark/benchmark.h>

#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "bench/micro_cpus.hpp"
#include "core/spsc_queue.hpp"
#include "core/thread_affinity.hpp"

namespace exitbrain {
namespace {

constexpr std::size_t kCapacity = 16 * 1024;

// The pipeline's ring.
struct OurRing {
  SpscQueue<std::uint64_t> q{kCapacity};
  bool try_push(std::uint64_t v) noexcept { return q.try_push(v); }
  bool try_pop(std::uint64_t& v) noexcept { return q.try_pop(v); }
};

struct BoostRing {
  boost::lockfree::spsc_queue<std::uint64_t, boost::lockfree::capacity<kCapacity>> q;
  bool try_push(std::uint64_t v) noexcept { return q.push(v); }
  bool try_pop(std::uint64_t& v) noexcept { return q.pop(v); }
};

// What a first version usually does: a deque behind a mutex, a condition variable to wake
// the consumer. pop() waits on the condition variable, as such a queue is used.
struct MutexQueue {
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::uint64_t> q;
  bool try_push(std::uint64_t v) {
    {
      std::lock_guard<std::mutex> lock(m);
      if (q.size() >= kCapacity) return false;
      q.push_back(v);
    }
    cv.notify_one();
    return true;
  }
  bool try_pop(std::uint64_t& v) {
    std::unique_lock<std::mutex> lock(m);
    if (!cv.wait_for(lock, std::chrono::milliseconds(1), [&] { return !q.empty(); })) return false;
    v = q.front();
    q.pop_front();
    return true;
  }
};

template <class Q>
void push(Q& q, std::uint64_t v) {
  while (!q.try_push(v)) {
  }
}
template <class Q>
std::uint64_t pop(Q& q) {
  std::uint64_t v = 0;
  while (!q.try_pop(v)) {
  }
  return v;
}

constexpr std::uint64_t kStop = ~std::uint64_t{0};

template <class Q>
void BM_HopRoundTrip(benchmark::State& state) {
  Q there, back;
  std::thread echo([&] {
    (void)pin_current_thread(bench_cpus().second);
    for (;;) {
      const std::uint64_t v = pop(there);
      push(back, v);
      if (v == kStop) return;
    }
  });
  (void)pin_current_thread(bench_cpus().first);
  std::uint64_t i = 0;
  for (auto _ : state) {
    push(there, i);
    benchmark::DoNotOptimize(pop(back));
    ++i;
  }
  push(there, kStop);
  (void)pop(back);
  echo.join();
  state.counters["one_way_ns"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 2,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

template <class Q>
void BM_HopThroughput(benchmark::State& state) {
  Q q;
  std::atomic<std::uint64_t> received{0};
  std::thread consumer([&] {
    (void)pin_current_thread(bench_cpus().second);
    std::uint64_t n = 0;
    while (pop(q) != kStop) ++n;
    received = n;
  });
  (void)pin_current_thread(bench_cpus().first);
  std::uint64_t i = 0;
  for (auto _ : state) push(q, i++);
  push(q, kStop);
  consumer.join();
  if (received.load() != i) state.SkipWithError("items were lost");
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
}

BENCHMARK_TEMPLATE(BM_HopRoundTrip, OurRing)->UseRealTime();
BENCHMARK_TEMPLATE(BM_HopRoundTrip, BoostRing)->UseRealTime();
BENCHMARK_TEMPLATE(BM_HopRoundTrip, MutexQueue)->UseRealTime();
BENCHMARK_TEMPLATE(BM_HopThroughput, OurRing)->UseRealTime();
BENCHMARK_TEMPLATE(BM_HopThroughput, BoostRing)->UseRealTime();
BENCHMARK_TEMPLATE(BM_HopThroughput, MutexQueue)->UseRealTime();

}  // namespace
}  // namespace exitbrain
