// Machine probes for the bench: peak FMA throughput and read bandwidth, measured on all pool threads.
#pragma once
#include <cstdint>

namespace lepton {

// Single-precision GFLOP/s of independent FMA chains on every thread for about `seconds`.
double probe_peak_gflops(double seconds);

// GB/s of a vectorised read-only pass over n floats (repeated `passes` times), all threads.
double probe_read_gbps(const float* x, int64_t n, int passes);

}  // namespace lepton
