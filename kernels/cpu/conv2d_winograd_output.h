// The Winograd F(2x2,3x3) output transform, shared by the AVX2 and AVX-512 builds (include only
// from conv2d_winograd_avx2.cc / _avx512.cc). Everything here has internal linkage, so no copy
// built for one ISA can be bound by code built for another. The store of a row's outputs is a
// parameter: whole vectors inside the row either way, and the row's tail through a small buffer
// (AVX2: masked stores are slow on AMD cores) or one masked zmm store (AVX-512).
#pragma once
#include <immintrin.h>

#include <cstdint>

#include "conv2d_winograd_layout.h"

namespace lepton {
namespace conv_detail {
namespace {

// Outputs of 8 tiles of one tile row: r00/r01 hold row 0's 16 values (tile t's pair at 2t, 2t + 1),
// r2/r3 row 1's. Stores the first cnt (<= 16) of row 0 at y0 and, if two_rows, of row 1 at y1.
struct WinoTailBuffered {
  static void store(float* y0, float* y1, bool two_rows, int64_t cnt, __m256 r00, __m256 r01,
                    __m256 r10, __m256 r11) {
    alignas(32) float tmp[2][16];
    _mm256_store_ps(tmp[0], r00);
    _mm256_store_ps(tmp[0] + 8, r01);
    _mm256_store_ps(tmp[1], r10);
    _mm256_store_ps(tmp[1] + 8, r11);
    for (int64_t q = 0; q < cnt; ++q) y0[q] = tmp[0][q];
    if (two_rows)
      for (int64_t q = 0; q < cnt; ++q) y1[q] = tmp[1][q];
  }
  // The first cnt (< 8) of v at y.
  static void store_part(float* y, int64_t cnt, __m256 v) {
    alignas(32) float tmp[8];
    _mm256_store_ps(tmp, v);
    for (int64_t q = 0; q < cnt; ++q) y[q] = tmp[q];
  }
};

// y[m, oh, ow], m in [m0, m1), for tiles [j0, j0 + T) of one image from Z, + bias, relu. yn is
// [M][OH][OW]; with pool, the max of each tile's 2x2 outputs (a 2x2 / stride-2 max pool, floor:
// tiles with an output row or column outside the conv output are dropped) into yn [M][OH/2][OW/2].
// Z must have 8 readable floats past its end (partial chunks read whole vectors).
template <class Tail>
void wino_output_transform_impl(const float* Z, int64_t m0, int64_t m1, int64_t Mpad, int64_t Tpad,
                                int64_t j0, int64_t T, int64_t ntw, int64_t OH, int64_t OW,
                                const float* bias, int relu, int pool, float* yn) {
  const int64_t PH = OH / 2, PW = OW / 2;
  const int64_t fstride = wino_z_fstride(Mpad, Tpad);
  const __m256 vz = _mm256_setzero_ps();
  for (int64_t m = m0; m < m1; ++m) {
    const float* zm = Z + m * Tpad;
    float* ym = yn + m * (pool ? PH * PW : OH * OW);
    const __m256 vb = _mm256_set1_ps(bias ? bias[m] : 0.f);
    for (int64_t j = j0; j < j0 + T;) {
      const int64_t th = j / ntw, twa = j % ntw;
      const int64_t twb = ntw < twa + (j0 + T - j) ? ntw : twa + (j0 + T - j);
      const int64_t oh = 2 * th;
      const bool two_rows = oh + 1 < OH;
      for (int64_t tw = twa; tw < twb; tw += 8) {
        const int64_t n = twb - tw < 8 ? twb - tw : 8;
        const float* z = zm + (j + (tw - twa) - j0);
        __m256 s0[4], s1[4];  // (A^T Z)[0][k], (A^T Z)[1][k]
        for (int k = 0; k < 4; ++k) {
          const __m256 z0 = _mm256_loadu_ps(z + (0 + k) * fstride);
          const __m256 z1 = _mm256_loadu_ps(z + (4 + k) * fstride);
          const __m256 z2 = _mm256_loadu_ps(z + (8 + k) * fstride);
          const __m256 z3 = _mm256_loadu_ps(z + (12 + k) * fstride);
          s0[k] = _mm256_add_ps(_mm256_add_ps(z0, z1), z2);
          s1[k] = _mm256_sub_ps(_mm256_sub_ps(z1, z2), z3);
        }
        __m256 y00 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0[0], s0[1]), s0[2]), vb);
        __m256 y01 = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s0[1], s0[2]), s0[3]), vb);
        __m256 y10 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s1[0], s1[1]), s1[2]), vb);
        __m256 y11 = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s1[1], s1[2]), s1[3]), vb);
        if (relu) {
          y00 = _mm256_max_ps(y00, vz);
          y01 = _mm256_max_ps(y01, vz);
          y10 = _mm256_max_ps(y10, vz);
          y11 = _mm256_max_ps(y11, vz);
        }
        if (pool) {
          if (th >= PH || tw >= PW) continue;
          // In window order, a later value replacing only when greater: max_ps(a, m) is a > m ? a : m,
          // MaxPool's first-maximum (and NaN) rule.
          const __m256 v = _mm256_max_ps(y11, _mm256_max_ps(y10, _mm256_max_ps(y01, y00)));
          float* yp = ym + th * PW + tw;
          const int64_t cnt = n < PW - tw ? n : PW - tw;
          if (cnt == 8)
            _mm256_storeu_ps(yp, v);
          else
            Tail::store_part(yp, cnt, v);
          continue;
        }
        // Interleave: row 0 = y00[0] y01[0] y00[1] y01[1] ...
        const __m256 l0 = _mm256_unpacklo_ps(y00, y01), h0 = _mm256_unpackhi_ps(y00, y01);
        const __m256 l1 = _mm256_unpacklo_ps(y10, y11), h1 = _mm256_unpackhi_ps(y10, y11);
        const __m256 r00 = _mm256_permute2f128_ps(l0, h0, 0x20);
        const __m256 r01 = _mm256_permute2f128_ps(l0, h0, 0x31);
        const __m256 r10 = _mm256_permute2f128_ps(l1, h1, 0x20);
        const __m256 r11 = _mm256_permute2f128_ps(l1, h1, 0x31);
        const int64_t ow = 2 * tw;
        float* y0 = ym + oh * OW + ow;
        float* y1 = y0 + OW;
        if (n == 8 && ow + 16 <= OW) {
          _mm256_storeu_ps(y0, r00);
          _mm256_storeu_ps(y0 + 8, r01);
          if (two_rows) {
            _mm256_storeu_ps(y1, r10);
            _mm256_storeu_ps(y1 + 8, r11);
          }
        } else {
          const int64_t cnt = 2 * n < OW - ow ? 2 * n : OW - ow;
          Tail::store(y0, y1, two_rows, cnt, r00, r01, r10, r11);
        }
      }
      j += twb - twa;
    }
  }
}

