// AVX2+FMA direct depthwise convolution kernel (compiled with -mavx2 -mfma; called only when
// cpu_isa() == avx2_fma).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "fma_6x16_avx2.h"

namespace lepton {
namespace conv_detail {

namespace {

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

// Even-indexed floats of p[0..16): p[0], p[2], ..., p[14].
inline __m256 load_even(const float* p) {
  const __m256 a = _mm256_loadu_ps(p);
  const __m256 b = _mm256_loadu_ps(p + 8);
  const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));  // a0 a2 b0 b2 | a4 a6 b4 b6
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
}


// R output rows x NB*8 output columns starting at column ow. xr0[r] points at the padded input row
// of output row r's first tap row; dst[r] + ow receives the results.
template <int R, int NB>
inline void dw_tile(const float* const* xr0, int64_t Wp, const float* w, int64_t KH, int64_t KW,
                    int64_t dh, int64_t dw, int64_t sw, float bias, int relu, int64_t ow,
                    float* const* dst) {
  __m256 acc[R][NB];
  const __m256 vb = _mm256_set1_ps(bias);
  for (int r = 0; r < R; ++r)
    for (int b = 0; b < NB; ++b) acc[r][b] = vb;
  const __m256i gidx =
      _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(int(sw)));
  for (int64_t kh = 0; kh < KH; ++kh) {
    const float* wr = w + kh * KW;
    for (int64_t kw = 0; kw < KW; ++kw) {
      const __m256 wv = _mm256_broadcast_ss(wr + kw);
      const int64_t off = kh * dh * Wp + kw * dw + ow * sw;
      if (sw == 1) {
        for (int r = 0; r < R; ++r)
          for (int b = 0; b < NB; ++b)
            acc[r][b] = _mm256_fmadd_ps(_mm256_loadu_ps(xr0[r] + off + 8 * b), wv, acc[r][b]);
      } else if (sw == 2) {
        for (int r = 0; r < R; ++r)
          for (int b = 0; b < NB; ++b)
            acc[r][b] = _mm256_fmadd_ps(load_even(xr0[r] + off + 16 * b), wv, acc[r][b]);
      } else {
        for (int r = 0; r < R; ++r)
          for (int b = 0; b < NB; ++b)
            acc[r][b] = _mm256_fmadd_ps(_mm256_i32gather_ps(xr0[r] + off + 8 * b * sw, gidx, 4), wv,
                                        acc[r][b]);
      }
    }
  }
  const __m256 vz = _mm256_setzero_ps();
  for (int r = 0; r < R; ++r)
    for (int b = 0; b < NB; ++b) {
      __m256 v = relu ? _mm256_max_ps(acc[r][b], vz) : acc[r][b];
      _mm256_storeu_ps(dst[r] + ow + 8 * b, v);
    }
}

}  // namespace

// The plane is first copied into a zero-padded per-thread buffer covering every tap of every
// output, so all output columns take the vector path without bounds checks.
// Floats of scratch depthwise_plane_avx2 needs (the zero-padded plane).
int64_t depthwise_scratch_avx2(int64_t OH, int64_t OW, int64_t KH, int64_t KW, int64_t sh, int64_t sw,
                               int64_t dh, int64_t dw) {
  const int64_t OWr = (OW + 7) / 8 * 8;
  const int64_t Hp = (OH - 1) * sh + (KH - 1) * dh + 1;
  const int64_t Wp = (OWr - 1) * sw + (KW - 1) * dw + 1 + (sw == 2 ? 1 : 0);
  return Hp * Wp + 8;
}

