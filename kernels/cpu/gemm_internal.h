// Internal interface between the GEMM driver (gemm.cc, baseline ISA) and the
// AVX2+FMA kernels (gemm_avx2.cc, compiled with -mavx2 -mfma). Only plain
// declarations here: no inline code, so nothing compiled for AVX2 can be picked
// by the linker for a baseline-ISA caller.
#pragma once
#include <cstdint>

namespace lepton {
namespace gemm_detail {

// Micro-kernel: C[0:MR, 0:NR] = alpha * (Ap * Bp) + beta * C, with Ap an MR x k packed
// panel (MR values per k step) and Bp a k x NR packed panel (NR values per k step).
// beta == 0: C is write-only. k may be 0.
using MicroKernel = void (*)(int64_t k, const float* a, const float* b, float* c, int64_t ldc,
                             float alpha, float beta);

constexpr int kAvx2MR = 6;
constexpr int kAvx2NR = 16;
void avx2_kernel_6x16(int64_t k, const float* a, const float* b, float* c, int64_t ldc,
                      float alpha, float beta);

// Packs one full 6-row A panel whose k index is contiguous (src[r*rs + k]) into dst[k*6 + r].
// May write up to 2 floats past dst[kc*6] (the packing buffers keep slack for it).
void avx2_pack_a6_rows(int64_t kc, const float* src, int64_t rs, float* dst);

// Packs one full 16-column B panel whose k index is contiguous (src[c*cs + k]) into
// dst[k*16 + c]; dst 32-byte aligned.
void avx2_pack_b16_cols(int64_t kc, const float* src, int64_t cs, float* dst);

constexpr int kAvx512MR = 14;
constexpr int kAvx512NR = 32;
// gemm_avx512.cc (only after cpu_has_avx512()).
void avx512_kernel_14x32(int64_t k, const float* a, const float* b, float* c, int64_t ldc,
                         float alpha, float beta);
// Full 14-row A panel, k contiguous (src[r*rs + k]) -> dst[k*14 + r]; writes nothing past dst[kc*14].
void avx512_pack_a14_rows(int64_t kc, const float* src, int64_t rs, float* dst);
// Full 32-column B panel, k contiguous (src[c*cs + k]) -> dst[k*32 + c].
void avx512_pack_b32_cols(int64_t kc, const float* src, int64_t cs, float* dst);

// GEMV building blocks (no alpha/beta: raw sums into y, which is contiguous).
// y[j] = sum_k x[k*xs] * P[k*ps + j], j in [0, n).
void avx2_gemv_axpy(int64_t n, int64_t K, const float* x, int64_t xs, const float* P, int64_t ps,
                    float* y);
// y[i] = sum_k X[i*xs + k] * v[k], i in [0, n), v contiguous.
void avx2_gemv_dot(int64_t n, int64_t K, const float* X, int64_t xs, const float* v, float* y);

}  // namespace gemm_detail
}  // namespace lepton
