#pragma once
// Bad input from the user: a file, a line, a field, an option. Every command prints it as
// "error: <what>" and exits 2 (tools/cli/run_app.cpp); anything else thrown exits 1.
#include <stdexcept>

namespace exitbrain {

struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace exitbrain
