#include "probe.h"

#include <atomic>
#include <chrono>

#include "cpu_features.h"
#include "parallel.h"

namespace lepton {

float probe_fma_loop_avx2(int64_t iterations);
float probe_fma_loop_avx512(int64_t iterations);
float probe_read_avx2(const float* x, int64_t n);

namespace {

// Portable stand-ins: the compiler vectorises these to the baseline ISA (SSE2).
float fma_loop_portable(int64_t iterations) {
  float acc[32];
  for (int i = 0; i < 32; ++i) acc[i] = 0.001f * i;
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < 32; ++i) acc[i] = acc[i] * 0.9999f + 1e-7f;
  }
  float s = 0;
  for (float v : acc) s += v;
  return s;
}

float read_portable(const float* x, int64_t n) {
  float acc[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int k = 0; k < 16; ++k) acc[k] += x[i + k];
  }
  float s = 0;
  for (; i < n; ++i) s += x[i];
  for (float v : acc) s += v;
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::atomic<float> sink{0};

}  // namespace

double probe_peak_gflops(double seconds) {
  const CpuIsa isa = cpu_isa();
  const int threads = parallel_thread_count();
  // flops per iteration per thread: avx512 = 16 FMAs x 16 lanes x 2, avx2 = 12 x 8 x 2;
  // portable = 32 x 2 (scalar-equivalent count).
  const double flops_per_iter = isa == CpuIsa::avx512 ? 16 * 16 * 2 : isa == CpuIsa::avx2_fma ? 12 * 8 * 2 : 32 * 2;
  int64_t iterations = 1 << 20;
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    parallel_for(threads, [&](int64_t) {
      sink.store(isa == CpuIsa::avx512     ? probe_fma_loop_avx512(iterations)
                 : isa == CpuIsa::avx2_fma ? probe_fma_loop_avx2(iterations)
                                           : fma_loop_portable(iterations));
    });
    const double dt = seconds_since(t0);
    if (dt >= seconds || iterations > (int64_t(1) << 40)) return flops_per_iter * iterations * threads / dt / 1e9;
    iterations *= 2;
  }
}

double probe_read_gbps(const float* x, int64_t n, int passes) {
  const bool avx2 = cpu_has_avx2();
  const int threads = parallel_thread_count();
  const int64_t chunk = (n + threads - 1) / threads;
  const auto t0 = std::chrono::steady_clock::now();
  for (int p = 0; p < passes; ++p) {
    parallel_for(threads, [&](int64_t t) {
      const int64_t begin = t * chunk;
      const int64_t len = begin < n ? (n - begin < chunk ? n - begin : chunk) : 0;
      sink.store(avx2 ? probe_read_avx2(x + begin, len) : read_portable(x + begin, len));
    });
  }
  return 4.0 * static_cast<double>(n) * passes / seconds_since(t0) / 1e9;
}

}  // namespace lepton
