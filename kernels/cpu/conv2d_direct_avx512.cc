// AVX-512 direct convolution tiles (compiled with -mavx512f/vl/bw/dq; called only when
// cpu_has_avx512()). A tile is MB output channels x NB row segments of up to 16 output columns
// (or NP segment pairs with a fused 2x2 max pool):
// segments never cross a row, so no flat column past a row's end is computed or dropped, and the
// row tail is a k-masked load and store (cheap on AVX-512 cores, unlike AVX2's vmaskmov). Plain
// functions on raw pointers in an anonymous namespace: nothing here is shared with baseline objects.
// GCC 12's AVX-512 intrinsics (max, permute) leave an undefined pass-through operand that its own
// -Wmaybe-uninitialized flags (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>

#include "conv2d_direct.h"

namespace lepton {
namespace conv_detail {

namespace {

// acc[m][b] = sum over taps k of w[k][m] * x[xs[b] + offs[k]] on the lanes of mk[b]: MB * NB
// zmm accumulators (at most 24 of the 32), NB input vectors and one broadcast per tap. Inlined
// into the tile loops, so the accumulators stay in registers.
template <int MB, int NB>
__attribute__((always_inline)) inline void accumulate(const DirectRows& d, const float* wb, const float* const (&xs)[NB],
                                                      const __mmask16 (&mk)[NB], __m512 (&acc)[MB][NB]) {
#pragma GCC unroll 12
  for (int m = 0; m < MB; ++m)
#pragma GCC unroll 6
    for (int b = 0; b < NB; ++b) acc[m][b] = _mm512_setzero_ps();
  for (int64_t k = 0; k < d.K; ++k) {
    const int32_t o = d.offs[k];
    __m512 xv[NB];
#pragma GCC unroll 6
    for (int b = 0; b < NB; ++b) xv[b] = _mm512_maskz_loadu_ps(mk[b], xs[b] + o);
    const float* wk = wb + MB * k;
#pragma GCC unroll 12
    for (int m = 0; m < MB; ++m) {
      const __m512 wv = _mm512_set1_ps(wk[m]);
#pragma GCC unroll 6
      for (int b = 0; b < NB; ++b) acc[m][b] = _mm512_fmadd_ps(xv[b], wv, acc[m][b]);
    }
  }
}

// MB output channels x NB row segments.
template <int MB, int NB>
void run_rows(const DirectRows& d, int64_t mb, int64_t t0, int64_t t1, const float* xp, float* y) {
  const float* wb = d.wpack + mb * d.K * MB;
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t t = t0; t < t1; ++t) {
    const DirectSegment* sg = d.segs + t * NB;
    __mmask16 mk[NB];
    const float* xs[NB];
#pragma GCC unroll 6
    for (int b = 0; b < NB; ++b) {
      mk[b] = sg[b].mask;
      xs[b] = xp + sg[b].in;
    }
    __m512 acc[MB][NB];
    accumulate<MB, NB>(d, wb, xs, mk, acc);
#pragma GCC unroll 12
    for (int m = 0; m < MB; ++m) {
      const int64_t mm = mb * MB + m;
      if (mm >= d.M) break;
      const __m512 bv = _mm512_set1_ps(d.bias ? d.bias[mm] : 0.f);
      float* ym = y + mm * d.P;
#pragma GCC unroll 6
      for (int b = 0; b < NB; ++b) {
        __m512 v = _mm512_add_ps(acc[m][b], bv);
        if (d.relu) v = _mm512_max_ps(v, zero);
        _mm512_mask_storeu_ps(ym + sg[b].out, mk[b], v);
      }
    }
  }
}

// MB x 2*NP accumulators: NP segment pairs, the same columns of rows 2i and 2i + 1. After the
// k loop the pair is pooled 2x2 in registers: the max of its two rows, then of each lane pair
// (2j, 2j + 1), the 8 results moved to lanes 0..7.
template <int MB, int NP>
void run_pooled_rows(const DirectRows& d, int64_t mb, int64_t t0, int64_t t1, const float* xp, float* y) {
  constexpr int NB = 2 * NP;
  const float* wb = d.wpack + mb * d.K * MB;
  const __m512i even_lanes = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
  for (int64_t t = t0; t < t1; ++t) {
    const DirectSegment* sg = d.segs + t * NP;
    __mmask16 mk[NB];
    const float* xs[NB];
#pragma GCC unroll 4
    for (int b = 0; b < NP; ++b) {
      mk[2 * b] = mk[2 * b + 1] = sg[b].mask;
      xs[2 * b] = xp + sg[b].in;
      xs[2 * b + 1] = xs[2 * b] + d.row_step;
    }
    __m512 acc[MB][NB];
    accumulate<MB, NB>(d, wb, xs, mk, acc);
#pragma GCC unroll 8
    for (int m = 0; m < MB; ++m) {
      const int64_t mm = mb * MB + m;
      if (mm >= d.M) break;
      const __m256 bv = _mm256_set1_ps(d.bias ? d.bias[mm] : 0.f);
      float* ym = y + mm * d.P;
#pragma GCC unroll 4
      for (int b = 0; b < NP; ++b) {
        const __m512 rows = _mm512_max_ps(acc[m][2 * b], acc[m][2 * b + 1]);
        const __m512 cols = _mm512_max_ps(rows, _mm512_permute_ps(rows, 0xB1));  // lane pairs swapped
        __m256 v = _mm256_add_ps(_mm512_castps512_ps256(_mm512_permutexvar_ps(even_lanes, cols)), bv);
        if (d.relu) v = _mm256_max_ps(v, _mm256_setzero_ps());
        _mm256_mask_storeu_ps(ym + sg[b].out, __mmask8(sg[b].out_mask), v);
      }
    }
  }
}

}  // namespace

void conv_direct_pooled_rows_avx512(const DirectRows& d, int64_t mb, int64_t t0, int64_t t1, const float* xp,
                                    float* y) {
  run_pooled_rows<4, 3>(d, mb, t0, t1, xp, y);
}

void conv_direct_rows_avx512(const DirectRows& d, int64_t mb, int64_t t0, int64_t t1, const float* xp, float* y) {
  if (d.mb == 4) run_rows<4, 6>(d, mb, t0, t1, xp, y);
  else if (d.mb == 12) run_rows<12, 2>(d, mb, t0, t1, xp, y);
  else run_rows<8, 3>(d, mb, t0, t1, xp, y);
}

}  // namespace conv_detail
}  // namespace lepton
