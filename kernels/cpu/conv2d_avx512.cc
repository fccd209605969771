// AVX-512 packed implicit GEMM for the conv paths (compiled with -mavx512f/vl/bw/dq; called only
// after cpu_has_avx512()): the same panel layouts as conv2d_avx2.cc with 14-row A panels and
// 32-column B panels, multiplied by the GEMM's 14x32 micro-kernel (gemm_avx512.cc). No standard
// headers with inline templates and only static helpers, as in gemm_avx512.cc.
// GCC 12's AVX-512 intrinsics (max) leave an undefined pass-through operand that its own
// -Wmaybe-uninitialized flags (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>

#include "gemm_internal.h"

namespace lepton {
namespace conv_detail {

namespace {
constexpr int64_t kMR = gemm_detail::kAvx512MR, kNR = gemm_detail::kAvx512NR, kKC = 256;
static inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
}  // namespace

// ap[(mp*K + k)*14 + r] = wg[(mp*14 + r)*K + k], zero for rows >= Mg.
void conv_pack_a_avx512(const float* wg, int64_t Mg, int64_t K, float* ap) {
  const int64_t full = Mg / kMR;
  for (int64_t mp = 0; mp < full; ++mp) gemm_detail::avx512_pack_a14_rows(K, wg + mp * kMR * K, K, ap + mp * K * kMR);
  if (full * kMR < Mg) {
    float* d = ap + full * K * kMR;
    for (int64_t r = 0; r < kMR; ++r) {
      const int64_t m = full * kMR + r;
      for (int64_t k = 0; k < K; ++k) d[k * kMR + r] = m < Mg ? wg[m * K + k] : 0.f;
    }
  }
}

// Scatters nr im2col rows (rows k0.., row stride rs, nc columns) into the 32-column panels of bp
// (K rows per panel); the last panel's unused columns are zeroed (masked loads).
void conv_pack_b_rows_avx512(const float* rows, int64_t rs, int64_t nr, int64_t nc, int64_t K,
                             int64_t k0, float* bp) {
  const int64_t npan = (nc + kNR - 1) / kNR;
  for (int64_t jp = 0; jp < npan; ++jp) {
    const int64_t cols = imin(kNR, nc - jp * kNR);
    const __mmask16 m0 = __mmask16(cols >= 16 ? 0xFFFF : (1u << cols) - 1);
    const __mmask16 m1 = __mmask16(cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (1u << (cols - 16)) - 1);
    float* d = bp + (jp * K + k0) * kNR;
    const float* s = rows + jp * kNR;
    for (int64_t i = 0; i < nr; ++i) {
      _mm512_storeu_ps(d + i * kNR, _mm512_maskz_loadu_ps(m0, s + i * rs));
      _mm512_storeu_ps(d + i * kNR + 16, _mm512_maskz_loadu_ps(m1, s + i * rs + 16));
    }
  }
}

// C[0:Mg, 0:nc] (leading dimension ldc) = A * B (+ bias[m], relu), A and B packed as above.
// Single-threaded; the caller splits work across threads. K is blocked by 256 (beta 0 on the
// first block, 1 after); edge tiles go through a small tile; the epilogue runs on the last block.
void conv_gemm_packed_avx512(int64_t Mg, int64_t nc, int64_t K, const float* ap, const float* bp,
                             float* C, int64_t ldc, const float* bias, int relu) {
  const int64_t mpanels = (Mg + kMR - 1) / kMR, npanels = (nc + kNR - 1) / kNR;
  const __m512 vz = _mm512_setzero_ps();
  alignas(64) float tile[kMR * kNR];
  for (int64_t k0 = 0; k0 < K; k0 += kKC) {
    const int64_t kc = imin(kKC, K - k0);
    const bool first = k0 == 0, last = k0 + kc >= K;
    for (int64_t jp = 0; jp < npanels; ++jp) {
      const float* b = bp + (jp * K + k0) * kNR;
      const int64_t j = jp * kNR;
      const int64_t ncr = imin(kNR, nc - j);
      const __mmask16 m0 = __mmask16(ncr >= 16 ? 0xFFFF : (1u << ncr) - 1);
      const __mmask16 m1 = __mmask16(ncr >= 32 ? 0xFFFF : ncr <= 16 ? 0 : (1u << (ncr - 16)) - 1);
      for (int64_t mp = 0; mp < mpanels; ++mp) {
        const float* a = ap + (mp * K + k0) * kMR;
        const int64_t m = mp * kMR;
        const int64_t mr = imin(kMR, Mg - m);
        float* c = C + m * ldc + j;
        const bool full = mr == kMR && ncr == kNR;
        if (full) gemm_detail::avx512_kernel_14x32(kc, a, b, c, ldc, 1.f, first ? 0.f : 1.f);
        else gemm_detail::avx512_kernel_14x32(kc, a, b, tile, kNR, 1.f, 0.f);
        for (int64_t r = 0; r < mr; ++r) {
          float* cr = c + r * ldc;
          __m512 v0, v1;
          if (full) {
            if (!last) continue;
            v0 = _mm512_loadu_ps(cr);
            v1 = _mm512_loadu_ps(cr + 16);
          } else {
            v0 = _mm512_load_ps(tile + r * kNR);
            v1 = _mm512_load_ps(tile + r * kNR + 16);
            if (!first) {
              v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, cr));
              v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, cr + 16));
            }
          }
          if (last) {
            if (bias) {
              const __m512 bv = _mm512_set1_ps(bias[m + r]);
              v0 = _mm512_add_ps(v0, bv);
              v1 = _mm512_add_ps(v1, bv);
            }
            if (relu) {
              v0 = _mm512_max_ps(v0, vz);
              v1 = _mm512_max_ps(v1, vz);
            }
          }
          _mm512_mask_storeu_ps(cr, m0, v0);
          _mm512_mask_storeu_ps(cr + 16, m1, v1);
        }
      }
    }
  }
}

}  // namespace conv_detail
}  // namespace lepton
