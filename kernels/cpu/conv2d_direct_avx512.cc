// AVX-512 direct convolution tiles (compiled with -mavx512f/vl/bw/dq; called only when
// cpu_has_avx512()). A tile is MB output channels x NB row segments of up to 16 output columns:
// segments never cross a row, so no flat column past a row's end is computed or dropped, and the
// row tail is a k-masked load and store (cheap on AVX-512 cores, unlike AVX2's vmaskmov). Plain
// functions on raw pointers in an anonymous namespace: nothing here is shared with baseline objects.
#include <immintrin.h>

#include <cstdint>

#include "conv2d_direct.h"

namespace lepton {
namespace conv_detail {

namespace {

// MB * NB zmm accumulators (at most 24 of the 32), NB input vectors and one broadcast per tap.
template <int MB, int NB>
void run_rows(const DirectRows& d, int64_t mb, int64_t t0, int64_t t1, const float* xp, float* y) {
  const int64_t K = d.K;
  const float* wb = d.wpack + mb * K * MB;
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
#pragma GCC unroll 12
    for (int m = 0; m < MB; ++m)
#pragma GCC unroll 6
      for (int b = 0; b < NB; ++b) acc[m][b] = zero;
    for (int64_t k = 0; k < K; ++k) {
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
#pragma GCC unroll 12
    for (int m = 0; m < MB; ++m) {
      const int64_t mm = mb * MB + m;
      if (mm >= d.M) break;
      const __m512 bv = _mm512_set1_ps(d.bias ? d.bias[mm] : 0.f);
      float* ym = y + mm * d.P;
#pragma GCC unroll 6
      for (int b = 0; b < NB; ++b) {
        __m512 v = _mm512_add_ps(acc[m][b], bv);
        // (the masked form: GCC 12 warns of the plain one's undefined source operand)
        if (d.relu) v = _mm512_mask_max_ps(v, __mmask16(0xFFFF), v, zero);
        _mm512_mask_storeu_ps(ym + sg[b].out, mk[b], v);
      }
    }
  }
}

}  // namespace

void conv_direct_rows_avx512(const DirectRows& d, int64_t mb, int64_t t0, int64_t t1, const float* xp, float* y) {
  if (d.mb == 4) run_rows<4, 6>(d, mb, t0, t1, xp, y);
  else if (d.mb == 12) run_rows<12, 2>(d, mb, t0, t1, xp, y);
  else run_rows<8, 3>(d, mb, t0, t1, xp, y);
}

}  // namespace conv_detail
}  // namespace lepton
