// AVX-512 GEMM micro-kernel and packers. Compiled with -mavx512f/vl/bw/dq, reached only when
// cpu_has_avx512(). Like gemm_avx2.cc it includes no standard-library headers with inline
// templates and defines no inline functions with external linkage (only `static` helpers), so no
// AVX-512 copy of a shared function can be the one the linker keeps for baseline callers.
#include <immintrin.h>

#include <cstdint>

#include "gemm_internal.h"
#include "transpose8_avx2.h"

namespace lepton {
namespace gemm_detail {

// One k step of the 14x32 tile: B row k (two zmm) at byte offset B of %[b], the 14 A values at
// byte offset A of %[a] broadcast in turn (zmm30/31 alternate), 28 FMAs into zmm0-27. A and B
// are string literals; the assembler evaluates "A+4*r".
#define LEPTON_K_STEP_14X32(A, B) \
  "vmovups " B "(%[b]), %%zmm28\n\t" \
  "vmovups " B "+64(%[b]), %%zmm29\n\t" \
  "vbroadcastss " A "+0(%[a]), %%zmm30\n\t" \
  "vfmadd231ps %%zmm28, %%zmm30, %%zmm0\n\t" \
  "vfmadd231ps %%zmm29, %%zmm30, %%zmm1\n\t" \
  "vbroadcastss " A "+4(%[a]), %%zmm31\n\t" \
  "vfmadd231ps %%zmm28, %%zmm31, %%zmm2\n\t" \
  "vfmadd231ps %%zmm29, %%zmm31, %%zmm3\n\t" \
  "vbroadcastss " A "+8(%[a]), %%zmm30\n\t" \
  "vfmadd231ps %%zmm28, %%zmm30, %%zmm4\n\t" \
  "vfmadd231ps %%zmm29, %%zmm30, %%zmm5\n\t" \
  "vbroadcastss " A "+12(%[a]), %%zmm31\n\t" \
  "vfmadd231ps %%zmm28, %%zmm31, %%zmm6\n\t" \
  "vfmadd231ps %%zmm29, %%zmm31, %%zmm7\n\t" \
  "vbroadcastss " A "+16(%[a]), %%zmm30\n\t" \
  "vfmadd231ps %%zmm28, %%zmm30, %%zmm8\n\t" \
  "vfmadd231ps %%zmm29, %%zmm30, %%zmm9\n\t" \
  "vbroadcastss " A "+20(%[a]), %%zmm31\n\t" \
  "vfmadd231ps %%zmm28, %%zmm31, %%zmm10\n\t" \
  "vfmadd231ps %%zmm29, %%zmm31, %%zmm11\n\t" \
  "vbroadcastss " A "+24(%[a]), %%zmm30\n\t" \
  "vfmadd231ps %%zmm28, %%zmm30, %%zmm12\n\t" \
  "vfmadd231ps %%zmm29, %%zmm30, %%zmm13\n\t" \
  "vbroadcastss " A "+28(%[a]), %%zmm31\n\t" \
  "vfmadd231ps %%zmm28, %%zmm31, %%zmm14\n\t" \
  "vfmadd231ps %%zmm29, %%zmm31, %%zmm15\n\t" \
  "vbroadcastss " A "+32(%[a]), %%zmm30\n\t" \
  "vfmadd231ps %%zmm28, %%zmm30, %%zmm16\n\t" \
  "vfmadd231ps %%zmm29, %%zmm30, %%zmm17\n\t" \
  "vbroadcastss " A "+36(%[a]), %%zmm31\n\t" \
  "vfmadd231ps %%zmm28, %%zmm31, %%zmm18\n\t" \
  "vfmadd231ps %%zmm29, %%zmm31, %%zmm19\n\t" \
  "vbroadcastss " A "+40(%[a]), %%zmm30\n\t" \
  "vfmadd231ps %%zmm28, %%zmm30, %%zmm20\n\t" \
  "vfmadd231ps %%zmm29, %%zmm30, %%zmm21\n\t" \
  "vbroadcastss " A "+44(%[a]), %%zmm31\n\t" \
  "vfmadd231ps %%zmm28, %%zmm31, %%zmm22\n\t" \
  "vfmadd231ps %%zmm29, %%zmm31, %%zmm23\n\t" \
  "vbroadcastss " A "+48(%[a]), %%zmm30\n\t" \
  "vfmadd231ps %%zmm28, %%zmm30, %%zmm24\n\t" \
  "vfmadd231ps %%zmm29, %%zmm30, %%zmm25\n\t" \
  "vbroadcastss " A "+52(%[a]), %%zmm31\n\t" \
  "vfmadd231ps %%zmm28, %%zmm31, %%zmm26\n\t" \
  "vfmadd231ps %%zmm29, %%zmm31, %%zmm27\n\t"

// 14x32 tile: 28 zmm accumulators (zmm0-27, row r in zmm 2r and 2r+1), two zmm for the B row
// (zmm28-29), two for broadcast A values (zmm30-31). Per k: 28 FMAs (14 cycles on two 512-bit
// FMA pipes) against 2 loads + 14 broadcasts, so the FMA pipes, not the load ports, bound it; 28
// independent chains cover the FMA latency. The k loop is hand-scheduled inline assembly
// (unrolled by 4) so the compiler cannot spill or copy around the FMA chains. B is read with
// unaligned loads: the conv paths pass panels that are only 16-byte aligned.
void avx512_kernel_14x32(int64_t k, const float* a, const float* b, float* c, int64_t ldc,
                         float alpha, float beta) {
  alignas(64) float acc[14 * 32];
  for (int r = 0; r < 14; ++r) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 31), _MM_HINT_T0);
  }
  int64_t k4 = k >> 2, k1 = k & 3;
  __asm__ volatile(
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpxord %%zmm1, %%zmm1, %%zmm1\n\t"
      "vpxord %%zmm2, %%zmm2, %%zmm2\n\t"
      "vpxord %%zmm3, %%zmm3, %%zmm3\n\t"
      "vpxord %%zmm4, %%zmm4, %%zmm4\n\t"
      "vpxord %%zmm5, %%zmm5, %%zmm5\n\t"
      "vpxord %%zmm6, %%zmm6, %%zmm6\n\t"
      "vpxord %%zmm7, %%zmm7, %%zmm7\n\t"
      "vpxord %%zmm8, %%zmm8, %%zmm8\n\t"
      "vpxord %%zmm9, %%zmm9, %%zmm9\n\t"
      "vpxord %%zmm10, %%zmm10, %%zmm10\n\t"
      "vpxord %%zmm11, %%zmm11, %%zmm11\n\t"
      "vpxord %%zmm12, %%zmm12, %%zmm12\n\t"
      "vpxord %%zmm13, %%zmm13, %%zmm13\n\t"
      "vpxord %%zmm14, %%zmm14, %%zmm14\n\t"
      "vpxord %%zmm15, %%zmm15, %%zmm15\n\t"
      "vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
      "vpxord %%zmm17, %%zmm17, %%zmm17\n\t"
      "vpxord %%zmm18, %%zmm18, %%zmm18\n\t"
      "vpxord %%zmm19, %%zmm19, %%zmm19\n\t"
      "vpxord %%zmm20, %%zmm20, %%zmm20\n\t"
      "vpxord %%zmm21, %%zmm21, %%zmm21\n\t"
      "vpxord %%zmm22, %%zmm22, %%zmm22\n\t"
      "vpxord %%zmm23, %%zmm23, %%zmm23\n\t"
      "vpxord %%zmm24, %%zmm24, %%zmm24\n\t"
      "vpxord %%zmm25, %%zmm25, %%zmm25\n\t"
      "vpxord %%zmm26, %%zmm26, %%zmm26\n\t"
      "vpxord %%zmm27, %%zmm27, %%zmm27\n\t"
      "test %[k4], %[k4]\n\t"
      "jz 2f\n\t"
      ".p2align 5\n\t"
      "1:\n\t"
      "prefetcht0 448(%[a])\n\t"
      LEPTON_K_STEP_14X32("0", "0")
      "prefetcht0 512(%[a])\n\t"
      LEPTON_K_STEP_14X32("56", "128")
      "prefetcht0 576(%[a])\n\t"
      LEPTON_K_STEP_14X32("112", "256")
      "prefetcht0 640(%[a])\n\t"
      LEPTON_K_STEP_14X32("168", "384")
      "add $224, %[a]\n\t"
      "add $512, %[b]\n\t"
      "dec %[k4]\n\t"
      "jnz 1b\n\t"
      "2:\n\t"
      "test %[k1], %[k1]\n\t"
      "jz 4f\n\t"
      "3:\n\t"
      LEPTON_K_STEP_14X32("0", "0")
      "add $56, %[a]\n\t"
      "add $128, %[b]\n\t"
      "dec %[k1]\n\t"
      "jnz 3b\n\t"
      "4:\n\t"
      "vmovaps %%zmm0, 0(%[acc])\n\t"
      "vmovaps %%zmm1, 64(%[acc])\n\t"
      "vmovaps %%zmm2, 128(%[acc])\n\t"
      "vmovaps %%zmm3, 192(%[acc])\n\t"
      "vmovaps %%zmm4, 256(%[acc])\n\t"
      "vmovaps %%zmm5, 320(%[acc])\n\t"
      "vmovaps %%zmm6, 384(%[acc])\n\t"
      "vmovaps %%zmm7, 448(%[acc])\n\t"
      "vmovaps %%zmm8, 512(%[acc])\n\t"
      "vmovaps %%zmm9, 576(%[acc])\n\t"
      "vmovaps %%zmm10, 640(%[acc])\n\t"
      "vmovaps %%zmm11, 704(%[acc])\n\t"
      "vmovaps %%zmm12, 768(%[acc])\n\t"
      "vmovaps %%zmm13, 832(%[acc])\n\t"
      "vmovaps %%zmm14, 896(%[acc])\n\t"
      "vmovaps %%zmm15, 960(%[acc])\n\t"
      "vmovaps %%zmm16, 1024(%[acc])\n\t"
      "vmovaps %%zmm17, 1088(%[acc])\n\t"
      "vmovaps %%zmm18, 1152(%[acc])\n\t"
      "vmovaps %%zmm19, 1216(%[acc])\n\t"
      "vmovaps %%zmm20, 1280(%[acc])\n\t"
      "vmovaps %%zmm21, 1344(%[acc])\n\t"
      "vmovaps %%zmm22, 1408(%[acc])\n\t"
      "vmovaps %%zmm23, 1472(%[acc])\n\t"
      "vmovaps %%zmm24, 1536(%[acc])\n\t"
      "vmovaps %%zmm25, 1600(%[acc])\n\t"
      "vmovaps %%zmm26, 1664(%[acc])\n\t"
      "vmovaps %%zmm27, 1728(%[acc])\n\t"
      : [a] "+r"(a), [b] "+r"(b), [k4] "+r"(k4), [k1] "+r"(k1)
      : [acc] "r"(acc)
      : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18",
        "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28",
        "xmm29", "xmm30", "xmm31");

  const __m512 va = _mm512_set1_ps(alpha);
  if (beta == 0.0f) {
    for (int r = 0; r < 14; ++r) {
      _mm512_storeu_ps(c + r * ldc, _mm512_mul_ps(va, _mm512_load_ps(acc + 32 * r)));
      _mm512_storeu_ps(c + r * ldc + 16, _mm512_mul_ps(va, _mm512_load_ps(acc + 32 * r + 16)));
    }
  } else {
    const __m512 vb = _mm512_set1_ps(beta);
    for (int r = 0; r < 14; ++r) {
      float* cr = c + r * ldc;
      _mm512_storeu_ps(cr, _mm512_fmadd_ps(va, _mm512_load_ps(acc + 32 * r),
                                           _mm512_mul_ps(vb, _mm512_loadu_ps(cr))));
      _mm512_storeu_ps(cr + 16, _mm512_fmadd_ps(va, _mm512_load_ps(acc + 32 * r + 16),
                                                _mm512_mul_ps(vb, _mm512_loadu_ps(cr + 16))));
    }
  }
}


