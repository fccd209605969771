// Winograd F(2x2,3x3) convolution kernels, AVX2+FMA (compiled with -mavx2 -mfma; called only when
// cpu_isa() == avx2_fma). Dispatch, tiling, threading and workspaces are in conv2d_winograd.cc.
//
// Layouts for one block of T tiles (tile j of the block = tile j0 + j of the image, tiles numbered
// row-major over the ceil(OH/2) x ceil(OW/2) tile grid), ld = Tpad (T rounded up to 16):
//   U  transformed weights [16][C][Mld] (Mpad = M rounded up to 6, Mld = Mpad rounded up to 8;
//      columns >= M are zero); the micro-kernel reads 6 consecutive output channels per row
//   V  transformed input  [16][C][Tpad]
//   Z  transformed output [16][Mpad][Tpad]
// Both transforms are vectorised over 8 consecutive tiles of one tile row.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "conv2d_winograd_layout.h"
#include "conv2d_winograd_output.h"
#include "fma_6x16_avx2.h"

namespace lepton {
namespace conv_detail {

namespace {

inline int64_t wmin(int64_t a, int64_t b) { return a < b ? a : b; }

// Even- and odd-indexed floats of p[0..16).
inline void load_deinterleave(const float* p, __m256* even, __m256* odd) {
  const __m256 a = _mm256_loadu_ps(p);
  const __m256 b = _mm256_loadu_ps(p + 8);
  const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));  // a0 a2 b0 b2 | a4 a6 b4 b6
  const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
  *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
  *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
}

inline __m256i lane_mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// C(6x16) = A (K rows of 6, row stride lda) * B (K rows of 16, row stride ldb).
inline void wino_kernel_6x16(int64_t K, const float* a, int64_t lda, const float* b, int64_t ldb,
                             float* c, int64_t ldc) {
  __m256 acc[12];
  for (auto& v : acc) v = _mm256_setzero_ps();
  fma_6x16_avx2(K, a, lda, b, ldb, acc);
  for (int r = 0; r < 6; ++r) {
    _mm256_storeu_ps(c + r * ldc, acc[2 * r]);
    _mm256_storeu_ps(c + r * ldc + 8, acc[2 * r + 1]);
  }
}

}  // namespace

// Floats of staging wino_input_transform_avx2 needs.
int64_t wino_stage_floats_avx2(int64_t ntw) { return 4 * (2 * ntw + 18); }

