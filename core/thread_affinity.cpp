#include "core/thread_affinity.hpp"

#include <pthread.h>
#include <sched.h>

#include <cstring>

namespace exitbrain {

std::string pin_current_thread(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return "cpu " + std::to_string(cpu) + " is out of range";
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<std::size_t>(cpu), &set);
  const int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  if (rc != 0) return "cannot pin to cpu " + std::to_string(cpu) + ": " + std::strerror(rc);
  return {};
}

void name_current_thread(const char* name) noexcept {
  char buf[16] = {};
  std::strncpy(buf, name, sizeof(buf) - 1);
  pthread_setname_np(pthread_self(), buf);
}

}  // namespace exitbrain
