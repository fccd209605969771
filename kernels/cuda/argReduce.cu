// argmax / argmin with the reference's order (src/ops/argReduce.ts): a NaN beats any number,
// then the larger (smaller) value, then the first index (the last with select_last). That order
// is total, so partial winners from different lanes merge in any order to the sequential answer.
// A unit-stride axis gets a warp per output (coalesced along the axis); otherwise a thread per
// output (coalesced across neighbouring outputs).
#include "argReduce.h"
#include "common.cuh"

namespace lepton {
namespace {

struct Best {
  float v;
  int64_t i;
};

__device__ __forceinline__ bool beats(const Best& a, const Best& b, bool is_max, bool last) {
  if (b.i < 0) return a.i >= 0;
  if (a.i < 0) return false;
  const bool an = a.v != a.v, bn = b.v != b.v;
  if (an != bn) return an;
  if (!an && a.v != b.v) return is_max ? a.v > b.v : a.v < b.v;
  return last ? a.i > b.i : a.i < b.i;
}

struct Layout {
  CudaStrided outer;  // the other axes
  int64_t len, stride, count;
};

__global__ void arg_reduce_warp(__grid_constant__ const CudaArgReduceArgs p, __grid_constant__ const Layout l) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  for (int64_t o = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / 32; o < l.count; o += warps) {
    const float* x = p.data + strided_offset(l.outer, o);
    Best best{0.f, -1};
    for (int64_t i = lane; i < l.len; i += 32) {
      const Best c{__ldg(x + i), i};
      if (beats(c, best, p.is_max, p.select_last)) best = c;
    }
    for (int d = 16; d > 0; d >>= 1) {
      const Best c{__shfl_down_sync(0xffffffffu, best.v, d), __shfl_down_sync(0xffffffffu, best.i, d)};
      if (beats(c, best, p.is_max, p.select_last)) best = c;
    }
    if (lane == 0) p.y[o] = best.i;
  }
}

__global__ void arg_reduce_thread(__grid_constant__ const CudaArgReduceArgs p, __grid_constant__ const Layout l) {
  for (int64_t o = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; o < l.count;
       o += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float* x = p.data + strided_offset(l.outer, o);
    Best best{0.f, -1};
    for (int64_t i = 0; i < l.len; ++i) {
      const Best c{__ldg(x + i * l.stride), i};
      if (beats(c, best, p.is_max, p.select_last)) best = c;
    }
    p.y[o] = best.i;
  }
}

}  // namespace

cudaError_t cuda_arg_reduce_f32(const CudaArgReduceArgs& p, cudaStream_t stream) {
  if (p.x.rank < 1 || p.x.rank > kCudaMaxRank || p.axis < 0 || p.axis >= p.x.rank || !p.data || !p.y) return cudaErrorInvalidValue;
  Layout l{};
  l.len = p.x.shape[p.axis];
  l.stride = p.x.strides[p.axis];
  l.count = 1;
  for (int d = 0; d < p.x.rank; ++d) {
    if (d == p.axis) continue;
    l.outer.shape[l.outer.rank] = p.x.shape[d];
    l.outer.strides[l.outer.rank++] = p.x.strides[d];
    l.count *= p.x.shape[d];
  }
  if (l.count == 0) return cudaSuccess;
  if (l.len < 1) return cudaErrorInvalidValue;
  if (l.outer.rank == 0) {  // keep strided_offset's rank-1 fast path valid
    l.outer.rank = 1;
    l.outer.shape[0] = 1;
    l.outer.strides[0] = 0;
  }
  if (l.stride == 1 && l.len >= 32) arg_reduce_warp<<<grid_for(l.count * 32, 256), 256, 0, stream>>>(p, l);
  else arg_reduce_thread<<<grid_for(l.count, 256), 256, 0, stream>>>(p, l);
  return cudaGetLastError();
}

}  // namespace lepton
