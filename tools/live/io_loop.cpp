#include "tools/live/io_loop.hpp"

#include <chrono>
#include <thread>

#include "core/clock.hpp"

namespace exitbrain {

void run_io(boost::asio::io_context& io, WaitStrategy wait, const std::atomic<bool>& stop,
            std::atomic<std::int64_t>* heartbeat) {
  while (!stop.load(std::memory_order_relaxed)) {
    if (heartbeat) heartbeat->store(mono_now_ns(), std::memory_order_relaxed);
    switch (wait) {
      case WaitStrategy::kSpin:
        io.poll();
        break;
      case WaitStrategy::kSpinYield:
        io.poll();
        std::this_thread::yield();
        break;
      case WaitStrategy::kBlock:
        io.run_for(std::chrono::milliseconds(100));
        break;
    }
    if (io.stopped()) io.restart();
  }
}

}  // namespace exitbrain
