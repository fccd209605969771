// AVX2 helpers of conv2d_batched.cc (compiled with -mavx2 -mfma; called only when cpu_has_avx2(),
// for the AVX-512 panels too): the images of a panel group transposed so that one tap of nr
// images is nr contiguous floats, and the panels' rows copied from there.
#include <immintrin.h>

#include <cstdint>

#include "transpose8_avx2.h"

namespace lepton {
namespace conv_detail {

// dst[c*ld_dst + r] = src[r*ld_src + c] for r < rows, c < cols: 8x8 blocks in registers, the
// edges scalar.
void batched_transpose_avx2(const float* src, int64_t ld_src, int64_t rows, int64_t cols, float* dst, int64_t ld_dst) {
  const int64_t r8 = rows / 8 * 8, c8 = cols / 8 * 8;
  for (int64_t r = 0; r < r8; r += 8) {
    for (int64_t c = 0; c < c8; c += 8) {
      __m256 v[8];
      for (int i = 0; i < 8; ++i) v[i] = _mm256_loadu_ps(src + (r + i) * ld_src + c);
      transpose8(v);
      for (int i = 0; i < 8; ++i) _mm256_storeu_ps(dst + (c + i) * ld_dst + r, v[i]);
    }
    for (int64_t c = c8; c < cols; ++c)
      for (int64_t i = r; i < r + 8; ++i) dst[c * ld_dst + i] = src[i * ld_src + c];
  }
  for (int64_t r = r8; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[c * ld_dst + r] = src[r * ld_src + c];
}

// dst[k*nr + l] = xt[tap[k*P]*nr + l] (0 where tap < 0) for k < K, l < nr (a multiple of 8).
void batched_panel_rows_avx2(const float* xt, int64_t nr, const int32_t* tap, int64_t P, int64_t K, float* dst) {
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t k = 0; k < K; ++k, dst += nr) {
    const int32_t o = tap[k * P];
    if (o < 0) {
      for (int64_t l = 0; l < nr; l += 8) _mm256_storeu_ps(dst + l, zero);
      continue;
    }
    const float* s = xt + int64_t(o) * nr;
    for (int64_t l = 0; l < nr; l += 8) _mm256_storeu_ps(dst + l, _mm256_loadu_ps(s + l));
  }
}

}  // namespace conv_detail
}  // namespace lepton
