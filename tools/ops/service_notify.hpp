#pragma once
// systemd's notify protocol (sd_notify(3), libsystemd from Debian): READY once the daemon
// has reconciled and streams, WATCHDOG=1 while the pipeline is alive, STOPPING on a stop,
// and a STATUS line for `systemctl status`. Without systemd (no NOTIFY_SOCKET) every call
// does nothing, as sd_notify itself does.
#include <cstdint>
#include <string_view>

namespace exitbrain::service {

// NOTIFY_SOCKET is set: started by systemd with Type=notify.
bool under_systemd() noexcept;
void ready(std::string_view status) noexcept;
void stopping() noexcept;
void status(std::string_view status) noexcept;
void watchdog() noexcept;
// The watchdog interval systemd asked of this process (WatchdogSec), µs; 0: none.
std::uint64_t watchdog_usec() noexcept;

}  // namespace exitbrain::service
