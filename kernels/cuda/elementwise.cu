// Elementwise kernels. Binary ops walk the output row-major and find each input element through
// its own strides (0 on broadcast axes); same-shape contiguous inputs skip the index maths.
#include "common.cuh"
#include "elementwise.h"

namespace lepton {
namespace {

__device__ __forceinline__ float binary_apply(int op, float a, float b) {
  switch (op) {
    case kCudaAdd: return a + b;
    case kCudaSub: return a - b;
    case kCudaMul: return a * b;
    case kCudaDiv: return a / b;
    case kCudaMaximum: return nan_max(a, b);
    case kCudaMinimum: return nan_min(a, b);
    default: return powf(a, b);  // C pow: pow(1, NaN) = 1, pow(x, 0) = 1, as the reference
  }
}

__global__ void binary_f32(__grid_constant__ const CudaBinaryArgs p, bool dense) {
  const int64_t n = cuda_strided_size(p.out);
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t ao = i, bo = i;
    if (!dense) {
      ao = bo = 0;
      for (int64_t d = p.out.rank - 1, r = i; d >= 0; --d) {
        const int64_t k = r % p.out.shape[d];
        r /= p.out.shape[d];
        ao += k * p.a_strides[d];
        bo += k * p.b_strides[d];
      }
    }
    p.y[i] = binary_apply(p.op, __ldg(p.a + ao), __ldg(p.b + bo));
  }
}

__device__ __forceinline__ float unary_apply(int op, float v) {
  switch (op) {
    case kCudaRelu: return v < 0.f ? 0.f : v;
    case kCudaSigmoid: return 1.f / (1.f + expf(-v));
    case kCudaTanh: return tanhf(v);
    // 0.5 x erfc(-x / sqrt 2): no cancellation in the negative tail (as the reference).
    case kCudaGelu: return 0.5f * v * erfcf(-v * 0.70710678118654752f);
    case kCudaGeluTanh: return v / (1.f + expf(-2.f * 0.7978845608028654f * (v + 0.044715f * v * v * v)));
    case kCudaExp: return expf(v);
    case kCudaLog: return logf(v);
    case kCudaAbs: return fabsf(v);
    case kCudaNeg: return -v;
    case kCudaSqrt: return sqrtf(v);
    case kCudaErf: return erff(v);
    default: return 1.f / v;
  }
}

__global__ void unary_f32(int op, const float* x, float* y, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    y[i] = unary_apply(op, x[i]);
  }
}

__global__ void clip_f32(const float* x, float* y, int64_t n, float lo, float hi) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float v = x[i];
    y[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

}  // namespace

cudaError_t cuda_binary_f32(const CudaBinaryArgs& p, cudaStream_t stream) {
  if (p.out.rank < 0 || p.out.rank > kCudaMaxRank || p.op < kCudaAdd || p.op > kCudaPow || !p.a || !p.b || !p.y) return cudaErrorInvalidValue;
  const int64_t n = cuda_strided_size(p.out);
  if (n == 0) return cudaSuccess;
  bool dense = true;
  for (int64_t d = p.out.rank - 1, expect = 1; d >= 0; --d) {
    if (p.out.shape[d] != 1 && (p.a_strides[d] != expect || p.b_strides[d] != expect)) dense = false;
    expect *= p.out.shape[d];
  }
  binary_f32<<<grid_for(n, 256), 256, 0, stream>>>(p, dense);
  return cudaGetLastError();
}

cudaError_t cuda_unary_f32(int op, const float* x, float* y, int64_t n, cudaStream_t stream) {
  if (op < kCudaRelu || op > kCudaReciprocal || !x || !y || n < 0) return cudaErrorInvalidValue;
  if (n == 0) return cudaSuccess;
  unary_f32<<<grid_for(n, 256), 256, 0, stream>>>(op, x, y, n);
  return cudaGetLastError();
}

cudaError_t cuda_clip_f32(const float* x, float* y, int64_t n, float lo, float hi, cudaStream_t stream) {
  if (!x || !y || n < 0) return cudaErrorInvalidValue;
  if (n == 0) return cudaSuccess;
  clip_f32<<<grid_for(n, 256), 256, 0, stream>>>(x, y, n, lo, hi);
  return cudaGetLastError();
}

}  // namespace lepton
