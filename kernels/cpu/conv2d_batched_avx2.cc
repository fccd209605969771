// AVX2 gather for conv2d_batched.cc (compiled with -mavx2 -mfma; called only when cpu_isa() ==
// avx2_fma): one 16-column panel of the packed column matrix, one output pixel of 16 images.
#include <immintrin.h>

#include <cstdint>

namespace lepton {
namespace conv_detail {

// dst[k*16 + l] = image l's input at offset tap[k * P] (0 where tap < 0, and for lanes >= `lanes`),
// images `img_stride` floats apart from `base`, for k in [0, K).
void batched_gather_panel_avx2(const float* base, int64_t img_stride, int lanes, const int32_t* tap, int64_t P,
                               int64_t K, float* dst) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i idx_lo = _mm256_mullo_epi32(iota, _mm256_set1_epi32(int32_t(img_stride)));
  const __m256i idx_hi = _mm256_add_epi32(idx_lo, _mm256_set1_epi32(int32_t(8 * img_stride)));
  const __m256 mask_lo = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), iota));
  const __m256 mask_hi = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(lanes - 8), iota));
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t k = 0; k < K; ++k, dst += 16) {
    const int32_t o = tap[k * P];
    if (o < 0) {
      _mm256_storeu_ps(dst, zero);
      _mm256_storeu_ps(dst + 8, zero);
      continue;
    }
    const float* b = base + o;
    _mm256_storeu_ps(dst, _mm256_mask_i32gather_ps(zero, b, idx_lo, mask_lo, 4));
    _mm256_storeu_ps(dst + 8, _mm256_mask_i32gather_ps(zero, b, idx_hi, mask_hi, 4));
  }
}

}  // namespace conv_detail
}  // namespace lepton
