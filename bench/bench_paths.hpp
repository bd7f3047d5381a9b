#pragma once
// Where exitbrain-bench finds recorded data and its sibling programs.
#include <cstdlib>
#include <string>

namespace exitbrain::bench {

// $EXITBRAIN_DATA_DIR, else ../shared/data beside the source tree.
inline std::string default_data_dir() {
  if (const char* d = std::getenv("EXITBRAIN_DATA_DIR"); d && *d) return d;
  return std::string(EXITBRAIN_SOURCE_DIR) + "/../shared/data";
}

}  // namespace exitbrain::bench
