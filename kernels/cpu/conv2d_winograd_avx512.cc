// Winograd F(2x2,3x3) products and output transform with AVX-512 (compiled with AVX-512
// F/VL/BW/DQ; called only when cpu_has_avx512()). The input and weight transforms stay in
// conv2d_winograd_avx2.cc; layouts are described there, except that output channels come in panels
// of 8 here (Mpad = M rounded up to 8 = Mld).
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
  __m512 acc[R][NV];
  for (auto& row : acc)
    for (auto& v : row) v = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    __m512 bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
    a += lda;
    b += ldb;
  }
  for (int r = 0; r < R; ++r)
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
};

}  // namespace

// The output transform (conv2d_winograd_output.h), row tails as masked stores.
void wino_output_transform_avx512(const float* Z, int64_t m0, int64_t m1, int64_t Mpad,
                                  int64_t Tpad, int64_t j0, int64_t T, int64_t ntw, int64_t OH,
                                  int64_t OW, const float* bias, int relu, float* yn) {
  wino_output_transform_impl<WinoTailMasked>(Z, m0, m1, Mpad, Tpad, j0, T, ntw, OH, OW, bias, relu, yn);
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

}  // namespace conv_detail
}  // namespace lepton