// The output transform with a fused pool over the pooled tile grid (ntw = OW / 2, as
// conv2d_winograd.cc lays it out): tile j is pooled output j of its plane, so V::kLanes tiles at a
// time, across tile rows, are one vector. The same arithmetic, in the same order, as
// wino_output_transform_impl. V: the vector type and its ops (AVX2: 8 lanes, plain loads, the
// Z workspace being readable 8 floats past its end; AVX-512: 16 lanes, k-masked); + and - are
// GCC's vector operators, left to right as in the intrinsics version.
template <class V>
void wino_output_pooled_impl(const float* Z, int64_t m0, int64_t m1, int64_t Mpad, int64_t Tpad, int64_t j0,
                             int64_t T, int64_t plane, const float* bias, int relu, float* yn) {
  using F = typename V::F;
  const int64_t fstride = wino_z_fstride(Mpad, Tpad);
  const F vz = V::set1(0.f);
  for (int64_t m = m0; m < m1; ++m) {
    const float* zm = Z + m * Tpad;
    float* ym = yn + m * plane + j0;
    const F vb = V::set1(bias ? bias[m] : 0.f);
    for (int64_t t = 0; t < T; t += V::kLanes) {
      const int64_t n = T - t < V::kLanes ? T - t : V::kLanes;
      const float* z = zm + t;
      F s0[4], s1[4];  // (A^T Z)[0][k], (A^T Z)[1][k]
      for (int k = 0; k < 4; ++k) {
        const F z0 = V::load(z + (0 + k) * fstride, n), z1 = V::load(z + (4 + k) * fstride, n);
        const F z2 = V::load(z + (8 + k) * fstride, n), z3 = V::load(z + (12 + k) * fstride, n);
        s0[k] = z0 + z1 + z2;
        s1[k] = z1 - z2 - z3;
      }
      F y00 = s0[0] + s0[1] + s0[2] + vb;
      F y01 = s0[1] - s0[2] - s0[3] + vb;
      F y10 = s1[0] + s1[1] + s1[2] + vb;
      F y11 = s1[1] - s1[2] - s1[3] + vb;
      if (relu) {
        y00 = V::max(y00, vz);
        y01 = V::max(y01, vz);
        y10 = V::max(y10, vz);
        y11 = V::max(y11, vz);
      }
      V::store(ym + t, n, V::max(y11, V::max(y10, V::max(y01, y00))));
    }
  }
}

}  // namespace
}  // namespace conv_detail
}  // namespace lepton
