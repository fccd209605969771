// AVX2+FMA GEMM micro-kernel and GEMV kernels. Compiled with -mavx2 -mfma, reached only
// when cpu_isa() reports avx2_fma. Deliberately includes no standard-library headers with
// inline templates (std::min etc.): an AVX2-compiled copy of a shared inline function could
// otherwise be the one the linker keeps for baseline-ISA callers.
#include <immintrin.h>

#include <cstdint>

#include "gemm_internal.h"
#include "transpose8_avx2.h"

namespace lepton {
namespace gemm_detail {

// 6x16 tile: 12 ymm accumulators (ymm0-11), two ymm for the B row (ymm12-13), two for
// broadcast A values (ymm14-15). The k loop is hand-scheduled inline assembly (unrolled by 4)
// so the compiler cannot add register copies to the FMA chain; the accumulators go through a
// small aligned array to the intrinsic alpha/beta store.
void avx2_kernel_6x16(int64_t k, const float* a, const float* b, float* c, int64_t ldc,
                      float alpha, float beta) {
  alignas(32) float acc[6 * 16];
  for (int r = 0; r < 6; ++r) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 15), _MM_HINT_T0);
  }
  int64_t k4 = k >> 2, k1 = k & 3;
  __asm__ volatile(
      "vxorps %%ymm0, %%ymm0, %%ymm0\n\t"
      "vxorps %%ymm1, %%ymm1, %%ymm1\n\t"
      "vxorps %%ymm2, %%ymm2, %%ymm2\n\t"
      "vxorps %%ymm3, %%ymm3, %%ymm3\n\t"
      "vxorps %%ymm4, %%ymm4, %%ymm4\n\t"
      "vxorps %%ymm5, %%ymm5, %%ymm5\n\t"
      "vxorps %%ymm6, %%ymm6, %%ymm6\n\t"
      "vxorps %%ymm7, %%ymm7, %%ymm7\n\t"
      "vxorps %%ymm8, %%ymm8, %%ymm8\n\t"
      "vxorps %%ymm9, %%ymm9, %%ymm9\n\t"
      "vxorps %%ymm10, %%ymm10, %%ymm10\n\t"
      "vxorps %%ymm11, %%ymm11, %%ymm11\n\t"
      "test %[k4], %[k4]\n\t"
      "jz 2f\n\t"
      ".p2align 5\n\t"
      "1:\n\t"
      "prefetcht0 384(%[a])\n\t"
      "vmovaps 0(%[b]), %%ymm12\n\t"
      "vmovaps 32(%[b]), %%ymm13\n\t"
      "vbroadcastss 0(%[a]), %%ymm14\n\t"
      "vbroadcastss 4(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm0\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm1\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm2\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm3\n\t"
      "vbroadcastss 8(%[a]), %%ymm14\n\t"
      "vbroadcastss 12(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm4\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm5\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm6\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm7\n\t"
      "vbroadcastss 16(%[a]), %%ymm14\n\t"
      "vbroadcastss 20(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm8\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm9\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm10\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm11\n\t"
      "vmovaps 64(%[b]), %%ymm12\n\t"
      "vmovaps 96(%[b]), %%ymm13\n\t"
      "vbroadcastss 24(%[a]), %%ymm14\n\t"
      "vbroadcastss 28(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm0\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm1\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm2\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm3\n\t"
      "vbroadcastss 32(%[a]), %%ymm14\n\t"
      "vbroadcastss 36(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm4\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm5\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm6\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm7\n\t"
      "vbroadcastss 40(%[a]), %%ymm14\n\t"
      "vbroadcastss 44(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm8\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm9\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm10\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm11\n\t"
      "prefetcht0 448(%[a])\n\t"
      "vmovaps 128(%[b]), %%ymm12\n\t"
      "vmovaps 160(%[b]), %%ymm13\n\t"
      "vbroadcastss 48(%[a]), %%ymm14\n\t"
      "vbroadcastss 52(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm0\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm1\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm2\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm3\n\t"
      "vbroadcastss 56(%[a]), %%ymm14\n\t"
      "vbroadcastss 60(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm4\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm5\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm6\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm7\n\t"
      "vbroadcastss 64(%[a]), %%ymm14\n\t"
      "vbroadcastss 68(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm8\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm9\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm10\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm11\n\t"
      "vmovaps 192(%[b]), %%ymm12\n\t"
      "vmovaps 224(%[b]), %%ymm13\n\t"
      "vbroadcastss 72(%[a]), %%ymm14\n\t"
      "vbroadcastss 76(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm0\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm1\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm2\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm3\n\t"
      "vbroadcastss 80(%[a]), %%ymm14\n\t"
      "vbroadcastss 84(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm4\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm5\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm6\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm7\n\t"
      "vbroadcastss 88(%[a]), %%ymm14\n\t"
      "vbroadcastss 92(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm8\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm9\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm10\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm11\n\t"
      "add $96, %[a]\n\t"
      "add $256, %[b]\n\t"
      "dec %[k4]\n\t"
      "jnz 1b\n\t"
      "2:\n\t"
      "test %[k1], %[k1]\n\t"
      "jz 4f\n\t"
      "3:\n\t"
      "vmovaps 0(%[b]), %%ymm12\n\t"
      "vmovaps 32(%[b]), %%ymm13\n\t"
      "vbroadcastss 0(%[a]), %%ymm14\n\t"
      "vbroadcastss 4(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm0\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm1\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm2\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm3\n\t"
      "vbroadcastss 8(%[a]), %%ymm14\n\t"
      "vbroadcastss 12(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm4\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm5\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm6\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm7\n\t"
      "vbroadcastss 16(%[a]), %%ymm14\n\t"
      "vbroadcastss 20(%[a]), %%ymm15\n\t"
      "vfmadd231ps %%ymm12, %%ymm14, %%ymm8\n\t"
      "vfmadd231ps %%ymm13, %%ymm14, %%ymm9\n\t"
      "vfmadd231ps %%ymm12, %%ymm15, %%ymm10\n\t"
      "vfmadd231ps %%ymm13, %%ymm15, %%ymm11\n\t"
      "add $24, %[a]\n\t"
      "add $64, %[b]\n\t"
      "dec %[k1]\n\t"
      "jnz 3b\n\t"
      "4:\n\t"
      "vmovaps %%ymm0, 0(%[acc])\n\t"
      "vmovaps %%ymm1, 32(%[acc])\n\t"
      "vmovaps %%ymm2, 64(%[acc])\n\t"
      "vmovaps %%ymm3, 96(%[acc])\n\t"
      "vmovaps %%ymm4, 128(%[acc])\n\t"
      "vmovaps %%ymm5, 160(%[acc])\n\t"
      "vmovaps %%ymm6, 192(%[acc])\n\t"
      "vmovaps %%ymm7, 224(%[acc])\n\t"
      "vmovaps %%ymm8, 256(%[acc])\n\t"
      "vmovaps %%ymm9, 288(%[acc])\n\t"
      "vmovaps %%ymm10, 320(%[acc])\n\t"
      "vmovaps %%ymm11, 352(%[acc])\n\t"
      : [a] "+r"(a), [b] "+r"(b), [k4] "+r"(k4), [k1] "+r"(k1)
      : [acc] "r"(acc)
      : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");

  const __m256 va = _mm256_set1_ps(alpha);
  if (beta == 0.0f) {
    for (int r = 0; r < 6; ++r) {
      _mm256_storeu_ps(c + r * ldc, _mm256_mul_ps(va, _mm256_load_ps(acc + 16 * r)));
      _mm256_storeu_ps(c + r * ldc + 8, _mm256_mul_ps(va, _mm256_load_ps(acc + 16 * r + 8)));
    }
  } else {
    const __m256 vb = _mm256_set1_ps(beta);
    for (int r = 0; r < 6; ++r) {
      float* cr = c + r * ldc;
      _mm256_storeu_ps(cr, _mm256_fmadd_ps(va, _mm256_load_ps(acc + 16 * r),
                                           _mm256_mul_ps(vb, _mm256_loadu_ps(cr))));
      _mm256_storeu_ps(cr + 8, _mm256_fmadd_ps(va, _mm256_load_ps(acc + 16 * r + 8),
                                               _mm256_mul_ps(vb, _mm256_loadu_ps(cr + 8))));
    }
  }
}

