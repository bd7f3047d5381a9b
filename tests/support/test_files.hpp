#pragma once
// Files of one test: its own directory under the build tree, reading a file, waiting for a
// line a child process writes (tools/process/child_process.hpp starts and stops them).
#include <string>
#include <vector>

namespace exitbrain::testing {

// Reads a whole file ("" when it does not exist).
std::string read_file(const std::string& path);

// Polls `path` until a line containing every one of `needles` appears, or `timeout_ms`.
// Returns that line ("" on timeout).
std::string wait_for_line(const std::string& path, const std::vector<std::string>& needles,
                          int timeout_ms);

// A fresh directory under the build tree for one test's files.
std::string make_test_dir(const std::string& name);

}  // namespace exitbrain::testing
