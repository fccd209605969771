// Device helpers shared by the .cu files: strided index maths, NaN-aware extremes, launch sizes.
#pragma once
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "common.h"

namespace lepton {

// Storage offset of flat row-major element i of a strided index space.
__device__ __forceinline__ int64_t strided_offset(const CudaStrided& s, int64_t i) {
  if (s.rank == 1) return i * s.strides[0];  // the common merged case: no 64-bit division
  int64_t off = 0;
  for (int d = s.rank - 1; d >= 0; --d) {
    const int64_t n = s.shape[d];
    off += (i % n) * s.strides[d];
    i /= n;
  }
  return off;
}

// Math.max / Math.min semantics: NaN wins (fmaxf would drop it).
__device__ __forceinline__ float nan_max(float a, float b) { return a != a ? a : b != b ? b : (a > b ? a : b); }
__device__ __forceinline__ float nan_min(float a, float b) { return a != a ? a : b != b ? b : (a < b ? a : b); }

// Blocks for a grid-stride loop over n items: enough to fill the GPU, within gridDim.x's limit.
inline unsigned grid_for(int64_t n, int threads, int64_t cap = 65536) {
  int64_t blocks = (n + threads - 1) / threads;
  if (blocks < 1) blocks = 1;
  return static_cast<unsigned>(blocks < cap ? blocks : cap);
}

// Streaming-multiprocessor count of the current device (cached per device; 108 if the query fails).
int cuda_sm_count();

}  // namespace lepton