// Channels [c0, c1) of V for tiles [j0, j0 + T) of one image xn [C][H][W], into columns
// [col0, col0 + T) of V; the columns [col0 + T, Tpad) are zeroed. With xpad (the image zero-padded: [C][2*nth + 2][2*ntw + 18], row i and column
// q holding x[i - pt][q - pl]) rows are read from it; else each tile row is staged first.
void wino_input_transform_avx2(const float* xn, int64_t C, int64_t c0, int64_t c1, int64_t H,
                               int64_t W, int64_t pt, int64_t pl, int64_t ntw, int64_t j0,
                               int64_t T, int64_t Tpad, int64_t col0, float* V, float* stage,
                               const float* xpad, int64_t Hpad) {
  const int64_t Wp = 2 * ntw + 18;
  const int64_t fstride = wino_v_fstride(C, Tpad);
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = xn + c * H * W;
    float* vc = V + c * Tpad + col0;
    for (int64_t j = j0; j < j0 + T;) {
      const int64_t th = j / ntw, twa = j % ntw;
      const int64_t twb = wmin(ntw, twa + (j0 + T - j));
      const int64_t nch = (twb - twa + 7) / 8;
      const float* src = xpad ? xpad + (c * Hpad + 2 * th) * Wp : stage;
      // Stage the 4 input rows of this tile row, columns q in [qa, qb) (input column q - pl),
      // zero outside the image.
      const int64_t qa = 2 * twa, qb = 2 * twa + 16 * nch + 2;
      for (int r = 0; r < 4 && !xpad; ++r) {
        float* d = stage + r * Wp;
        const int64_t ih = 2 * th - pt + r;
        if (ih < 0 || ih >= H) {
          std::memset(d + qa, 0, sizeof(float) * (qb - qa));
          continue;
        }
        const float* xr = xc + ih * W;
        int64_t a = qa < pl ? pl : qa;                   // first real column
        int64_t b = qb < W + pl ? qb : W + pl;           // end of real columns
        if (a > qb) a = qb;
        if (b < a) b = a;
        if (a > qa) std::memset(d + qa, 0, sizeof(float) * (a - qa));
        if (b > a) std::memcpy(d + a, xr + (a - pl), sizeof(float) * (b - a));
        if (qb > b) std::memset(d + b, 0, sizeof(float) * (qb - b));
      }
      for (int64_t tw = twa; tw < twb; tw += 8) {
        const int64_t n = wmin(8, twb - tw);
        __m256 t[4][4];  // t[r][k] = (B^T d)[r][k], 8 tiles
        __m256 d[4][4];
        for (int r = 0; r < 4; ++r) {
          const float* p = src + r * Wp + 2 * tw;
          load_deinterleave(p, &d[r][0], &d[r][1]);
          load_deinterleave(p + 2, &d[r][2], &d[r][3]);
        }
        for (int k = 0; k < 4; ++k) {
          t[0][k] = _mm256_sub_ps(d[0][k], d[2][k]);
          t[1][k] = _mm256_add_ps(d[1][k], d[2][k]);
          t[2][k] = _mm256_sub_ps(d[2][k], d[1][k]);
          t[3][k] = _mm256_sub_ps(d[1][k], d[3][k]);
        }
        const int64_t col = j + (tw - twa) - j0;
        float* v = vc + col;
        // A whole vector when it stays inside the row's Tpad columns: the extra lanes land on
        // columns that later tiles (or the final zero fill) overwrite. Masked stores are slow on
        // AMD cores and dominated this transform on small images.
        const bool whole = n == 8 || col0 + col + 8 <= Tpad;
        const __m256i mask = lane_mask(n);
        for (int i = 0; i < 4; ++i) {
          __m256 o[4];
          o[0] = _mm256_sub_ps(t[i][0], t[i][2]);
          o[1] = _mm256_add_ps(t[i][1], t[i][2]);
          o[2] = _mm256_sub_ps(t[i][2], t[i][1]);
          o[3] = _mm256_sub_ps(t[i][1], t[i][3]);
          for (int k = 0; k < 4; ++k) {
            float* dst = v + (4 * i + k) * fstride;
            if (whole)
              _mm256_storeu_ps(dst, o[k]);
            else
              _mm256_maskstore_ps(dst, mask, o[k]);
          }
        }
      }
      j += twb - twa;
    }
    if (Tpad > col0 + T)
      for (int f = 0; f < 16; ++f) std::memset(vc + f * fstride + T, 0, sizeof(float) * (Tpad - col0 - T));
  }
}

