#pragma once
// The two CPUs the two-thread micro-benchmarks pin their threads to: --cpus=A,B on the
// exitbrain-micro-bench command line (bench/micro_main.cpp), 0,1 by default.
#include <utility>

namespace exitbrain {

std::pair<int, int>& bench_cpus();

}  // namespace exitbrain
