// Tensor-core GEMM tile (wmma): TF32 for float32 with precision 'tf32', FP16 and BF16 inputs.
// Accumulates in fp32. Block tile 128 x 128, 8 warps each owning 64 x 32 (4 x 2 fragments of
// 16 x 16). Operands go global -> registers -> shared memory with the next K slab loaded into
// registers while the current one is multiplied (any strides, so transposed views need no copy).
// Accuracy: TF32 rounds inputs to 10 mantissa bits (relative error ~1e-3 per product, fp32
// sums); FP16/BF16 inputs are exact in their own type and products are summed in fp32.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <mma.h>

#include "gemm.h"

namespace lepton {

template <typename T>
struct TcTraits;
template <>
struct TcTraits<float> {
  using Frag = nvcuda::wmma::precision::tf32;
  static constexpr int BK = 16, WK = 8, PAD = 4;
};
template <>
struct TcTraits<__half> {
  using Frag = __half;
  static constexpr int BK = 32, WK = 16, PAD = 8;
};
template <>
struct TcTraits<__nv_bfloat16> {
  using Frag = __nv_bfloat16;
  static constexpr int BK = 32, WK = 16, PAD = 8;
};

__device__ __forceinline__ float tc_to_float(float v) { return v; }
__device__ __forceinline__ float tc_to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float tc_to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T>
__device__ __forceinline__ T tc_from_float(float v);
template <>
__device__ __forceinline__ float tc_from_float<float>(float v) { return v; }
template <>
__device__ __forceinline__ __half tc_from_float<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ __forceinline__ __nv_bfloat16 tc_from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

template <typename T>
__global__ void __launch_bounds__(256) gemm_tc(__grid_constant__ const CudaGemmArgs p, int64_t z0) {
  namespace wmma = nvcuda::wmma;
  using Tr = TcTraits<T>;
  constexpr int BM = 128, BN = 128, BK = Tr::BK, LDA = BK + Tr::PAD, LDB = BN + Tr::PAD;
  constexpr int A_PER = BM * BK / 256, B_PER = BK * BN / 256;
  __shared__ __align__(32) T as[2][BM][LDA];
  __shared__ __align__(32) T bs[2][BK][LDB];
  __shared__ __align__(32) float scratch[8][16 * 16];

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int wm = warp / 4, wn = warp % 4;
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * BM, n0 = static_cast<int64_t>(blockIdx.y) * BN;
  const int64_t z = z0 + blockIdx.z;
  int64_t ao = 0, bo = 0;
  for (int64_t d = p.batch_rank - 1, r = z; d >= 0; --d) {
    const int64_t i = r % p.batch[d];
    r /= p.batch[d];
    ao += i * p.a_batch_strides[d];
    bo += i * p.b_batch_strides[d];
  }
  const T* A = static_cast<const T*>(p.A) + ao;
  const T* B = static_cast<const T*>(p.B) + bo;
  T* C = static_cast<T*>(p.C) + z * p.M * p.ldc;
  const bool a_k_fast = p.a_cs == 1, b_n_fast = p.b_cs == 1 || p.b_rs != 1;
  const T zero = tc_from_float<T>(0.f);

  T ra[A_PER], rb[B_PER];
  auto a_pos = [&](int r, int& mm, int& kk) {
    const int idx = tid + r * 256;
    mm = a_k_fast ? idx / BK : idx % BM;
    kk = a_k_fast ? idx % BK : idx / BM;
  };
  auto b_pos = [&](int r, int& kk, int& nn) {
    const int idx = tid + r * 256;
    nn = b_n_fast ? idx % BN : idx / BK;
    kk = b_n_fast ? idx / BN : idx % BK;
  };
  auto load = [&](int64_t k0) {
#pragma unroll
    for (int r = 0; r < A_PER; ++r) {
      int mm, kk;
      a_pos(r, mm, kk);
      const int64_t m = m0 + mm, k = k0 + kk;
      ra[r] = (m < p.M && k < p.K) ? A[m * p.a_rs + k * p.a_cs] : zero;
    }
#pragma unroll
    for (int r = 0; r < B_PER; ++r) {
      int kk, nn;
      b_pos(r, kk, nn);
      const int64_t k = k0 + kk, n = n0 + nn;
      rb[r] = (k < p.K && n < p.N) ? B[k * p.b_rs + n * p.b_cs] : zero;
    }
  };
  auto stash = [&](int buf) {
#pragma unroll
    for (int r = 0; r < A_PER; ++r) {
      int mm, kk;
      a_pos(r, mm, kk);
      as[buf][mm][kk] = ra[r];
    }
#pragma unroll
    for (int r = 0; r < B_PER; ++r) {
      int kk, nn;
      b_pos(r, kk, nn);
      bs[buf][kk][nn] = rb[r];
    }
  };

  wmma::fragment<wmma::accumulator, 16, 16, Tr::WK, float> acc[4][2];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.f);

