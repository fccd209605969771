// softmax as the reference computes it: m = max (NaN propagates), s = sum exp(x - m), then
// exp(x - m) / s or x - m - log(s). A row along the unit-stride axis gets a warp (coalesced);
// with inner > 1 a thread per (outer, inner) column, so neighbouring threads read neighbours.
#include "common.cuh"
#include "softmax.h"

namespace lepton {
namespace {

__device__ __forceinline__ float warp_max(float v) {
  for (int d = 16; d > 0; d >>= 1) v = nan_max(v, __shfl_xor_sync(0xffffffffu, v, d));
  return v;
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int d = 16; d > 0; d >>= 1) v += __shfl_xor_sync(0xffffffffu, v, d);
  return v;
}

__global__ void softmax_rows(const float* x, float* y, int64_t rows, int64_t len, bool log) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  for (int64_t r = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / 32; r < rows; r += warps) {
    const float* xr = x + r * len;
    float* yr = y + r * len;
    float m = -INFINITY;
    for (int64_t i = lane; i < len; i += 32) m = nan_max(m, xr[i]);
    m = warp_max(m);
    float s = 0.f;
    for (int64_t i = lane; i < len; i += 32) s += expf(xr[i] - m);
    s = warp_sum(s);
    const float ls = logf(s);
    for (int64_t i = lane; i < len; i += 32) yr[i] = log ? xr[i] - m - ls : expf(xr[i] - m) / s;
  }
}

__global__ void softmax_cols(const float* x, float* y, int64_t outer, int64_t len, int64_t inner, bool log) {
  const int64_t n = outer * inner;
  for (int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; c < n;
       c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t base = (c / inner) * len * inner + c % inner;
    float m = -INFINITY;
    for (int64_t i = 0; i < len; ++i) m = nan_max(m, x[base + i * inner]);
    float s = 0.f;
    for (int64_t i = 0; i < len; ++i) s += expf(x[base + i * inner] - m);
    const float ls = logf(s);
    for (int64_t i = 0; i < len; ++i) {
      const float v = x[base + i * inner];
      y[base + i * inner] = log ? v - m - ls : expf(v - m) / s;
    }
  }
}

}  // namespace

cudaError_t cuda_softmax_f32(const float* x, float* y, int64_t outer, int64_t len, int64_t inner, bool log,
                             cudaStream_t stream) {
  if (!x || !y || outer < 0 || len < 0 || inner < 0) return cudaErrorInvalidValue;
  if (outer == 0 || len == 0 || inner == 0) return cudaSuccess;
  if (inner == 1) softmax_rows<<<grid_for(outer * 32, 256), 256, 0, stream>>>(x, y, outer, len, log);
  else softmax_cols<<<grid_for(outer * inner, 256), 256, 0, stream>>>(x, y, outer, len, inner, log);
  return cudaGetLastError();
}

}  // namespace lepton
