// Winograd F(2x2,3x3) kernels with AVX-512 (compiled with AVX-512 F/VL/BW/DQ; called only when
// cpu_has_avx512()): the input transform, the products and the output transform. The weight
// transform stays in conv2d_winograd_avx2.cc, where the layouts are described, except that output
// channels come in panels of 8 here (Mpad = M rounded up to 8 = Mld).
// GCC 12's AVX-512 intrinsics (max) leave an undefined pass-through operand that its own
// -Wmaybe-uninitialized flags (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>

#include "conv2d_winograd_layout.h"
#include "conv2d_winograd_output.h"

namespace lepton {
namespace conv_detail {

namespace {

// C(8*NR x 16*NV) = A (K rows of 8*NR output channels, row stride lda) * B (K rows of 16*NV
// tiles, row stride ldb), with 16 zmm accumulators (8x32 or 16x16): NV B loads and 8*NR
// broadcasts per 16 FMAs, and enough independent sums to cover the FMA latency on both pipes.
template <int NR, int NV>
void wino_kernel(int64_t K, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                 int64_t ldc) {
  constexpr int R = 8 * NR;
  // (fully unrolled: otherwise GCC 12 spills the accumulators to the stack before storing them)
  __m512 acc[R][NV];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    __m512 bv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
    a += lda;
    b += ldb;
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(c + r * ldc + 16 * v, acc[r][v]);
}

// Row tails as one masked store per output row (fast with AVX-512 k-masks): small images' tile
// rows (6 tiles for an 11x11 output) never fill a whole vector.
struct WinoTailMasked {
  static void store(float* y0, float* y1, bool two_rows, int64_t cnt, __m256 r00, __m256 r01,
                    __m256 r10, __m256 r11) {
    const __mmask16 mask = __mmask16((1u << cnt) - 1u);
    _mm512_mask_storeu_ps(y0, mask, _mm512_insertf32x8(_mm512_castps256_ps512(r00), r01, 1));
    if (two_rows) _mm512_mask_storeu_ps(y1, mask, _mm512_insertf32x8(_mm512_castps256_ps512(r10), r11, 1));
  }
  static void store_part(float* y, int64_t cnt, __m256 v) { _mm256_mask_storeu_ps(y, __mmask8((1u << cnt) - 1u), v); }
};

// 16 lanes, k-masked loads and stores (wino_output_pooled_impl).
struct WinoVec512 {
  using F = __m512;
  static constexpr int64_t kLanes = 16;
  static __mmask16 mask(int64_t n) { return __mmask16(n >= 16 ? 0xFFFFu : (1u << n) - 1u); }
  static F load(const float* p, int64_t n) { return _mm512_maskz_loadu_ps(mask(n), p); }
  static void store(float* p, int64_t n, F v) { _mm512_mask_storeu_ps(p, mask(n), v); }
  static F set1(float v) { return _mm512_set1_ps(v); }
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
};

}  // namespace

// The output transform (conv2d_winograd_output.h), row tails as masked stores; with a pool over
// the pooled grid, vectors across tile rows.
void wino_output_transform_avx512(const float* Z, int64_t m0, int64_t m1, int64_t Mpad,
                                  int64_t Tpad, int64_t j0, int64_t T, int64_t ntw, int64_t OH,
                                  int64_t OW, const float* bias, int relu, int pool, float* yn) {
  if (pool && ntw == OW / 2)
    wino_output_pooled_impl<WinoVec512>(Z, m0, m1, Mpad, Tpad, j0, T, (OH / 2) * (OW / 2), bias, relu, yn);
  else
    wino_output_transform_impl<WinoTailMasked>(Z, m0, m1, Mpad, Tpad, j0, T, ntw, OH, OW, bias, relu, pool, yn);
}

// Z[f] (Mpad x Tpad) = U[f]^T (Mpad x C, ld Mld) * V[f] (C x Tpad) for frequencies [f0, f1),
// 8-row panels [mp0, mp1). Tpad is a multiple of 16: 32-column panels, then one of 16 if left.
void wino_gemm_avx512(const float* U, int64_t Mld, int64_t Mpad, int64_t C, const float* V,
                      int64_t Tpad, float* Z, int64_t f0, int64_t f1, int64_t mp0, int64_t mp1) {
  for (int64_t f = f0; f < f1; ++f) {
    const float* uf = U + f * C * Mld;
    const float* vf = V + f * wino_v_fstride(C, Tpad);
    float* zf = Z + f * wino_z_fstride(Mpad, Tpad);
    int64_t j = 0;
    for (; j + 32 <= Tpad; j += 32)
      for (int64_t mp = mp0; mp < mp1; ++mp)
        wino_kernel<1, 2>(C, uf + mp * 8, Mld, vf + j, Tpad, zf + mp * 8 * Tpad + j, Tpad);
    if (j == Tpad) continue;
    // The last 16 columns: two panels at a time (16x16), then an 8x16 if one is left.
    int64_t mp = mp0;
    for (; mp + 2 <= mp1; mp += 2)
      wino_kernel<2, 1>(C, uf + mp * 8, Mld, vf + j, Tpad, zf + mp * 8 * Tpad + j, Tpad);
    if (mp < mp1) wino_kernel<1, 1>(C, uf + mp * 8, Mld, vf + j, Tpad, zf + mp * 8 * Tpad + j, Tpad);
  }
}

namespace {

// V's 16 frequency rows for a vector of tiles: (B^T d B)[i][k] -> store(4i + k, value). F is any
// vector width (GCC's vector + and -); store writes one row with the caller's lane mask.
template <class F, class Store>
inline void wino_input_tiles(const F (&d)[4][4], const Store& store) {
  F t[4][4];  // t[r][k] = (B^T d)[r][k]
  for (int k = 0; k < 4; ++k) {
    t[0][k] = d[0][k] - d[2][k];
    t[1][k] = d[1][k] + d[2][k];
    t[2][k] = d[2][k] - d[1][k];
    t[3][k] = d[1][k] - d[3][k];
  }
  for (int i = 0; i < 4; ++i) {
    store(4 * i + 0, t[i][0] - t[i][2]);
    store(4 * i + 1, t[i][1] + t[i][2]);
    store(4 * i + 2, t[i][2] - t[i][1]);
    store(4 * i + 3, t[i][1] - t[i][3]);
  }
}

// Two whole tile rows th, th + 1 of a narrow image (ntw <= 7 tiles: a row's 2*ntw + 2 input
// columns fit one vector) in one 16-lane vector, lanes [0, ntw) and [ntw, 2*ntw): both rows'
// inputs (rows 2th .. 2th + 5) are loaded once and each d[r][k] is one two-source permute. Writes
// columns [col, col + 2*ntw) of V for channels [c0, c1).
void wino_input_two_rows(const float* xn, int64_t c0, int64_t c1, int64_t H, int64_t W, int64_t pt, int64_t pl,
                         int64_t ntw, int64_t th, int64_t Tpad, int64_t fstride, float* V) {
  alignas(64) int32_t lanes[4][16];
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 16; ++i)
      lanes[k][i] = int32_t(i < ntw ? 2 * i + k : i < 2 * ntw ? 16 + 2 * (i - ntw) + k : 0);
  __m512i pick[4];
  for (int k = 0; k < 4; ++k) pick[k] = _mm512_load_si512(lanes[k]);
  const int64_t q0 = -pl, lo = q0 < 0 ? -q0 : 0, hi = W - q0 < 2 * ntw + 2 ? W - q0 : 2 * ntw + 2;
  const __mmask16 load = __mmask16(hi > lo ? ((1u << hi) - 1u) & ~((1u << lo) - 1u) : 0u);
  const __mmask16 store = __mmask16((1u << (2 * ntw)) - 1u);
  for (int64_t c = c0; c < c1; ++c) {
    __m512 seg[6];  // input rows 2th - pt + i, columns q0 ..
    for (int i = 0; i < 6; ++i) {
      const int64_t ih = 2 * th - pt + i;
      seg[i] = ih < 0 || ih >= H ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(load, xn + (c * H + ih) * W + q0);
    }
    __m512 d[4][4];
    for (int r = 0; r < 4; ++r)
      for (int k = 0; k < 4; ++k) d[r][k] = _mm512_permutex2var_ps(seg[r], pick[k], seg[r + 2]);
    float* v = V + c * Tpad;
    wino_input_tiles(d, [&](int f, __m512 x) { _mm512_mask_storeu_ps(v + f * fstride, store, x); });
  }
}

}  // namespace

// Channels [c0, c1) of V for tiles [j0, j0 + T) of one image xn [C][H][W], into columns
// [col0, col0 + T) of V (the columns past them up to Tpad are left as they are: the products of
// those columns are never read). Rows are read straight from the image: masked loads supply the
// zero padding, so there is no padded copy and no staging. Vectorised over 8 tiles of a tile row.
void wino_input_transform_avx512(const float* xn, int64_t C, int64_t c0, int64_t c1, int64_t H,
                                 int64_t W, int64_t pt, int64_t pl, int64_t ntw, int64_t j0,
                                 int64_t T, int64_t Tpad, int64_t col0, float* V) {
  const int64_t fstride = wino_v_fstride(C, Tpad);
  // d[r][k] of 8 tiles = columns 2t + k of an 18-column row segment held in (a, b).
  const __m512i pick[4] = {
      _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0),
      _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 0, 0, 0, 0, 0, 0, 0, 0),
      _mm512_setr_epi32(2, 4, 6, 8, 10, 12, 14, 16, 0, 0, 0, 0, 0, 0, 0, 0),
      _mm512_setr_epi32(3, 5, 7, 9, 11, 13, 15, 17, 0, 0, 0, 0, 0, 0, 0, 0)};
  for (int64_t j = j0; j < j0 + T;) {
    const int64_t th = j / ntw, twa = j % ntw;
    if (ntw <= 7 && twa == 0 && j + 2 * ntw <= j0 + T) {
      wino_input_two_rows(xn, c0, c1, H, W, pt, pl, ntw, th, Tpad, fstride, V + col0 + (j - j0));
      j += 2 * ntw;
      continue;
    }
    const int64_t twb = ntw < twa + (j0 + T - j) ? ntw : twa + (j0 + T - j);
    for (int64_t tw = twa; tw < twb; tw += 8) {
      const int64_t n = twb - tw < 8 ? twb - tw : 8;
      // Segment columns i in [lo, hi) are inside the image row (input column q0 + i).
      const int64_t q0 = 2 * tw - pl;
      const int64_t lo = q0 < 0 ? -q0 : 0, hi = W - q0 < 18 ? W - q0 : 18;
      const uint64_t bits = hi > lo ? ((uint64_t(1) << hi) - 1) & ~((uint64_t(1) << lo) - 1) : 0;
      const __mmask16 mlo = __mmask16(bits), mhi = __mmask16(bits >> 16);
      const __mmask8 store = __mmask8((1u << n) - 1u);
      float* v0 = V + col0 + (j + (tw - twa) - j0);
      for (int64_t c = c0; c < c1; ++c) {
        __m256 d[4][4];
        for (int r = 0; r < 4; ++r) {
          const int64_t ih = 2 * th - pt + r;
          if (ih < 0 || ih >= H) {
            for (auto& v : d[r]) v = _mm256_setzero_ps();
            continue;
          }
          const float* row = xn + (c * H + ih) * W + q0;
          const __m512 a = _mm512_maskz_loadu_ps(mlo, row);
          const __m512 b = _mm512_maskz_loadu_ps(mhi, row + 16);
          for (int k = 0; k < 4; ++k) d[r][k] = _mm512_castps512_ps256(_mm512_permutex2var_ps(a, pick[k], b));
        }
        float* v = v0 + c * Tpad;
        wino_input_tiles(d, [&](int f, __m256 x) { _mm256_mask_storeu_ps(v + f * fstride, store, x); });
      }
    }
    j += twb - twa;
  }
}

}  // namespace conv_detail
}  // namespace lepton