  const int64_t tiles = (p.K + BK - 1) / BK;
  if (tiles > 0) {
    load(0);
    stash(0);
  }
  __syncthreads();
  for (int64_t t = 0; t < tiles; ++t) {
    const int cur = static_cast<int>(t & 1);
    if (t + 1 < tiles) load((t + 1) * BK);  // in flight while the MMAs run
#pragma unroll
    for (int kk = 0; kk < BK; kk += Tr::WK) {
      wmma::fragment<wmma::matrix_a, 16, 16, Tr::WK, typename Tr::Frag, wmma::row_major> fa[4];
      wmma::fragment<wmma::matrix_b, 16, 16, Tr::WK, typename Tr::Frag, wmma::row_major> fb[2];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        wmma::load_matrix_sync(fa[i], &as[cur][wm * 64 + i * 16][kk], LDA);
        if constexpr (sizeof(T) == 4) {
          for (int e = 0; e < fa[i].num_elements; ++e) fa[i].x[e] = wmma::__float_to_tf32(fa[i].x[e]);
        }
      }
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        wmma::load_matrix_sync(fb[j], &bs[cur][kk][wn * 32 + j * 16], LDB);
        if constexpr (sizeof(T) == 4) {
          for (int e = 0; e < fb[j].num_elements; ++e) fb[j].x[e] = wmma::__float_to_tf32(fb[j].x[e]);
        }
      }
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
    }
    if (t + 1 < tiles) stash(cur ^ 1);
    __syncthreads();
  }

  // Epilogue through a per-warp 16 x 16 scratch: bounds checks, alpha/beta, bias, activation.
#pragma unroll
  for (int i = 0; i < 4; ++i) {
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      wmma::store_matrix_sync(scratch[warp], acc[i][j], 16, wmma::mem_row_major);
      __syncwarp();
      for (int e = lane; e < 256; e += 32) {
        const int64_t m = m0 + wm * 64 + i * 16 + e / 16, n = n0 + wn * 32 + j * 16 + e % 16;
        if (m >= p.M || n >= p.N) continue;
        float v = p.alpha * scratch[warp][e];
        T* out = C + m * p.ldc + n;
        if (p.beta != 0.f) v += p.beta * tc_to_float(*out);
        if (p.row_bias) v += p.row_bias[m];
        if (p.col_bias) v += p.col_bias[n];
        if (p.activation == kCudaActRelu) v = v < 0.f ? 0.f : v;
        *out = tc_from_float<T>(v);
      }
      __syncwarp();
    }
  }
}

template <typename T>
cudaError_t launch_tc(const CudaGemmArgs& p, int64_t batches, cudaStream_t stream) {
  const int64_t mt = (p.M + 127) / 128, nt = (p.N + 127) / 128;
  if (nt > 65535 || mt > 0x7fffffff) return cudaErrorInvalidValue;
  for (int64_t z0 = 0; z0 < batches; z0 += 65535) {
    const unsigned zc = static_cast<unsigned>(batches - z0 < 65535 ? batches - z0 : 65535);
    gemm_tc<T><<<dim3(static_cast<unsigned>(mt), static_cast<unsigned>(nt), zc), 256, 0, stream>>>(p, z0);
  }
  return cudaGetLastError();
}

inline cudaError_t cuda_gemm_tensorcore(const CudaGemmArgs& p, int64_t batches, cudaStream_t stream) {
  switch (p.dtype) {
    case kCudaF32: return launch_tc<float>(p, batches, stream);
    case kCudaF16: return launch_tc<__half>(p, batches, stream);
    case kCudaBF16: return launch_tc<__nv_bfloat16>(p, batches, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace lepton
