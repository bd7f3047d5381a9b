#pragma once
// The hot-path hop between two pinned threads: a fixed-capacity single-producer /
// single-consumer ring (moodycamel ReaderWriterQueue), allocated once at construction.
// try_push never allocates: a full ring is reported, and the producer decides (the
// ingester waits for room, so nothing is dropped silently).
#include <readerwriterqueue/readerwriterqueue.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "core/wait_strategy.hpp"

namespace exitbrain {

template <class T>
class SpscQueue {
  static_assert(std::is_trivially_copyable_v<T>, "hot-path events are plain values");

 public:
  // `consumer_bell` (may be null) is rung after each push when the consumer blocks.
  explicit SpscQueue(std::size_t capacity, Doorbell* consumer_bell = nullptr)
      : ring_(capacity), bell_(consumer_bell) {}

  [[nodiscard]] bool try_push(const T& v) noexcept {
    if (!ring_.try_enqueue(v)) {
      ++full_;
      return false;
    }
    if (bell_) bell_->ring();
    return true;
  }
  // Waits (spinning, then yielding) until there is room: back-pressure instead of loss.
  void push(const T& v) noexcept {
    while (!try_push(v)) backoff_pause();
  }
  [[nodiscard]] bool try_pop(T& out) noexcept { return ring_.try_dequeue(out); }
  std::size_t size_approx() const noexcept { return ring_.size_approx(); }
  // Pushes that found the ring full (each one waited or was refused).
  std::uint64_t full_count() const noexcept { return full_; }

 private:
  moodycamel::ReaderWriterQueue<T> ring_;
  Doorbell* bell_;
  std::uint64_t full_ = 0;  // written by the producer only
};

// A stage's output into a ring (waiting for room, never dropping): what a stage's
// SinkRef points at when a thread boundary follows it.
template <class T>
struct PushInto {
  SpscQueue<T>* ring;
  void operator()(const T& v) const noexcept { ring->push(v); }
};

}  // namespace exitbrain
