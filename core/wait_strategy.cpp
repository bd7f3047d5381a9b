#include "core/wait_strategy.hpp"

#include <sched.h>

namespace exitbrain {

std::optional<WaitStrategy> parse_wait_strategy(std::string_view s) noexcept {
  if (s == "spin") return WaitStrategy::kSpin;
  if (s == "spin-yield") return WaitStrategy::kSpinYield;
  if (s == "block") return WaitStrategy::kBlock;
  return std::nullopt;
}

const char* to_string(WaitStrategy w) noexcept {
  switch (w) {
    case WaitStrategy::kSpin:
      return "spin";
    case WaitStrategy::kSpinYield:
      return "spin-yield";
    case WaitStrategy::kBlock:
      return "block";
  }
  return "?";
}

void backoff_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  sched_yield();
#endif
}

void idle_wait(WaitStrategy w, Doorbell& bell) noexcept {
  switch (w) {
    case WaitStrategy::kSpin:
      backoff_pause();
      return;
    case WaitStrategy::kSpinYield:
      sched_yield();
      return;
    case WaitStrategy::kBlock:
      bell.wait(100'000);
      return;
  }
}

}  // namespace exitbrain
