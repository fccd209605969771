// AVX2 interior row kernels for max/average pooling (compiled with -mavx2 -mfma; called only when
// cpu_isa() == avx2_fma). "Interior" columns [a, b) have every kw tap inside the input row, so no
// bounds checks are needed; the caller handles the edge columns.
#include <immintrin.h>

#include <cstdint>

namespace lepton {
namespace pool_detail {

namespace {

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

// Even-indexed floats of p[0..16).
inline __m256 load_even(const float* p) {
  const __m256 a = _mm256_loadu_ps(p);
  const __m256 b = _mm256_loadu_ps(p + 8);
  const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
}

// End (exclusive) of the columns that may start an 8-wide vector block.
inline int64_t vector_end(int64_t a, int64_t b, int64_t W, int64_t KW, int64_t dw, int64_t sw,
                          int64_t pl) {
  if (sw == 1) return b;
  if (sw != 2) return a;
  // stride 2 reads 16 floats: 2*ow + 15 + (KW-1)*dw - pl <= W - 1 for the block starting at ow
  const int64_t lim = W - 16 - (KW - 1) * dw + pl;
  if (lim < 0) return a;
  return imax(a, imin(b, lim / 2 + 8));
}

}  // namespace

// rows[i]: input row of the i-th valid tap row, already offset by -pad_left; row_index[i]: flat
// index of rows[i][0] (for the indices output). Writes yr[a..b) (and ir[a..b) when non-null).
void pool_max_row_avx2(const float* const* rows, const int64_t* row_index, int64_t nk,
                       int64_t W, int64_t KW, int64_t dw, int64_t sw, int64_t pl, int64_t a,
                       int64_t b, float* yr, int64_t* ir) {
  const int64_t vend = vector_end(a, b, W, KW, dw, sw, pl);
  auto block = [&](int64_t ow) {
    auto load = [&](int64_t i, int64_t kw) {
      const float* q = rows[i] + ow * sw + kw * dw;
      return sw == 1 ? _mm256_loadu_ps(q) : load_even(q);
    };
    __m256 m = load(0, 0);
    if (!ir) {
      for (int64_t i = 0; i < nk; ++i)
        for (int64_t kw = (i == 0 ? 1 : 0); kw < KW; ++kw) m = _mm256_max_ps(load(i, kw), m);
      _mm256_storeu_ps(yr + ow, m);
    } else {
      __m256i tap = _mm256_setzero_si256();
      for (int64_t i = 0; i < nk; ++i)
        for (int64_t kw = (i == 0 ? 1 : 0); kw < KW; ++kw) {
          const __m256 v = load(i, kw);
          const __m256 gt = _mm256_cmp_ps(v, m, _CMP_GT_OQ);
          m = _mm256_blendv_ps(m, v, gt);
          tap = _mm256_castps_si256(_mm256_blendv_ps(
              _mm256_castsi256_ps(tap), _mm256_castsi256_ps(_mm256_set1_epi32(int(i * KW + kw))), gt));
        }
      _mm256_storeu_ps(yr + ow, m);
      alignas(32) int32_t t[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(t), tap);
      for (int l = 0; l < 8; ++l) {
        const int64_t i = t[l] / KW, kw = t[l] % KW;
        ir[ow + l] = row_index[i] + (ow + l) * sw + kw * dw;
      }
    }
  };
  int64_t ow = a;
  for (; ow + 8 <= vend; ow += 8) block(ow);
  if (ow < vend && vend - a >= 8) {  // overlapping last block (recomputes identical values)
    block(vend - 8);
    ow = vend;
  }
  for (; ow < b; ++ow) {
    float m = rows[0][ow * sw];
    int64_t best = 0;
    for (int64_t i = 0; i < nk; ++i)
      for (int64_t kw = (i == 0 ? 1 : 0); kw < KW; ++kw) {
        const float v = rows[i][ow * sw + kw * dw];
        if (v > m) {
          m = v;
          best = i * KW + kw;
        }
      }
    yr[ow] = m;
    if (ir) ir[ow] = row_index[best / KW] + ow * sw + (best % KW) * dw;
  }
}

// yr[a..b) = scale * sum of the window taps.
void pool_sum_row_avx2(const float* const* rows, int64_t nk, int64_t W, int64_t KW, int64_t dw,
                       int64_t sw, int64_t pl, int64_t a, int64_t b, float scale, float* yr) {
  const int64_t vend = vector_end(a, b, W, KW, dw, sw, pl);
  const __m256 vs = _mm256_set1_ps(scale);
  auto block = [&](int64_t ow) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    for (int64_t i = 0; i < nk; ++i) {
      const float* q = rows[i] + ow * sw;
      int64_t kw = 0;
      if (sw == 1) {
        for (; kw + 2 <= KW; kw += 2) {
          s0 = _mm256_add_ps(s0, _mm256_loadu_ps(q + kw * dw));
          s1 = _mm256_add_ps(s1, _mm256_loadu_ps(q + (kw + 1) * dw));
        }
        for (; kw < KW; ++kw) s0 = _mm256_add_ps(s0, _mm256_loadu_ps(q + kw * dw));
      } else {
        for (; kw + 2 <= KW; kw += 2) {
          s0 = _mm256_add_ps(s0, load_even(q + kw * dw));
          s1 = _mm256_add_ps(s1, load_even(q + (kw + 1) * dw));
        }
        for (; kw < KW; ++kw) s0 = _mm256_add_ps(s0, load_even(q + kw * dw));
      }
    }
    _mm256_storeu_ps(yr + ow, _mm256_mul_ps(_mm256_add_ps(s0, s1), vs));
  };
  int64_t ow = a;
  for (; ow + 8 <= vend; ow += 8) block(ow);
  if (ow < vend && vend - a >= 8) {  // overlapping last block (recomputes identical values)
    block(vend - 8);
    ow = vend;
  }
  for (; ow < b; ++ow) {
    float s = 0.f;
    for (int64_t i = 0; i < nk; ++i)
      for (int64_t kw = 0; kw < KW; ++kw) s += rows[i][ow * sw + kw * dw];
    yr[ow] = s * scale;
  }
}

// 2x2 windows, stride 2, no padding or dilation, no indices, 2*OH <= H and 2*OW <= W: each output
// is max(r0[2j], r0[2j+1], r1[2j], r1[2j+1]) taken in that order with "replace when greater"
// (_mm256_max_ps(v, m) keeps m unless v > m), the generic path's tie and NaN rule.
void max_pool_2x2_plane_avx2(const float* x, int64_t W, int64_t OH, int64_t OW, float* y) {
  auto block8 = [&](const float* r0, const float* r1, float* yr, int64_t ow) {
    const float* a = r0 + 2 * ow;
    const float* b = r1 + 2 * ow;
    const __m256 a0 = _mm256_loadu_ps(a), a1 = _mm256_loadu_ps(a + 8);
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    // Even and odd columns, both in the lane order 0 2 8 10 | 4 6 12 14 (fixed by one permute below).
    __m256 m = _mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0));
    m = _mm256_max_ps(_mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)), m);
    m = _mm256_max_ps(_mm256_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), m);
    m = _mm256_max_ps(_mm256_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1)), m);
    m = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(m), _MM_SHUFFLE(3, 1, 2, 0)));
    _mm256_storeu_ps(yr + ow, m);
  };
  auto block4 = [&](const float* r0, const float* r1, float* yr, int64_t ow) {
    const float* a = r0 + 2 * ow;
    const float* b = r1 + 2 * ow;
    const __m128 a0 = _mm_loadu_ps(a), a1 = _mm_loadu_ps(a + 4);
    const __m128 b0 = _mm_loadu_ps(b), b1 = _mm_loadu_ps(b + 4);
    __m128 m = _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0));
    m = _mm_max_ps(_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)), m);
    m = _mm_max_ps(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), m);
    m = _mm_max_ps(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1)), m);
    _mm_storeu_ps(yr + ow, m);
  };
  for (int64_t oh = 0; oh < OH; ++oh) {
    const float* r0 = x + 2 * oh * W;
    const float* r1 = r0 + W;
    float* yr = y + oh * OW;
    int64_t ow = 0;
    // Blocks of 8 (16 input columns), then one overlapping block that ends at the row's end
    // (recomputing identical values), then the same with 4; the rest one by one.
    const int64_t last8 = (W - 16) / 2, last4 = (W - 8) / 2;
    if (W >= 16 && OW >= 8) {
      for (; ow + 8 <= OW && ow <= last8; ow += 8) block8(r0, r1, yr, ow);
      const int64_t tail = imin(OW - 8, last8);
      if (ow < OW && tail + 8 >= OW) {
        block8(r0, r1, yr, tail);
        ow = OW;
      }
    }
    if (ow < OW && W >= 8 && OW >= 4) {
      for (; ow + 4 <= OW && ow <= last4; ow += 4) block4(r0, r1, yr, ow);
      const int64_t tail = imin(OW - 4, last4);
      if (ow < OW && tail + 4 >= OW && tail >= 0) {
        block4(r0, r1, yr, tail);
        ow = OW;
      }
    }
    for (; ow < OW; ++ow) {
      float m = r0[2 * ow];
      const float t1 = r0[2 * ow + 1], t2 = r1[2 * ow], t3 = r1[2 * ow + 1];
      m = t1 > m ? t1 : m;
      m = t2 > m ? t2 : m;
      m = t3 > m ? t3 : m;
      yr[ow] = m;
    }
  }
}

}  // namespace pool_detail
}  // namespace lepton
