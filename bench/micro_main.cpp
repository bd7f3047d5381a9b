// exitbrain-micro-bench's main: Google Benchmark's own flags, plus --cpus=A,B for the
// benchmarks that run two threads (bench/micro_cpus.hpp).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench/micro_cpus.hpp"
#include "tools/common/build_version.hpp"

namespace exitbrain {

std::pair<int, int>& bench_cpus() {
  static std::pair<int, int> cpus{0, 1};
  return cpus;
}

}  // namespace exitbrain

int main(int argc, char** argv) {
  // Before Google Benchmark reads the flags (it has no --version of its own).
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--version") == 0) {
      std::printf("%s\n", exitbrain::version_line("exitbrain-micro-bench").c_str());
      return 0;
    }
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--cpus=", 7) == 0) {
      int a = -1, b = -1;
      if (std::sscanf(argv[i] + 7, "%d,%d", &a, &b) != 2 || a < 0 || b < 0) {
        std::fprintf(stderr, "error: --cpus: want two CPU numbers, A,B; got '%s'\n", argv[i] + 7);
        return 2;
      }
      exitbrain::bench_cpus() = {a, b};
      continue;
    }
    rest.push_back(argv[i]);
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
