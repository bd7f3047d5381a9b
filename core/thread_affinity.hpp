#pragma once
// Pinning a pipeline thread to one CPU (pthread_setaffinity_np), done once at thread
// start, so the hot path never migrates between cores.
#include <string>

namespace exitbrain {

// Pins the calling thread to `cpu` (>= 0). Returns an error text, or empty on success.
std::string pin_current_thread(int cpu);

// Names the calling thread (shown by top -H, gdb, perf). Truncated to 15 characters.
void name_current_thread(const char* name) noexcept;

}  // namespace exitbrain
