// Pooling, one thread per output, with the reference's rules (src/ops/pool2d.ts): max takes the
// first valid tap, then only strictly greater ones (an all-padding window gives -FLT_MAX and
// index -1); avg divides by the real taps, or with count_include_pad by the taps inside the
// explicit pads (not those ceil mode adds beyond them); an empty count gives 0.
#include <cfloat>

#include "common.cuh"
#include "pool2d.h"

namespace lepton {
namespace {

// Taps t < k with lo <= start + t * d < hi.
__device__ __forceinline__ int64_t tap_count(int64_t start, int64_t k, int64_t d, int64_t lo, int64_t hi) {
  int64_t n = 0;
  for (int64_t t = 0; t < k; ++t) n += (start + t * d >= lo && start + t * d < hi) ? 1 : 0;
  return n;
}

__global__ void pool2d_f32(__grid_constant__ const CudaPool2dArgs p) {
  const int64_t total = p.N * p.C * p.OH * p.OW;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t ow = i % p.OW, oh = (i / p.OW) % p.OH, nc = i / (p.OW * p.OH);
    const float* x = p.x + nc * p.H * p.W;
    const int64_t h0 = oh * p.stride_h - p.pad_top, w0 = ow * p.stride_w - p.pad_left;
    float best = -FLT_MAX, sum = 0.f;
    int64_t at = -1, taps = 0;
    for (int64_t kh = 0; kh < p.KH; ++kh) {
      const int64_t ih = h0 + kh * p.dilation_h;
      if (ih < 0 || ih >= p.H) continue;
      for (int64_t kw = 0; kw < p.KW; ++kw) {
        const int64_t iw = w0 + kw * p.dilation_w;
        if (iw < 0 || iw >= p.W) continue;
        const float v = __ldg(x + ih * p.W + iw);
        if (p.is_max) {
          if (at < 0 || v > best) {
            best = v;
            at = ih * p.W + iw;
          }
        } else {
          sum += v;
          ++taps;
        }
      }
    }
    if (p.is_max) {
      p.y[i] = best;
      if (p.indices) p.indices[i] = at < 0 ? -1 : nc * p.H * p.W + at;
    } else {
      const int64_t count = p.count_include_pad
          ? tap_count(h0, p.KH, p.dilation_h, -p.pad_top, p.H + p.pad_bottom) *
                tap_count(w0, p.KW, p.dilation_w, -p.pad_left, p.W + p.pad_right)
          : taps;
      p.y[i] = count > 0 ? sum / static_cast<float>(count) : 0.f;
    }
  }
}

}  // namespace

cudaError_t cuda_pool2d_f32(const CudaPool2dArgs& p, cudaStream_t stream) {
  if (!p.x || !p.y || p.KH < 1 || p.KW < 1 || p.stride_h < 1 || p.stride_w < 1 || p.dilation_h < 1 || p.dilation_w < 1) {
    return cudaErrorInvalidValue;
  }
  const int64_t total = p.N * p.C * p.OH * p.OW;
  if (total == 0) return cudaSuccess;
  pool2d_f32<<<grid_for(total, 256), 256, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace lepton
