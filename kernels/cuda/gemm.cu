// matmul / gemm launchers: the fp32 SIMT tile (gemm_tile.cuh) for 'highest' precision and the
// tensor-core tile (gemm_tensorcore.cuh) for TF32 / FP16 / BF16.
#include "gemm.h"
#include "gemm_tensorcore.cuh"
#include "gemm_tile.cuh"

namespace lepton {
namespace {

// Strided, batched, fp32 operands. VEC_B: B rows are contiguous and 16-byte aligned, so a thread
// moves 4 columns with one 16-byte cp.async; other layouts use 4-byte copies (which may transpose).
template <class S, bool VEC_B>
struct GemmOp {
  const float* a;
  const float* b;
  float* c;
  const CudaGemmArgs* p;
  int64_t m0, n0;

  __device__ int64_t K() const { return p->K; }

  __device__ void load_a(float (*as)[S::LDA], int64_t k0, int tid) const {
    const bool k_fast = p->a_cs == 1;  // row-major A: let a warp read along k
#pragma unroll
    for (int r = 0; r < S::BM * S::BK / S::kThreads; ++r) {
      const int idx = tid + r * S::kThreads;
      const int kk = k_fast ? idx % S::BK : idx / S::BM;
      const int mm = k_fast ? idx / S::BK : idx % S::BM;
      const int64_t m = m0 + mm, k = k0 + kk;
      const bool ok = m < p->M && k < p->K;
      cp_async_4(&as[kk][mm], ok ? a + m * p->a_rs + k * p->a_cs : a, ok ? 4 : 0);
    }
  }

  __device__ void load_b(float (*bs)[S::LDB], int64_t k0, int tid) const {
    if (VEC_B) {
      for (int idx = tid; idx < S::BK * S::BN / 4; idx += S::kThreads) {
        const int kk = idx / (S::BN / 4), nn = (idx % (S::BN / 4)) * 4;
        const int64_t k = k0 + kk, n = n0 + nn;
        const int64_t left = k < p->K ? p->N - n : 0;
        const int bytes = left <= 0 ? 0 : left >= 4 ? 16 : static_cast<int>(left) * 4;
        cp_async_16(&bs[kk][nn], bytes ? b + k * p->b_rs + n : b, bytes);
      }
    } else {
      const bool n_fast = p->b_cs == 1 || p->b_rs != 1;
#pragma unroll
      for (int r = 0; r < S::BN * S::BK / S::kThreads; ++r) {
        const int idx = tid + r * S::kThreads;
        const int nn = n_fast ? idx % S::BN : idx / S::BK;
        const int kk = n_fast ? idx / S::BN : idx % S::BK;
        const int64_t n = n0 + nn, k = k0 + kk;
        const bool ok = n < p->N && k < p->K;
        cp_async_4(&bs[kk][nn], ok ? b + k * p->b_rs + n * p->b_cs : b, ok ? 4 : 0);
      }
    }
  }

  __device__ void store(int64_t m, int64_t n, float acc) const {
    float v = p->alpha * acc;
    float* out = c + m * p->ldc + n;
    if (p->beta != 0.f) v += p->beta * *out;
    if (p->row_bias) v += p->row_bias[m];
    if (p->col_bias) v += p->col_bias[n];
    if (p->activation == kCudaActRelu) v = v < 0.f ? 0.f : v;
    *out = v;
  }
};

// Offsets of batch z into A and B (C batches are dense).
__device__ __forceinline__ void batch_offsets(const CudaGemmArgs& p, int64_t z, int64_t& ao, int64_t& bo) {
  ao = 0;
  bo = 0;
  for (int d = p.batch_rank - 1; d >= 0; --d) {
    const int64_t i = z % p.batch[d];
    z /= p.batch[d];
    ao += i * p.a_batch_strides[d];
    bo += i * p.b_batch_strides[d];
  }
}

// Grid: x = M tiles (up to 2^31), y = N tiles, z = batch (chunked by the launcher).
template <class S, bool VEC_B>
__global__ void __launch_bounds__(256, 2) gemm_f32_tiled(__grid_constant__ const CudaGemmArgs p, int64_t z0) {
  __shared__ __align__(16) TileSmem<S> sm;
  int64_t ao, bo;
  const int64_t z = z0 + blockIdx.z;
  batch_offsets(p, z, ao, bo);
  GemmOp<S, VEC_B> op{static_cast<const float*>(p.A) + ao, static_cast<const float*>(p.B) + bo,
                      static_cast<float*>(p.C) + z * p.M * p.ldc, &p,
                      static_cast<int64_t>(blockIdx.x) * S::BM, static_cast<int64_t>(blockIdx.y) * S::BN};
  gemm_tile_run<S>(op, sm, op.m0, op.n0, p.M, p.N);
}

int64_t batch_count(const CudaGemmArgs& p) {
  int64_t n = 1;
  for (int d = 0; d < p.batch_rank; ++d) n *= p.batch[d];
  return n;
}

template <class S, bool VEC_B>
cudaError_t launch_simt(const CudaGemmArgs& p, int64_t batches, cudaStream_t stream) {
  const int64_t mt = (p.M + S::BM - 1) / S::BM, nt = (p.N + S::BN - 1) / S::BN;
  if (nt > 65535 || mt > 0x7fffffff) return cudaErrorInvalidValue;
  for (int64_t z0 = 0; z0 < batches; z0 += 65535) {
    const unsigned zc = static_cast<unsigned>(batches - z0 < 65535 ? batches - z0 : 65535);
    gemm_f32_tiled<S, VEC_B><<<dim3(static_cast<unsigned>(mt), static_cast<unsigned>(nt), zc), S::kThreads, 0, stream>>>(p, z0);
  }
  return cudaGetLastError();
}

bool aligned16(const void* ptr) { return (reinterpret_cast<uintptr_t>(ptr) & 15) == 0; }

}  // namespace

cudaError_t cuda_gemm(const CudaGemmArgs& p, cudaStream_t stream) {
  if (p.M < 0 || p.N < 0 || p.K < 0 || p.batch_rank < 0 || p.batch_rank > kCudaGemmMaxBatchDims) return cudaErrorInvalidValue;
  if (!p.A || !p.B || !p.C || p.ldc < p.N) return cudaErrorInvalidValue;
  const int64_t batches = batch_count(p);
  if (p.M == 0 || p.N == 0 || batches == 0) return cudaSuccess;
  if (p.dtype != kCudaF32 || p.precision == kCudaTf32) return cuda_gemm_tensorcore(p, batches, stream);
  // B rows contiguous and every row start 16-byte aligned: the 16-byte loader.
  bool vec_b = p.b_cs == 1 && p.b_rs % 4 == 0 && aligned16(p.B);
  for (int d = 0; d < p.batch_rank; ++d) vec_b = vec_b && p.b_batch_strides[d] % 4 == 0;
  // Fewer than ~2 waves of 128x128 tiles: 64x64 tiles keep more SMs busy.
  const int64_t big_tiles = ((p.M + 127) / 128) * ((p.N + 127) / 128) * batches;
  if (big_tiles < 2 * cuda_sm_count()) {
    using S = TileShape<64, 64, 4, 4>;
    return vec_b ? launch_simt<S, true>(p, batches, stream) : launch_simt<S, false>(p, batches, stream);
  }
  using S = TileShape<128, 128, 8, 8>;
  return vec_b ? launch_simt<S, true>(p, batches, stream) : launch_simt<S, false>(p, batches, stream);
}

}  // namespace lepton
