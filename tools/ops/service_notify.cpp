#include "tools/ops/service_notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <string>

namespace exitbrain::service {

namespace {
void notify(const std::string& state) noexcept {
  // 0: keep NOTIFY_SOCKET (READY and WATCHDOG are sent more than once).
  (void)sd_notify(0, state.c_str());
}
}  // namespace

bool under_systemd() noexcept {
  const char* s = std::getenv("NOTIFY_SOCKET");
  return s && *s;
}

void ready(std::string_view text) noexcept {
  notify("READY=1\nSTATUS=" + std::string(text));
}

void stopping() noexcept {
  notify("STOPPING=1\nSTATUS=stopping: exits in flight finish, hard stops stay");
}

void status(std::string_view text) noexcept {
  notify("STATUS=" + std::string(text));
}

void watchdog() noexcept {
  notify("WATCHDOG=1");
}

std::uint64_t watchdog_usec() noexcept {
  std::uint64_t usec = 0;
  return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

}  // namespace exitbrain::service
