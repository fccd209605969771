// The 6x16 FMA block shared by the conv kernels built with AVX2 (include only from *_avx2.cc).
// static: each including file gets its own copy, so no AVX2 symbol can leak to baseline code.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace lepton {

// acc[2r + h] += sum over k of a[k*lda + r] * b[k*ldb + 8h .. 8h+7], for r < 6, h < 2:
// 12 ymm accumulators, two B loads and six A broadcasts per k (FMA-bound on Zen 3).
static inline void fma_6x16_avx2(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb,
                                 __m256 (&acc)[12]) {
  __m256 c0 = acc[0], c1 = acc[1], c2 = acc[2], c3 = acc[3], c4 = acc[4], c5 = acc[5];
  __m256 c6 = acc[6], c7 = acc[7], c8 = acc[8], c9 = acc[9], c10 = acc[10], c11 = acc[11];
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    __m256 a0 = _mm256_broadcast_ss(a);
    __m256 a1 = _mm256_broadcast_ss(a + 1);
    c0 = _mm256_fmadd_ps(a0, b0, c0);
    c1 = _mm256_fmadd_ps(a0, b1, c1);
    c2 = _mm256_fmadd_ps(a1, b0, c2);
    c3 = _mm256_fmadd_ps(a1, b1, c3);
    a0 = _mm256_broadcast_ss(a + 2);
    a1 = _mm256_broadcast_ss(a + 3);
    c4 = _mm256_fmadd_ps(a0, b0, c4);
    c5 = _mm256_fmadd_ps(a0, b1, c5);
    c6 = _mm256_fmadd_ps(a1, b0, c6);
    c7 = _mm256_fmadd_ps(a1, b1, c7);
    a0 = _mm256_broadcast_ss(a + 4);
    a1 = _mm256_broadcast_ss(a + 5);
    c8 = _mm256_fmadd_ps(a0, b0, c8);
    c9 = _mm256_fmadd_ps(a0, b1, c9);
    c10 = _mm256_fmadd_ps(a1, b0, c10);
    c11 = _mm256_fmadd_ps(a1, b1, c11);
    a += lda;
    b += ldb;
  }
  acc[0] = c0; acc[1] = c1; acc[2] = c2; acc[3] = c3; acc[4] = c4; acc[5] = c5;
  acc[6] = c6; acc[7] = c7; acc[8] = c8; acc[9] = c9; acc[10] = c10; acc[11] = c11;
}

}  // namespace lepton