// Packs a full 14-row panel of an A whose k index is contiguous (src[r*rs + k]) into 14 values
// per k: rows 0-7 and rows 8-13 (plus two zero rows) go through 8x8 transposes over k in steps of
// 8; the upper half is stored with a 6-lane mask, so nothing is written past dst[kc*14].
void avx512_pack_a14_rows(int64_t kc, const float* src, int64_t rs, float* dst) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    __m256 lo[8], hi[8];
    for (int r = 0; r < 8; ++r) lo[r] = _mm256_loadu_ps(src + r * rs + k);
    for (int r = 0; r < 6; ++r) hi[r] = _mm256_loadu_ps(src + (r + 8) * rs + k);
    hi[6] = hi[7] = _mm256_setzero_ps();
    transpose8(lo);
    transpose8(hi);
    float* d = dst + k * 14;
    for (int j = 0; j < 8; ++j) {
      _mm256_storeu_ps(d + j * 14, lo[j]);
      _mm256_mask_storeu_ps(d + j * 14 + 8, 0x3F, hi[j]);
    }
  }
  for (; k < kc; ++k)
    for (int r = 0; r < 14; ++r) dst[k * 14 + r] = src[r * rs + k];
}

// Packs one full 32-column B panel whose k index is contiguous (src[c*cs + k]) into
// dst[k*32 + c]: four 8x8 transposes per 8 values of k.
void avx512_pack_b32_cols(int64_t kc, const float* src, int64_t cs, float* dst) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    float* d = dst + k * 32;
    for (int g = 0; g < 4; ++g) {
      __m256 r[8];
      for (int c = 0; c < 8; ++c) r[c] = _mm256_loadu_ps(src + (8 * g + c) * cs + k);
      transpose8(r);
      for (int j = 0; j < 8; ++j) _mm256_storeu_ps(d + j * 32 + 8 * g, r[j]);
    }
  }
  for (; k < kc; ++k)
    for (int c = 0; c < 32; ++c) dst[k * 32 + c] = src[c * cs + k];
}

}  // namespace gemm_detail
}  // namespace lepton
