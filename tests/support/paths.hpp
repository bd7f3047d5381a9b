#pragma once
// Where tests find the repository, the built binaries and the shared recorded data.
#include <cstdlib>
#include <filesystem>
#include <string>

namespace exitbrain::testing {

inline std::filesystem::path source_dir() {
  return EXITBRAIN_SOURCE_DIR;
}
inline std::filesystem::path bin_dir() {
  return EXITBRAIN_BIN_DIR;
}

// The recorded Binance data: $EXITBRAIN_DATA_DIR, else ../shared/data beside the checkout.
// Empty when absent: tests that need it GTEST_SKIP() with a message.
inline std::filesystem::path shared_data_dir() {
  if (const char* env = std::getenv("EXITBRAIN_DATA_DIR"); env && *env) {
    std::filesystem::path p(env);
    return std::filesystem::exists(p) ? p : std::filesystem::path();
  }
  auto p = source_dir().parent_path() / "shared" / "data";
  return std::filesystem::exists(p) ? p : std::filesystem::path();
}

}  // namespace exitbrain::testing
