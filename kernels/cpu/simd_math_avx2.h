// Internal: 8-wide AVX2+FMA float math (exp, log, tanh, sigmoid, erf, gelu) for the *_avx2.cc
// kernels. Only include from files compiled with -mavx2 -mfma.
#pragma once
#if !defined(__AVX2__) || !defined(__FMA__)
#error "simd_math_avx2.h needs -mavx2 -mfma"
#endif
#include <immintrin.h>

#include <cstdint>

namespace lepton {
namespace simd {

static inline __m256 set1(float v) { return _mm256_set1_ps(v); }

static inline float hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}
static inline double hsum_d(__m256 v) {
  __m256d a = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
  __m256d b = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
  a = _mm256_add_pd(a, b);
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
  s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
  return _mm_cvtsd_f64(s);
}
static inline float hmax(__m256 v) {
  __m128 lo = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  lo = _mm_max_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_max_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}
static inline float hmin(__m256 v) {
  __m128 lo = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  lo = _mm_min_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_min_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

// Mask of the first n (0..8) lanes, for tails.
static inline __m256i tail_mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline __m256 abs(__m256 x) { return _mm256_andnot_ps(set1(-0.0f), x); }

// exp(x): Cody-Waite range reduction, degree-6 polynomial; ~1 ulp. NaN in -> NaN out,
// x > 88.72 -> inf, x < -103.97 -> 0 (gradual underflow via two-step scaling).
static inline __m256 exp(__m256 x) {
  const __m256 hi = set1(88.7228394f), lo = set1(-103.972f);
  __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
  __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, set1(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, set1(0.693359375f), xc);
  r = _mm256_fnmadd_ps(n, set1(-2.12194440e-4f), r);
  __m256 p = set1(1.9875691500E-4f);
  p = _mm256_fmadd_ps(p, r, set1(1.3981999507E-3f));
  p = _mm256_fmadd_ps(p, r, set1(8.3334519073E-3f));
  p = _mm256_fmadd_ps(p, r, set1(4.1665795894E-2f));
  p = _mm256_fmadd_ps(p, r, set1(1.6666665459E-1f));
  p = _mm256_fmadd_ps(p, r, set1(5.0000001201E-1f));
  __m256 r2 = _mm256_mul_ps(r, r);
  p = _mm256_fmadd_ps(p, r2, _mm256_add_ps(r, set1(1.0f)));
  // 2^n in two steps so n down to -150 (denormal results) and n = 128 work.
  __m256i ni = _mm256_cvtps_epi32(n);
  __m256i n1 = _mm256_srai_epi32(ni, 1);
  __m256i n2 = _mm256_sub_epi32(ni, n1);
  __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23));
  __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, _mm256_set1_epi32(127)), 23));
  __m256 res = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  res = _mm256_blendv_ps(res, set1(__builtin_inff()), _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
  res = _mm256_blendv_ps(res, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
  return _mm256_blendv_ps(res, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// log(x) (Cephes logf): ~1 ulp; log(0) = -inf, log(<0) = NaN, log(inf) = inf, denormals handled.
static inline __m256 log(__m256 x) {
  const __m256 min_norm = set1(1.17549435e-38f);
  __m256 is_den = _mm256_cmp_ps(x, min_norm, _CMP_LT_OQ);
  __m256 xs = _mm256_blendv_ps(x, _mm256_mul_ps(x, set1(8388608.0f)), is_den);  // * 2^23
  __m256i xi = _mm256_castps_si256(xs);
  __m256i ei = _mm256_sub_epi32(_mm256_srli_epi32(xi, 23), _mm256_set1_epi32(126));
  __m256 e = _mm256_cvtepi32_ps(ei);
  e = _mm256_sub_ps(e, _mm256_and_ps(is_den, set1(23.0f)));
  __m256 m = _mm256_castsi256_ps(
      _mm256_or_si256(_mm256_and_si256(xi, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f000000)));
  // m in [0.5, 1)
  __m256 small = _mm256_cmp_ps(m, set1(0.707106781186547524f), _CMP_LT_OQ);
  e = _mm256_sub_ps(e, _mm256_and_ps(small, set1(1.0f)));
  __m256 t = _mm256_sub_ps(_mm256_add_ps(m, _mm256_and_ps(small, m)), set1(1.0f));
  __m256 z = _mm256_mul_ps(t, t);
  __m256 y = set1(7.0376836292E-2f);
  y = _mm256_fmadd_ps(y, t, set1(-1.1514610310E-1f));
  y = _mm256_fmadd_ps(y, t, set1(1.1676998740E-1f));
  y = _mm256_fmadd_ps(y, t, set1(-1.2420140846E-1f));
  y = _mm256_fmadd_ps(y, t, set1(1.4249322787E-1f));
  y = _mm256_fmadd_ps(y, t, set1(-1.6668057665E-1f));
  y = _mm256_fmadd_ps(y, t, set1(2.0000714765E-1f));
  y = _mm256_fmadd_ps(y, t, set1(-2.4999993993E-1f));
  y = _mm256_fmadd_ps(y, t, set1(3.3333331174E-1f));
  y = _mm256_mul_ps(_mm256_mul_ps(y, t), z);
  y = _mm256_fmadd_ps(e, set1(-2.12194440e-4f), y);
  y = _mm256_fnmadd_ps(z, set1(0.5f), y);
  __m256 r = _mm256_add_ps(t, y);
  r = _mm256_fmadd_ps(e, set1(0.693359375f), r);
  // specials
  r = _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, set1(__builtin_inff()), _CMP_EQ_OQ));
  r = _mm256_blendv_ps(r, set1(-__builtin_inff()), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ));
  r = _mm256_blendv_ps(r, set1(__builtin_nanf("")), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
  return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// tanh: odd polynomial for |x| < 0.625 (Cephes tanhf), 1 - 2/(exp(2|x|)+1) above; ~2 ulp.
static inline __m256 tanh(__m256 x) {
  const __m256 sign = _mm256_and_ps(x, set1(-0.0f));
  __m256 ax = abs(x);
  __m256 z = _mm256_mul_ps(x, x);
  __m256 p = set1(-5.70498872745E-3f);
  p = _mm256_fmadd_ps(p, z, set1(2.06390887954E-2f));
  p = _mm256_fmadd_ps(p, z, set1(-5.37397155531E-2f));
  p = _mm256_fmadd_ps(p, z, set1(1.33314422036E-1f));
  p = _mm256_fmadd_ps(p, z, set1(-3.33332819422E-1f));
  __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  __m256 e = exp(_mm256_min_ps(_mm256_add_ps(ax, ax), set1(88.0f)));
  __m256 big = _mm256_sub_ps(set1(1.0f), _mm256_div_ps(set1(2.0f), _mm256_add_ps(e, set1(1.0f))));
  big = _mm256_or_ps(big, sign);
  __m256 r = _mm256_blendv_ps(big, small, _mm256_cmp_ps(ax, set1(0.625f), _CMP_LT_OQ));
  return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// sigmoid(x): with e = exp(-|x|): 1/(1+e) for x >= 0, e/(1+e) for x < 0 (no cancellation,
// tiny results for very negative x stay accurate).
static inline __m256 sigmoid(__m256 x) {
  __m256 e = exp(_mm256_or_ps(x, set1(-0.0f)));  // exp(-|x|)
  __m256 d = _mm256_add_ps(set1(1.0f), e);
  __m256 num = _mm256_blendv_ps(set1(1.0f), e, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
  return _mm256_div_ps(num, d);
}

// erf(|x|) for |x| < 1: x * T(x^2) (Cephes erff).
static inline __m256 erf_small(__m256 x, __m256 z) {
  __m256 t = set1(7.853861353153693E-5f);
  t = _mm256_fmadd_ps(t, z, set1(-8.010193625184903E-4f));
  t = _mm256_fmadd_ps(t, z, set1(5.188327685732524E-3f));
  t = _mm256_fmadd_ps(t, z, set1(-2.685381193529856E-2f));
  t = _mm256_fmadd_ps(t, z, set1(1.128358514861418E-1f));
  t = _mm256_fmadd_ps(t, z, set1(-3.761262582423300E-1f));
  t = _mm256_fmadd_ps(t, z, set1(1.128379165726710E+0f));
  return _mm256_mul_ps(x, t);
}

// erfc(a) for a >= 1 (other lanes: garbage), with a^2 given as a2hi + a2lo (FMA-exact split) so
// exp(-a^2) keeps full relative accuracy: exp(-a^2)/a * P(1/a^2) on [1,2), R(1/a^2) on [2,10)
// (Cephes erfcf); 0 beyond 10.
static inline __m256 erfc_large(__m256 a, __m256 a2hi, __m256 a2lo) {
  __m256 ac = _mm256_min_ps(_mm256_max_ps(a, set1(1.0f)), set1(10.0f));
  __m256 q = _mm256_div_ps(set1(1.0f), ac);
  __m256 w = _mm256_mul_ps(q, q);
  __m256 pa = set1(2.326819970068386E-2f), pb = set1(-1.047766399936249E+1f);
  pa = _mm256_fmadd_ps(pa, w, set1(-1.387039388740657E-1f));
  pb = _mm256_fmadd_ps(pb, w, set1(1.297719955372516E+1f));
  pa = _mm256_fmadd_ps(pa, w, set1(3.687424674597105E-1f));
  pb = _mm256_fmadd_ps(pb, w, set1(-7.495518717768503E+0f));
  pa = _mm256_fmadd_ps(pa, w, set1(-5.824733027278666E-1f));
  pb = _mm256_fmadd_ps(pb, w, set1(2.921019019210786E+0f));
  pa = _mm256_fmadd_ps(pa, w, set1(6.210004621745983E-1f));
  pb = _mm256_fmadd_ps(pb, w, set1(-1.015265279202700E+0f));
  pa = _mm256_fmadd_ps(pa, w, set1(-4.944515323274145E-1f));
  pb = _mm256_fmadd_ps(pb, w, set1(4.218463358204948E-1f));
  pa = _mm256_fmadd_ps(pa, w, set1(3.404879937665872E-1f));
  pb = _mm256_fmadd_ps(pb, w, set1(-2.820767439740514E-1f));
  pa = _mm256_fmadd_ps(pa, w, set1(-2.741127028184656E-1f));
  pb = _mm256_fmadd_ps(pb, w, set1(5.641895067754075E-1f));
  pa = _mm256_fmadd_ps(pa, w, set1(5.638259427386472E-1f));
  __m256 p = _mm256_blendv_ps(pb, pa, _mm256_cmp_ps(ac, set1(2.0f), _CMP_LT_OQ));
  __m256 e = exp(_mm256_xor_ps(_mm256_min_ps(a2hi, set1(100.0f)), set1(-0.0f)));
  e = _mm256_fnmadd_ps(e, a2lo, e);  // exp(-hi - lo) ~= exp(-hi) (1 - lo)
  __m256 r = _mm256_mul_ps(_mm256_mul_ps(e, q), p);
  return _mm256_blendv_ps(r, _mm256_setzero_ps(), _mm256_cmp_ps(a, set1(10.0f), _CMP_GE_OQ));
}

// erf(x): ~2.5 ulp.
static inline __m256 erf(__m256 x) {
  const __m256 sign = _mm256_and_ps(x, set1(-0.0f));
  __m256 ax = abs(x);
  __m256 h = _mm256_mul_ps(x, x);
  __m256 l = _mm256_fmsub_ps(x, x, h);
  __m256 small = erf_small(x, h);
  __m256 large = _mm256_or_ps(_mm256_sub_ps(set1(1.0f), erfc_large(ax, h, l)), sign);
  __m256 r = _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, set1(1.0f), _CMP_LT_OQ));
  return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// gelu(x) = 0.5 x (1 + erf(x / sqrt 2)); for x/sqrt2 <= -1 as 0.5 x erfc(|x|/sqrt2) so the
// small negative tail keeps its relative accuracy.
static inline __m256 gelu(__m256 x) {
  __m256 u = _mm256_mul_ps(x, set1(0.70710678118654752f));
  __m256 au = abs(u);
  __m256 h = _mm256_mul_ps(x, x);
  __m256 l = _mm256_fmsub_ps(x, x, h);
  __m256 ec = erfc_large(au, _mm256_mul_ps(h, set1(0.5f)), _mm256_mul_ps(l, set1(0.5f)));
  __m256 hx = _mm256_mul_ps(set1(0.5f), x);
  __m256 neg = _mm256_mul_ps(hx, ec);
  __m256 pos = _mm256_fnmadd_ps(hx, ec, x);
  __m256 mid = _mm256_fmadd_ps(hx, erf_small(u, _mm256_mul_ps(u, u)), hx);
  __m256 r = _mm256_blendv_ps(pos, neg, _mm256_cmp_ps(u, _mm256_setzero_ps(), _CMP_LT_OQ));
  r = _mm256_blendv_ps(r, mid, _mm256_cmp_ps(au, set1(1.0f), _CMP_LT_OQ));
  // |u| >= 10: x or 0 exactly (also avoids inf * 0).
  __m256 sat = _mm256_and_ps(x, _mm256_cmp_ps(u, _mm256_setzero_ps(), _CMP_GT_OQ));
  r = _mm256_blendv_ps(r, sat, _mm256_cmp_ps(au, set1(10.0f), _CMP_GE_OQ));
  return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// gelu_tanh(x) = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3); computed as the
// identical x * sigmoid(2u) (no cancellation for negative x).
static inline __m256 gelu_tanh(__m256 x) {
  __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
  __m256 u2 = _mm256_mul_ps(set1(2.0f * 0.7978845608028654f), _mm256_fmadd_ps(x3, set1(0.044715f), x));
  __m256 r = _mm256_mul_ps(x, sigmoid(u2));
  return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

}  // namespace simd
}  // namespace lepton