// KH <= kMaxDwRows (the caller checks).
void depthwise_plane_avx2(const float* x, const float* w, float bias, float* y, int64_t H, int64_t W,
                          int64_t OH, int64_t OW, int64_t KH, int64_t KW, int64_t sh, int64_t sw,
                          int64_t pt, int64_t pl, int64_t dh, int64_t dw, int relu, float* scratch) {
  const int64_t OWr = (OW + 7) / 8 * 8;
  const int64_t Hp = (OH - 1) * sh + (KH - 1) * dh + 1;
  // Columns read by the rounded-up output row (stride 2 reads 16 floats per 8 outputs).
  const int64_t Wp = (OWr - 1) * sw + (KW - 1) * dw + 1 + (sw == 2 ? 1 : 0);
  float* xp = scratch;
  for (int64_t r = 0; r < Hp; ++r) {
    const int64_t ih = r - pt;
    float* d = xp + r * Wp;
    if (ih < 0 || ih >= H) {
      std::memset(d, 0, sizeof(float) * Wp);
      continue;
    }
    // d[c] = x[ih, c - pl]
    const int64_t c0 = imin(Wp, imax(0, pl));        // first real column
    const int64_t c1 = imin(Wp, imax(c0, W + pl));  // end of real columns
    if (c0 > 0) std::memset(d, 0, sizeof(float) * c0);
    if (c1 > c0) std::memcpy(d + c0, x + ih * W + (c0 - pl), sizeof(float) * (c1 - c0));
    if (Wp > c1) std::memset(d + c1, 0, sizeof(float) * (Wp - c1));
  }
  const float bias_ = bias;
  // Outputs per tile: R rows x NB*8 columns, R*NB independent accumulators (FMA latency hiding).
  auto run_row_tiles = [&](int64_t oh, auto rtag) {
    constexpr int R = decltype(rtag)::value;
    float* yr[R];
    const float* xr0[R];
    for (int r = 0; r < R; ++r) {
      yr[r] = y + (oh + r) * OW;
      xr0[r] = xp + (oh + r) * sh * Wp;
    }
    int64_t ow = 0;
    for (; ow + 32 <= OW; ow += 32) dw_tile<R, 4>(xr0, Wp, w, KH, KW, dh, dw, sw, bias_, relu, ow, yr);
    const int64_t rem = (OW - ow) / 8;
    if (rem == 3) dw_tile<R, 3>(xr0, Wp, w, KH, KW, dh, dw, sw, bias_, relu, ow, yr);
    if (rem == 2) dw_tile<R, 2>(xr0, Wp, w, KH, KW, dh, dw, sw, bias_, relu, ow, yr);
    if (rem == 1) dw_tile<R, 1>(xr0, Wp, w, KH, KW, dh, dw, sw, bias_, relu, ow, yr);
    ow += rem * 8;
    if (ow < OW) {
      if (OW >= 8) {
        dw_tile<R, 1>(xr0, Wp, w, KH, KW, dh, dw, sw, bias_, relu, OW - 8, yr);  // overlapping
      } else {
        alignas(32) float tail[R][8];
        float* tr[R];
        for (int r = 0; r < R; ++r) tr[r] = tail[r];
        dw_tile<R, 1>(xr0, Wp, w, KH, KW, dh, dw, sw, bias_, relu, 0, tr);
        for (int r = 0; r < R; ++r)
          for (int64_t i = 0; i < OW; ++i) yr[r][i] = tail[r][i];
      }
    }
  };
  int64_t oh = 0;
  for (; oh + 2 <= OH; oh += 2) run_row_tiles(oh, std::integral_constant<int, 2>());
  if (oh < OH) run_row_tiles(oh, std::integral_constant<int, 1>());
}

}  // namespace conv_detail
}  // namespace lepton

