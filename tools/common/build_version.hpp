#pragma once
// What every binary prints with --version: the project's version (CMakeLists.txt) and the
// commit it was built from ("<sha>-dirty" with uncommitted changes, "unknown" outside a
// git checkout). The definitions are generated at build time (cmake/build_version.cmake).
#include <string>

namespace exitbrain {

const char* build_version() noexcept;
const char* build_commit() noexcept;

// "<program> <version> (commit <commit>)"
inline std::string version_line(const char* program) {
  return std::string(program) + " " + build_version() + " (commit " + build_commit() + ")";
}

}  // namespace exitbrain
