#pragma once
// How an idle pipeline thread waits for work (DESIGN.md §2):
//  - spin:       poll without pause; lowest latency, one busy core per thread;
//  - spin-yield: poll, yielding the CPU between polls; for shared cores;
//  - block:      sleep on a doorbell the producers ring; near-zero CPU at rest (CI, small
//                machines). A ring costs one atomic add, plus a futex wake only when the
//                consumer is actually asleep.
#include <readerwriterqueue/atomicops.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace exitbrain {

enum class WaitStrategy : std::uint8_t { kSpin, kSpinYield, kBlock };

std::optional<WaitStrategy> parse_wait_strategy(std::string_view s) noexcept;
const char* to_string(WaitStrategy w) noexcept;

// A CPU pause for spin loops (keeps a hyper-thread sibling and the memory bus calm).
void backoff_pause() noexcept;

// One per consuming thread; every queue feeding that thread rings it.
class Doorbell {
 public:
  void ring() noexcept { sema_.signal(); }
  // Sleeps until rung or `timeout_us` passes. Returns true when rung.
  bool wait(std::int64_t timeout_us) noexcept { return sema_.wait(timeout_us); }

 private:
  moodycamel::spsc_sema::LightweightSemaphore sema_;
};

// Called by a consumer that found all its queues empty: waits according to the strategy.
// `bell` is used only by kBlock; the timeout bounds how late a stop request is noticed.
void idle_wait(WaitStrategy w, Doorbell& bell) noexcept;

}  // namespace exitbrain
