// AVX2+FMA direct convolution tiles for stride-1 convs over a zero-padded image (compiled with
// -mavx2 -mfma; called only when cpu_isa() == avx2_fma), and the row-pair tiles of a conv with a
// fused 2x2 max pool. Plain functions on raw pointers: no
// inline or template code here is shared with baseline objects.
#include <immintrin.h>

#include <cstdint>

#include "conv2d_direct.h"

namespace lepton {
namespace conv_detail {

namespace {

// Stores a vector's valid lanes (one or two row segments). A segment goes out as a whole 8-lane
// store when the lanes past its end land before `end`: those are output positions later in this
// task's flat order, which a later store of this task overwrites with their values (outputs are
// written in increasing order). Near the end of the task's range, element by element: the next
// positions may belong to another thread. (Masked stores are slow on AMD cores.)
inline void store8(__m256 v, __m256 bias, int relu, const DirectLanes& l, int64_t end, float* y) {
  v = _mm256_add_ps(v, bias);
  if (relu) v = _mm256_max_ps(v, _mm256_setzero_ps());
  if (!l.scalar) {
    if (l.len0 == 8 || (l.len0 > 0 && l.base0 + 8 <= end)) _mm256_storeu_ps(y + l.base0, v);
    else if (l.len0 > 0) {
      alignas(32) float t[8];
      _mm256_store_ps(t, v);
      for (int i = 0; i < l.len0; ++i) y[l.base0 + i] = t[i];
    }
    if (l.len1 > 0) {
      const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
      const __m256 down = _mm256_permutevar8x32_ps(v, _mm256_add_epi32(iota, _mm256_set1_epi32(l.shift1)));
      if (l.base1 + 8 <= end) _mm256_storeu_ps(y + l.base1, down);
      else {
        alignas(32) float t[8];
        _mm256_store_ps(t, down);
        for (int i = 0; i < l.len1; ++i) y[l.base1 + i] = t[i];
      }
    }
    return;
  }
  alignas(32) float t[8];
  _mm256_store_ps(t, v);
  for (int i = 0; i < 8; ++i)
    if (l.idx[i] >= 0) y[l.idx[i]] = t[i];
}

// MB output channels x NB vectors of 8 flat positions per tile; MB * NB accumulators in registers.
template <int MB, int NB>
void run_tiles(const DirectTiles& d, int64_t mb0, int64_t mb1, int64_t t0, int64_t t1, const float* xp, float* y) {
  const int64_t K = d.K;
  // Output index of the first position past this task's tiles (P past the plane's last).
  int64_t end = d.P;
  if (t1 * 8 * NB < d.Q) {
    const int64_t q1 = t1 * 8 * NB, oh = q1 / d.Wp, ow = q1 - oh * d.Wp;
    end = ow < d.OW ? oh * d.OW + ow : (oh + 1) * d.OW;
  }
  for (int64_t mb = mb0; mb < mb1; ++mb) {
    const float* wb = d.wpack + mb * K * MB;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t q = t * 8 * NB;
      // acc[m][b] = sum_k w[k][m] * x[q + offs[k] + 8b]; fully unrolled so the accumulators stay
      // in registers (a loop over them made GCC keep them in memory).
      __m256 acc[MB][NB];
#pragma GCC unroll 8
      for (int m = 0; m < MB; ++m)
#pragma GCC unroll 3
        for (int b = 0; b < NB; ++b) acc[m][b] = _mm256_setzero_ps();
      const float* xq = xp + q;
      for (int64_t k = 0; k < K; ++k) {
        const float* xs = xq + d.offs[k];
        __m256 xv[NB];
#pragma GCC unroll 3
        for (int b = 0; b < NB; ++b) xv[b] = _mm256_loadu_ps(xs + 8 * b);
        const float* wk = wb + MB * k;
#pragma GCC unroll 8
        for (int m = 0; m < MB; ++m) {
          const __m256 wv = _mm256_broadcast_ss(wk + m);
#pragma GCC unroll 3
          for (int b = 0; b < NB; ++b) acc[m][b] = _mm256_fmadd_ps(xv[b], wv, acc[m][b]);
        }
      }
      // Through memory once per tile: indexing acc at run time below would keep it in memory throughout.
      alignas(32) float out[MB][8 * NB];
#pragma GCC unroll 8
      for (int m = 0; m < MB; ++m)
#pragma GCC unroll 3
        for (int b = 0; b < NB; ++b) _mm256_store_ps(out[m] + 8 * b, acc[m][b]);
      const DirectLanes* lanes = d.lanes + t * NB;
      int nv = 0;  // vectors of this tile that start before Q
      while (nv < NB && q + 8 * nv < d.Q) ++nv;
      for (int m = 0; m < MB; ++m) {
        const int64_t mm = mb * MB + m;
        if (mm >= d.M) break;
        const __m256 bv = _mm256_set1_ps(d.bias ? d.bias[mm] : 0.f);
        for (int b = 0; b < nv; ++b) store8(_mm256_load_ps(out[m] + 8 * b), bv, d.relu, lanes[b], end, y + mm * d.P);
      }
    }
  }
}

// MB channels x one segment pair (8 columns of rows 2i and 2i + 1): 2*MB accumulators. Pooled
// in registers: the max of the two rows, then of each lane pair, lanes 0, 2, 4, 6 moved to the low
// half; bias and relu on the 4 pooled values (monotonic, so they commute with the max).
template <int MB>
void run_pooled_pair(const DirectRows& d, int64_t mb, int64_t t0, int64_t t1, const float* xp, float* y) {
  const int64_t K = d.K;
  const float* wb = d.wpack + mb * K * MB;
  const __m256i even_lanes = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  for (int64_t t = t0; t < t1; ++t) {
    const DirectSegment& sg = d.segs[t];
    const float* x0 = xp + sg.in;
    const float* x1 = x0 + d.row_step;
    __m256 acc[MB][2];
#pragma GCC unroll 8
    for (int m = 0; m < MB; ++m) acc[m][0] = acc[m][1] = _mm256_setzero_ps();
    for (int64_t k = 0; k < K; ++k) {
      const int32_t o = d.offs[k];
      const __m256 v0 = _mm256_loadu_ps(x0 + o), v1 = _mm256_loadu_ps(x1 + o);
      const float* wk = wb + MB * k;
#pragma GCC unroll 8
      for (int m = 0; m < MB; ++m) {
        const __m256 wv = _mm256_broadcast_ss(wk + m);
        acc[m][0] = _mm256_fmadd_ps(v0, wv, acc[m][0]);
        acc[m][1] = _mm256_fmadd_ps(v1, wv, acc[m][1]);
      }
    }
    const int cnt = __builtin_popcount(sg.out_mask);
#pragma GCC unroll 8
    for (int m = 0; m < MB; ++m) {
      const int64_t mm = mb * MB + m;
      if (mm >= d.M) break;
      const __m256 rows = _mm256_max_ps(acc[m][0], acc[m][1]);
      const __m256 cols = _mm256_max_ps(rows, _mm256_permute_ps(rows, 0xB1));  // lane pairs swapped
      __m128 v = _mm_add_ps(_mm256_castps256_ps128(_mm256_permutevar8x32_ps(cols, even_lanes)),
                            _mm_set1_ps(d.bias ? d.bias[mm] : 0.f));
      if (d.relu) v = _mm_max_ps(v, _mm_setzero_ps());
      float* yo = y + mm * d.P + sg.out;
      if (cnt == 4) {
        _mm_storeu_ps(yo, v);
      } else {  // a row's last pooled outputs (masked stores are slow on AMD cores)
        alignas(16) float tmp[4];
        _mm_store_ps(tmp, v);
        for (int i = 0; i < cnt; ++i) yo[i] = tmp[i];
      }
    }
  }
}

}  // namespace

void conv_direct_pooled_rows_avx2(const DirectRows& d, int64_t mb, int64_t t0, int64_t t1, const float* xp,
                                  float* y) {
  run_pooled_pair<4>(d, mb, t0, t1, xp, y);
}

void conv_direct_tiles_avx2(const DirectTiles& d, int64_t mb0, int64_t mb1, int64_t t0, int64_t t1, const float* xp,
                            float* y) {
  if (d.mb == 4 && d.nb == 3) run_tiles<4, 3>(d, mb0, mb1, t0, t1, xp, y);
  else if (d.mb == 6 && d.nb == 2) run_tiles<6, 2>(d, mb0, mb1, t0, t1, xp, y);
  else run_tiles<8, 1>(d, mb0, mb1, t0, t1, xp, y);
}

}  // namespace conv_detail
}  // namespace lepton
