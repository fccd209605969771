// The fp32 SIMT GEMM tile shared by matmul/gemm (gemm.cu) and conv2d's implicit GEMM (conv2d.cu).
// A block of 256 threads computes a BM x BN tile of C; each thread a TM x TN register block.
// K advances BK = 8 at a time through a two-stage shared-memory ring filled with cp.async (sm_80+,
// which is every architecture we build for), so the next slab loads while this one is multiplied.
// An `Op` supplies the loads (it issues cp.async into the stage) and the epilogue store, which is
// all that differs between a strided GEMM and an im2col'ed convolution.
#pragma once
#include <cuda_runtime.h>

#include "common.cuh"

namespace lepton {

#ifdef LEPTON_CUDA_EMULATION  // test/emu/cuda_emu.h: plain copies on the CPU
__device__ __forceinline__ void cp_async_4(void* smem, const void* gmem, int src_bytes) { lepton_emu_cp_async(smem, gmem, 4, src_bytes); }
__device__ __forceinline__ void cp_async_16(void* smem, const void* gmem, int src_bytes) { lepton_emu_cp_async(smem, gmem, 16, src_bytes); }
__device__ __forceinline__ void cp_async_commit() {}
template <int N>
__device__ __forceinline__ void cp_async_wait() {}
#else
// 4-byte async copy with zero fill: src_bytes 0 writes 0 and reads nothing (src must still be a
// valid address, so callers pass the base pointer for out-of-bounds elements).
__device__ __forceinline__ void cp_async_4(void* smem, const void* gmem, int src_bytes) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(s), "l"(gmem), "r"(src_bytes));
}

// 16-byte async copy; src_bytes < 16 zero-fills the tail. Both addresses 16-byte aligned.
__device__ __forceinline__ void cp_async_16(void* smem, const void* gmem, int src_bytes) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(src_bytes));
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}
#endif

template <int BM_, int BN_, int TM_, int TN_>
struct TileShape {
  static constexpr int BM = BM_, BN = BN_, BK = 8, TM = TM_, TN = TN_;
  static constexpr int kThreads = (BM / TM) * (BN / TN);
  // +4 floats per row: scalar transposing stores hit distinct banks, rows stay 16-byte aligned.
  static constexpr int LDA = BM + 4, LDB = BN + 4;
  static_assert(kThreads == 256, "the loaders assume 256 threads");
  static_assert(TM % 4 == 0 && TN % 4 == 0, "register blocks are read as float4");
};

// Shared memory of one block: two stages of A^T (BK x BM) and B (BK x BN).
template <class S>
struct TileSmem {
  float a[2][S::BK][S::LDA];
  float b[2][S::BK][S::LDB];
};

// Runs the K loop for the tile at (m0, n0) and hands each in-range C element to op.store.
// Op must provide: int64_t K() const; void load_a(float (*as)[LDA], int64_t k0, int tid);
// void load_b(float (*bs)[LDB], int64_t k0, int tid); void store(int64_t m, int64_t n, float acc).
template <class S, class Op>
__device__ __forceinline__ void gemm_tile_run(Op& op, TileSmem<S>& sm, int64_t m0, int64_t n0, int64_t M, int64_t N) {
  const int tid = threadIdx.x;
  const int ty = tid / (S::BN / S::TN), tx = tid % (S::BN / S::TN);
  float acc[S::TM][S::TN];
#pragma unroll
  for (int i = 0; i < S::TM; ++i)
#pragma unroll
    for (int j = 0; j < S::TN; ++j) acc[i][j] = 0.f;

  const int64_t K = op.K();
  const int64_t tiles = (K + S::BK - 1) / S::BK;
  if (tiles > 0) {
    op.load_a(sm.a[0], 0, tid);
    op.load_b(sm.b[0], 0, tid);
  }
  cp_async_commit();
  for (int64_t t = 0; t < tiles; ++t) {
    const int cur = static_cast<int>(t & 1);
    if (t + 1 < tiles) {
      op.load_a(sm.a[cur ^ 1], (t + 1) * S::BK, tid);
      op.load_b(sm.b[cur ^ 1], (t + 1) * S::BK, tid);
    }
    cp_async_commit();   // possibly empty: keeps "all but the newest group" meaning stage t
    cp_async_wait<1>();
    __syncthreads();
#pragma unroll
    for (int k = 0; k < S::BK; ++k) {
      float ra[S::TM], rb[S::TN];
#pragma unroll
      for (int i = 0; i < S::TM; i += 4) {
        const float4 v = *reinterpret_cast<const float4*>(&sm.a[cur][k][ty * S::TM + i]);
        ra[i] = v.x; ra[i + 1] = v.y; ra[i + 2] = v.z; ra[i + 3] = v.w;
      }
#pragma unroll
      for (int j = 0; j < S::TN; j += 4) {
        const float4 v = *reinterpret_cast<const float4*>(&sm.b[cur][k][tx * S::TN + j]);
        rb[j] = v.x; rb[j + 1] = v.y; rb[j + 2] = v.z; rb[j + 3] = v.w;
      }
#pragma unroll
      for (int i = 0; i < S::TM; ++i)
#pragma unroll
        for (int j = 0; j < S::TN; ++j) acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);
    }
    __syncthreads();  // the next iteration's loads overwrite the stage just read
  }

#pragma unroll
  for (int i = 0; i < S::TM; ++i) {
    const int64_t m = m0 + ty * S::TM + i;
    if (m >= M) break;
#pragma unroll
    for (int j = 0; j < S::TN; ++j) {
      const int64_t n = n0 + tx * S::TN + j;
      if (n < N) op.store(m, n, acc[i][j]);
    }
  }
}

}  // namespace lepton