// ---------------------------------------------------------------------------------------------
// Packed implicit GEMM for the general path: weights packed once into 6-row panels, im2col written
// straight into 16-column panels, and a 6x16 FMA micro-kernel with K blocking, so no separate
// GEMM packing pass is needed.
namespace lepton {
namespace conv_detail {

constexpr int64_t kMR = 6, kNR = 16, kKC = 256;

// ap[(mp*K + k)*6 + r] = wg[(mp*6 + r)*K + k], zero for rows >= Mg.
void conv_pack_a_avx2(const float* wg, int64_t Mg, int64_t K, float* ap) {
  const int64_t mpanels = (Mg + kMR - 1) / kMR;
  for (int64_t mp = 0; mp < mpanels; ++mp) {
    float* d = ap + mp * K * kMR;
    for (int r = 0; r < kMR; ++r) {
      const int64_t m = mp * kMR + r;
      if (m < Mg) {
        const float* s = wg + m * K;
        for (int64_t k = 0; k < K; ++k) d[k * kMR + r] = s[k];
      } else {
        for (int64_t k = 0; k < K; ++k) d[k * kMR + r] = 0.f;
      }
    }
  }
}

// Scatters nr im2col rows (rows k0.., row stride rs, nc columns) into the 16-column panels of bp
// (K rows per panel); the last panel's unused columns are zeroed.
void conv_pack_b_rows_avx2(const float* rows, int64_t rs, int64_t nr, int64_t nc, int64_t K,
                           int64_t k0, float* bp) {
  const int64_t full = nc / kNR;
  for (int64_t jp = 0; jp < full; ++jp) {
    float* d = bp + (jp * K + k0) * kNR;
    const float* s = rows + jp * kNR;
    for (int64_t i = 0; i < nr; ++i) {
      _mm256_storeu_ps(d + i * kNR, _mm256_loadu_ps(s + i * rs));
      _mm256_storeu_ps(d + i * kNR + 8, _mm256_loadu_ps(s + i * rs + 8));
    }
  }
  const int64_t rem = nc - full * kNR;
  if (rem) {
    float* d = bp + (full * K + k0) * kNR;
    const float* s = rows + full * kNR;
    for (int64_t i = 0; i < nr; ++i) {
      int64_t c = 0;
      for (; c < rem; ++c) d[i * kNR + c] = s[i * rs + c];
      for (; c < kNR; ++c) d[i * kNR + c] = 0.f;
    }
  }
}

namespace {

// acc += A panel (kc x 6) * B panel (kc x 16).
inline void kernel_6x16(int64_t kc, const float* a, const float* b, __m256 (&acc)[12]) {
  fma_6x16_avx2(kc, a, kMR, b, kNR, acc);
}

}  // namespace

// C[0:Mg, 0:nc] (leading dimension ldc) = A * B (+ bias[m], relu), A and B packed as above.
// Single-threaded; the caller splits work across threads.
void conv_gemm_packed_avx2(int64_t Mg, int64_t nc, int64_t K, const float* ap, const float* bp,
                           float* C, int64_t ldc, const float* bias, int relu) {
  const int64_t mpanels = (Mg + kMR - 1) / kMR, npanels = (nc + kNR - 1) / kNR;
  const __m256 vz = _mm256_setzero_ps();
  alignas(32) float tile[kMR * kNR];
  for (int64_t k0 = 0; k0 < K; k0 += kKC) {
    const int64_t kc = imin(kKC, K - k0);
    const bool first = k0 == 0, last = k0 + kc >= K;
    for (int64_t jp = 0; jp < npanels; ++jp) {
      const float* b = bp + (jp * K + k0) * kNR;
      const int64_t j = jp * kNR;
      const int64_t ncr = imin(kNR, nc - j);
      for (int64_t mp = 0; mp < mpanels; ++mp) {
        const float* a = ap + (mp * K + k0) * kMR;
        const int64_t m = mp * kMR;
        const int64_t mr = imin(kMR, Mg - m);
        __m256 acc[12];
        for (int i = 0; i < 12; ++i) acc[i] = vz;
        kernel_6x16(kc, a, b, acc);
        float* c = C + m * ldc + j;
        if (ncr == kNR) {
          for (int64_t r = 0; r < mr; ++r) {
            float* cr = c + r * ldc;
            __m256 v0 = acc[2 * r], v1 = acc[2 * r + 1];
            if (!first) {
              v0 = _mm256_add_ps(v0, _mm256_loadu_ps(cr));
              v1 = _mm256_add_ps(v1, _mm256_loadu_ps(cr + 8));
            }
            if (last) {
              if (bias) {
                const __m256 bv = _mm256_set1_ps(bias[m + r]);
                v0 = _mm256_add_ps(v0, bv);
                v1 = _mm256_add_ps(v1, bv);
              }
              if (relu) {
                v0 = _mm256_max_ps(v0, vz);
                v1 = _mm256_max_ps(v1, vz);
              }
            }
            _mm256_storeu_ps(cr, v0);
            _mm256_storeu_ps(cr + 8, v1);
          }
        } else {
          for (int r = 0; r < kMR; ++r) {
            _mm256_store_ps(tile + r * kNR, acc[2 * r]);
            _mm256_store_ps(tile + r * kNR + 8, acc[2 * r + 1]);
          }
          for (int64_t r = 0; r < mr; ++r) {
            float* cr = c + r * ldc;
            const float bv = (last && bias) ? bias[m + r] : 0.f;
            for (int64_t q = 0; q < ncr; ++q) {
              float v = tile[r * kNR + q] + (first ? 0.f : cr[q]);
              if (last) {
                v += bv;
                if (relu && v < 0.f) v = 0.f;
              }
              cr[q] = v;
            }
          }
        }
      }
    }
  }
}

}  // namespace conv_detail
}  // namespace lepton
