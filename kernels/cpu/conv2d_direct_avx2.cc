// AVX2+FMA direct convolution tiles for stride-1 convs over a zero-padded image (compiled with
// -mavx2 -mfma; called only when cpu_isa() == avx2_fma). Plain functions on raw pointers: no
// inline or template code here is shared with baseline objects.
#include <immintrin.h>

#include <cstdint>

namespace lepton {
namespace conv_detail {

namespace {

constexpr int kMB = 4;  // output channels per tile (weights packed in blocks of 4)

// Where the 8 flat positions from q0 go in an output plane (OH x OW; flat index q = oh*Wp + ow):
// `base` when all 8 lie inside one output row, else per lane (-1: past a row's end or past Q).
struct Lanes {
  int64_t base;
  int32_t idx[8];
};

inline Lanes lanes_of(int64_t q0, int64_t Q, int64_t Wp, int64_t OW) {
  Lanes l;
  const int64_t oh = q0 / Wp, ow = q0 - oh * Wp;
  if (ow + 8 <= OW && q0 + 8 <= Q) {
    l.base = oh * OW + ow;
    return l;
  }
  l.base = -1;
  int64_t r = oh, c = ow;
  for (int i = 0; i < 8; ++i, ++c) {
    if (c == Wp) {
      c = 0;
      ++r;
    }
    l.idx[i] = (q0 + i < Q && c < OW) ? int32_t(r * OW + c) : -1;
  }
  return l;
}

inline void store8(__m256 v, float bias, int relu, const Lanes& l, float* y) {
  v = _mm256_add_ps(v, _mm256_set1_ps(bias));
  if (relu) v = _mm256_max_ps(v, _mm256_setzero_ps());
  if (l.base >= 0) {
    _mm256_storeu_ps(y + l.base, v);
    return;
  }
  alignas(32) float t[8];
  _mm256_store_ps(t, v);
  for (int i = 0; i < 8; ++i)
    if (l.idx[i] >= 0) y[l.idx[i]] = t[i];
}

template <int NB>
void run_tiles(const float* xp, const int32_t* offs, int64_t K, const float* wpack, int64_t M,
               const float* bias, int relu, int64_t mb0, int64_t mb1, int64_t q0, int64_t q1, int64_t Q,
               int64_t Wp, int64_t OW, int64_t OH, float* y) {
  const int64_t P = OH * OW;
  for (int64_t mb = mb0; mb < mb1; ++mb) {
    const float* wb = wpack + mb * K * kMB;
    for (int64_t q = q0; q < q1; q += 8 * NB) {
      // acc[m][b] = sum_k w[k][m] * x[q + offs[k] + 8b]; fully unrolled so the 4*NB accumulators
      // stay in registers (a loop over them made GCC keep them in memory).
      __m256 acc[kMB][NB];
#pragma GCC unroll 4
      for (int m = 0; m < kMB; ++m)
#pragma GCC unroll 3
        for (int b = 0; b < NB; ++b) acc[m][b] = _mm256_setzero_ps();
      const float* xq = xp + q;
      for (int64_t k = 0; k < K; ++k) {
        const float* xs = xq + offs[k];
        __m256 xv[NB];
#pragma GCC unroll 3
        for (int b = 0; b < NB; ++b) xv[b] = _mm256_loadu_ps(xs + 8 * b);
        const float* wk = wb + kMB * k;
#pragma GCC unroll 4
        for (int m = 0; m < kMB; ++m) {
          const __m256 wv = _mm256_broadcast_ss(wk + m);
#pragma GCC unroll 3
          for (int b = 0; b < NB; ++b) acc[m][b] = _mm256_fmadd_ps(xv[b], wv, acc[m][b]);
        }
      }
      // Through memory once per tile: indexing acc at run time below would keep it in memory throughout.
      alignas(32) float out[kMB][8 * NB];
#pragma GCC unroll 4
      for (int m = 0; m < kMB; ++m)
#pragma GCC unroll 3
        for (int b = 0; b < NB; ++b) _mm256_store_ps(out[m] + 8 * b, acc[m][b]);
      Lanes lanes[NB];
      int nv = 0;  // vectors of this tile that start before Q
      for (; nv < NB && q + 8 * nv < Q; ++nv) lanes[nv] = lanes_of(q + 8 * nv, Q, Wp, OW);
      for (int m = 0; m < kMB; ++m) {
        const int64_t mm = mb * kMB + m;
        if (mm >= M) break;
        const float bv = bias ? bias[mm] : 0.f;
        for (int b = 0; b < nv; ++b) store8(_mm256_load_ps(out[m] + 8 * b), bv, relu, lanes[b], y + mm * P);
      }
    }
  }
}

}  // namespace

// Output channel blocks [mb0, mb1) and flat positions [q0, q1) (multiples of 8*nb from 0) of one
// image. xp: the zero-padded image (C x Hp x Wp, readable 8*nb floats past the last tap);
// offs[k]: flat offset of tap k; wpack: weights in blocks of 4 channels ([M/4][K][4]).
void conv_direct_tiles_avx2(const float* xp, const int32_t* offs, int64_t K, const float* wpack,
                            int64_t M, const float* bias, int relu, int64_t mb0, int64_t mb1,
                            int64_t q0, int64_t q1, int64_t Q, int64_t Wp, int64_t OW, int64_t OH,
                            int nb, float* y) {
  if (nb == 3) run_tiles<3>(xp, offs, K, wpack, M, bias, relu, mb0, mb1, q0, q1, Q, Wp, OW, OH, y);
  else if (nb == 2) run_tiles<2>(xp, offs, K, wpack, M, bias, relu, mb0, mb1, q0, q1, Q, Wp, OW, OH, y);
  else run_tiles<1>(xp, offs, K, wpack, M, bias, relu, mb0, mb1, q0, q1, Q, Wp, OW, OH, y);
}

}  // namespace conv_detail
}  // namespace lepton