// Packs a full 6-row panel of a row-major-along-k A (element (r, k) at src[r*rs + k]) into
// 6 values per k: 8x8 register transposes (two zero rows) over k in steps of 8.
void avx2_pack_a6_rows(int64_t kc, const float* src, int64_t rs, float* dst) {
  const float* r0 = src;
  const float* r1 = src + rs;
  const float* r2 = src + 2 * rs;
  const float* r3 = src + 3 * rs;
  const float* r4 = src + 4 * rs;
  const float* r5 = src + 5 * rs;
  const __m256 z = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    const __m256 a0 = _mm256_loadu_ps(r0 + k), a1 = _mm256_loadu_ps(r1 + k);
    const __m256 a2 = _mm256_loadu_ps(r2 + k), a3 = _mm256_loadu_ps(r3 + k);
    const __m256 a4 = _mm256_loadu_ps(r4 + k), a5 = _mm256_loadu_ps(r5 + k);
    // 8x8 transpose of rows a0..a5, 0, 0.
    const __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1);
    const __m256 t2 = _mm256_unpacklo_ps(a2, a3), t3 = _mm256_unpackhi_ps(a2, a3);
    const __m256 t4 = _mm256_unpacklo_ps(a4, a5), t5 = _mm256_unpackhi_ps(a4, a5);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, z, 0x44), u5 = _mm256_shuffle_ps(t4, z, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, z, 0x44), u7 = _mm256_shuffle_ps(t5, z, 0xEE);
    float* d = dst + k * 6;
    // Column k+j of the panel = low/high 128-bit halves of u (rows 0-3) and u' (rows 4-5).
    // Each store writes 8 values, 6 of them valid; the 2 extra are overwritten by the next
    // store (or lie in the next panel / the buffer's slack, rewritten later).
    _mm256_storeu_ps(d + 0, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(d + 6, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(d + 12, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(d + 18, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(d + 24, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(d + 30, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(d + 36, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(d + 42, _mm256_permute2f128_ps(u3, u7, 0x31));
  }
  for (; k < kc; ++k) {
    float* d = dst + k * 6;
    d[0] = r0[k];
    d[1] = r1[k];
    d[2] = r2[k];
    d[3] = r3[k];
    d[4] = r4[k];
    d[5] = r5[k];
  }
}


// Packs one full 16-column B panel whose k index is contiguous (src[c*cs + k]) into
// dst[k*16 + c]: two 8x8 transposes per 8 values of k.
void avx2_pack_b16_cols(int64_t kc, const float* src, int64_t cs, float* dst) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    __m256 lo[8], hi[8];
    for (int c = 0; c < 8; ++c) {
      lo[c] = _mm256_loadu_ps(src + c * cs + k);
      hi[c] = _mm256_loadu_ps(src + (c + 8) * cs + k);
    }
    transpose8(lo);
    transpose8(hi);
    float* d = dst + k * 16;
    for (int j = 0; j < 8; ++j) {
      _mm256_store_ps(d + j * 16, lo[j]);
      _mm256_store_ps(d + j * 16 + 8, hi[j]);
    }
  }
  for (; k < kc; ++k)
    for (int c = 0; c < 16; ++c) dst[k * 16 + c] = src[c * cs + k];
}

// y[j] = sum_k x[k*xs] * P[k*ps + j]: streams four rows of P at a time, y stays in L1.
void avx2_gemv_axpy(int64_t n, int64_t K, const float* x, int64_t xs, const float* P, int64_t ps,
                    float* y) {
  for (int64_t j = 0; j < n; ++j) y[j] = 0.0f;
  int64_t k = 0;
  for (; k + 4 <= K; k += 4) {
    const float s0 = x[k * xs], s1 = x[(k + 1) * xs], s2 = x[(k + 2) * xs], s3 = x[(k + 3) * xs];
    const float* p0 = P + k * ps;
    const float* p1 = p0 + ps;
    const float* p2 = p1 + ps;
    const float* p3 = p2 + ps;
    const __m256 x0 = _mm256_set1_ps(s0), x1 = _mm256_set1_ps(s1);
    const __m256 x2 = _mm256_set1_ps(s2), x3 = _mm256_set1_ps(s3);
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
      __m256 ya = _mm256_loadu_ps(y + j), yb = _mm256_loadu_ps(y + j + 8);
      __m256 ta = _mm256_mul_ps(x0, _mm256_loadu_ps(p0 + j));
      __m256 tb = _mm256_mul_ps(x0, _mm256_loadu_ps(p0 + j + 8));
      ya = _mm256_fmadd_ps(x1, _mm256_loadu_ps(p1 + j), ya);
      yb = _mm256_fmadd_ps(x1, _mm256_loadu_ps(p1 + j + 8), yb);
      ta = _mm256_fmadd_ps(x2, _mm256_loadu_ps(p2 + j), ta);
      tb = _mm256_fmadd_ps(x2, _mm256_loadu_ps(p2 + j + 8), tb);
      ya = _mm256_fmadd_ps(x3, _mm256_loadu_ps(p3 + j), ya);
      yb = _mm256_fmadd_ps(x3, _mm256_loadu_ps(p3 + j + 8), yb);
      _mm256_storeu_ps(y + j, _mm256_add_ps(ya, ta));
      _mm256_storeu_ps(y + j + 8, _mm256_add_ps(yb, tb));
    }
    for (; j < n; ++j) y[j] += s0 * p0[j] + s1 * p1[j] + s2 * p2[j] + s3 * p3[j];
  }
  for (; k < K; ++k) {
    const float s = x[k * xs];
    const float* p0 = P + k * ps;
    const __m256 xv = _mm256_set1_ps(s);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
      _mm256_storeu_ps(y + j, _mm256_fmadd_ps(xv, _mm256_loadu_ps(p0 + j), _mm256_loadu_ps(y + j)));
    for (; j < n; ++j) y[j] += s * p0[j];
  }
}

namespace {
inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
}  // namespace

// y[i] = sum_k X[i*xs + k] * v[k]: four rows at a time, two accumulators each.
void avx2_gemv_dot(int64_t n, int64_t K, const float* X, int64_t xs, const float* v, float* y) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float* r0 = X + i * xs;
    const float* r1 = r0 + xs;
    const float* r2 = r1 + xs;
    const float* r3 = r2 + xs;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(),
           a3 = _mm256_setzero_ps();
    __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps(), b2 = _mm256_setzero_ps(),
           b3 = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 16 <= K; k += 16) {
      const __m256 v0 = _mm256_loadu_ps(v + k), v1 = _mm256_loadu_ps(v + k + 8);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + k), v0, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + k), v0, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + k), v0, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + k), v0, a3);
      b0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + k + 8), v1, b0);
      b1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + k + 8), v1, b1);
      b2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + k + 8), v1, b2);
      b3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + k + 8), v1, b3);
    }
    for (; k + 8 <= K; k += 8) {
      const __m256 v0 = _mm256_loadu_ps(v + k);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + k), v0, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + k), v0, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + k), v0, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + k), v0, a3);
    }
    float s0 = hsum(_mm256_add_ps(a0, b0)), s1 = hsum(_mm256_add_ps(a1, b1));
    float s2 = hsum(_mm256_add_ps(a2, b2)), s3 = hsum(_mm256_add_ps(a3, b3));
    for (; k < K; ++k) {
      s0 += r0[k] * v[k];
      s1 += r1[k] * v[k];
      s2 += r2[k] * v[k];
      s3 += r3[k] * v[k];
    }
    y[i] = s0;
    y[i + 1] = s1;
    y[i + 2] = s2;
    y[i + 3] = s3;
  }
  for (; i < n; ++i) {
    const float* r0 = X + i * xs;
    __m256 a0 = _mm256_setzero_ps(), b0 = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 16 <= K; k += 16) {
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + k), _mm256_loadu_ps(v + k), a0);
      b0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + k + 8), _mm256_loadu_ps(v + k + 8), b0);
    }
    float s = hsum(_mm256_add_ps(a0, b0));
    for (; k < K; ++k) s += r0[k] * v[k];
    y[i] = s;
  }
}

}  // namespace gemm_detail
}  // namespace lepton