// U[f][c][m] = (G g G^T)[f] of w[m][c] for output channels [m0, m1) (m0 a multiple of 8), zero
// for m in [M, Mld).
void wino_transform_weights_avx2(const float* w, int64_t M, int64_t C, int64_t Mld, int64_t m0,
                                 int64_t m1, float* U) {
  const __m256 half = _mm256_set1_ps(0.5f);
  const __m256i idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                         _mm256_set1_epi32(int(9 * C)));
  const int64_t fstride = C * Mld;
  // c outer, m inner: U is written in whole contiguous runs (no partial cache lines), and the
  // weight rows read for channel c are reused from cache for channel c + 1.
  for (int64_t c = 0; c < C; ++c)
    for (int64_t m = m0; m < m1; m += 8) {
      const int64_t nm = wmin(8, M - m);
      const __m256 mask = _mm256_castsi256_ps(lane_mask(nm < 0 ? 0 : nm));
      float* u = U + c * Mld + m;
      if (nm <= 0) {
        for (int f = 0; f < 16; ++f) _mm256_storeu_ps(u + f * fstride, _mm256_setzero_ps());
        continue;
      }
      const float* g = w + (m * C + c) * 9;
      __m256 gk[9];
      for (int k = 0; k < 9; ++k)
        gk[k] = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), g + k, idx, mask, 4);
      __m256 t[4][3];  // G g
      for (int k = 0; k < 3; ++k) {
        const __m256 g0 = gk[k], g1 = gk[3 + k], g2 = gk[6 + k];
        const __m256 s02 = _mm256_add_ps(g0, g2);
        t[0][k] = g0;
        t[1][k] = _mm256_mul_ps(half, _mm256_add_ps(s02, g1));
        t[2][k] = _mm256_mul_ps(half, _mm256_sub_ps(s02, g1));
        t[3][k] = g2;
      }
      for (int i = 0; i < 4; ++i) {  // (G g) G^T
        const __m256 a = t[i][0], b = t[i][1], cc = t[i][2];
        const __m256 sac = _mm256_add_ps(a, cc);
        _mm256_storeu_ps(u + (4 * i + 0) * fstride, a);
        _mm256_storeu_ps(u + (4 * i + 1) * fstride, _mm256_mul_ps(half, _mm256_add_ps(sac, b)));
        _mm256_storeu_ps(u + (4 * i + 2) * fstride, _mm256_mul_ps(half, _mm256_sub_ps(sac, b)));
        _mm256_storeu_ps(u + (4 * i + 3) * fstride, cc);
      }
    }
}

// Z[f] (Mpad x Tpad) = U[f]^T (Mpad x C, ld Mld) * V[f] (C x Tpad) for frequencies [f0, f1),
// 6-row panels [mp0, mp1).
void wino_gemm_avx2(const float* U, int64_t Mld, int64_t Mpad, int64_t C, const float* V,
                    int64_t Tpad, float* Z, int64_t f0, int64_t f1, int64_t mp0, int64_t mp1) {
  const int64_t npanels = Tpad / 16;
  for (int64_t f = f0; f < f1; ++f) {
    const float* uf = U + f * C * Mld;
    const float* vf = V + f * wino_v_fstride(C, Tpad);
    float* zf = Z + f * wino_z_fstride(Mpad, Tpad);
    for (int64_t jp = 0; jp < npanels; ++jp)
      for (int64_t mp = mp0; mp < mp1; ++mp)
        wino_kernel_6x16(C, uf + mp * 6, Mld, vf + jp * 16, Tpad, zf + mp * 6 * Tpad + jp * 16,
                         Tpad);
  }
}

// The output transform (conv2d_winograd_output.h), row tails through a buffer.
namespace {

// 8 lanes, plain loads (Z is readable 8 floats past its end) and a buffered tail store
// (wino_output_pooled_impl).
struct WinoVec256 {
  using F = __m256;
  static constexpr int64_t kLanes = 8;
  static F load(const float* p, int64_t) { return _mm256_loadu_ps(p); }
  static void store(float* p, int64_t n, F v) {
    if (n == 8) _mm256_storeu_ps(p, v);
    else WinoTailBuffered::store_part(p, n, v);
  }
  static F set1(float v) { return _mm256_set1_ps(v); }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
};

}  // namespace

// With a pool over the pooled grid: vectors of 8 tiles across tile rows.
void wino_output_transform_avx2(const float* Z, int64_t m0, int64_t m1, int64_t Mpad, int64_t Tpad,
                                int64_t j0, int64_t T, int64_t ntw, int64_t OH, int64_t OW,
                                const float* bias, int relu, int pool, float* yn) {
  if (pool && ntw == OW / 2)
    wino_output_pooled_impl<WinoVec256>(Z, m0, m1, Mpad, Tpad, j0, T, (OH / 2) * (OW / 2), bias, relu, yn);
  else
    wino_output_transform_impl<WinoTailBuffered>(Z, m0, m1, Mpad, Tpad, j0, T, ntw, OH, OW, bias, relu, pool, yn);
}

}  // namespace conv_detail
}  // namespace lepton
