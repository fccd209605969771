// AVX2+FMA inner kernels for elementwise.cc (compiled with -mavx2 -mfma; only called when
// cpu_isa() says avx2_fma). No std:: templates here: COMDAT copies built for AVX2 could be
// picked by the linker for baseline code.
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "simd_math_avx2.h"

namespace lepton {
namespace elementwise_avx2 {
namespace {

inline __m256 set1(float v) { return _mm256_set1_ps(v); }

inline float scalar_bin(int op, float a, float b) {
  switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return (a != a || b != b) ? a + b : (a > b ? a : b);
    case 5: return (a != a || b != b) ? a + b : (a < b ? a : b);
    default: return powf(a, b);
  }
}

template <int OP>
inline __m256 vbin(__m256 a, __m256 b) {
  if (OP == 0) return _mm256_add_ps(a, b);
  if (OP == 1) return _mm256_sub_ps(a, b);
  if (OP == 2) return _mm256_mul_ps(a, b);
  if (OP == 3) return _mm256_div_ps(a, b);
  const __m256 r = OP == 4 ? _mm256_max_ps(a, b) : _mm256_min_ps(a, b);
  return _mm256_blendv_ps(r, _mm256_add_ps(a, b), _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
}

// sa, sb in {0, 1}.
template <int OP, int SA, int SB>
void bin_vec(const float* a, const float* b, float* y, int64_t n) {
  int64_t i = 0;
  const __m256 a0 = SA == 0 ? _mm256_broadcast_ss(a) : _mm256_setzero_ps();
  const __m256 b0 = SB == 0 ? _mm256_broadcast_ss(b) : _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    const __m256 va0 = SA ? _mm256_loadu_ps(a + i) : a0, va1 = SA ? _mm256_loadu_ps(a + i + 8) : a0;
    const __m256 vb0 = SB ? _mm256_loadu_ps(b + i) : b0, vb1 = SB ? _mm256_loadu_ps(b + i + 8) : b0;
    _mm256_storeu_ps(y + i, vbin<OP>(va0, vb0));
    _mm256_storeu_ps(y + i + 8, vbin<OP>(va1, vb1));
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 va = SA ? _mm256_loadu_ps(a + i) : a0, vb = SB ? _mm256_loadu_ps(b + i) : b0;
    _mm256_storeu_ps(y + i, vbin<OP>(va, vb));
  }
  for (; i < n; ++i) y[i] = scalar_bin(OP, a[SA ? i : 0], b[SB ? i : 0]);
}

template <int OP>
void bin_op(const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n) {
  if (OP != 6 && (sa == 0 || sa == 1) && (sb == 0 || sb == 1)) {
    if (sa == 1 && sb == 1) return bin_vec<OP, 1, 1>(a, b, y, n);
    if (sa == 1 && sb == 0) return bin_vec<OP, 1, 0>(a, b, y, n);
    if (sa == 0 && sb == 1) return bin_vec<OP, 0, 1>(a, b, y, n);
    return bin_vec<OP, 0, 0>(a, b, y, n);
  }
  for (int64_t i = 0; i < n; ++i) y[i] = scalar_bin(OP, a[i * sa], b[i * sb]);
}

template <int OP>
inline __m256 vun(__m256 x) {
  switch (OP) {
    case 0: return _mm256_max_ps(x, _mm256_setzero_ps());  // relu; NaN -> 0 like max_ps? keep NaN below
    case 1: return simd::sigmoid(x);
    case 2: return simd::tanh(x);
    case 3: return simd::gelu(x);
    case 4: return simd::gelu_tanh(x);
    case 5: return simd::exp(x);
    case 6: return simd::log(x);
    case 7: return simd::abs(x);
    case 8: return _mm256_xor_ps(x, set1(-0.0f));
    case 9: return _mm256_sqrt_ps(x);
    case 10: return simd::erf(x);
    default: return _mm256_div_ps(set1(1.0f), x);
  }
}

template <int OP>
void un_op(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    __m256 r = vun<OP>(v);
    if (OP == 0) r = _mm256_blendv_ps(r, v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    _mm256_storeu_ps(y + i, r);
  }
  if (i < n) {
    float buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(buf, x + i, sizeof(float) * static_cast<size_t>(n - i));
    __m256 v = _mm256_loadu_ps(buf);
    __m256 r = vun<OP>(v);
    if (OP == 0) r = _mm256_blendv_ps(r, v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    _mm256_storeu_ps(buf, r);
    std::memcpy(y + i, buf, sizeof(float) * static_cast<size_t>(n - i));
  }
}

}  // namespace

void binary(int op, const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n) {
  switch (op) {
    case 0: return bin_op<0>(a, sa, b, sb, y, n);
    case 1: return bin_op<1>(a, sa, b, sb, y, n);
    case 2: return bin_op<2>(a, sa, b, sb, y, n);
    case 3: return bin_op<3>(a, sa, b, sb, y, n);
    case 4: return bin_op<4>(a, sa, b, sb, y, n);
    case 5: return bin_op<5>(a, sa, b, sb, y, n);
    default: return bin_op<6>(a, sa, b, sb, y, n);
  }
}

void unary(int op, const float* x, float* y, int64_t n) {
  switch (op) {
    case 0: return un_op<0>(x, y, n);
    case 1: return un_op<1>(x, y, n);
    case 2: return un_op<2>(x, y, n);
    case 3: return un_op<3>(x, y, n);
    case 4: return un_op<4>(x, y, n);
    case 5: return un_op<5>(x, y, n);
    case 6: return un_op<6>(x, y, n);
    case 7: return un_op<7>(x, y, n);
    case 8: return un_op<8>(x, y, n);
    case 9: return un_op<9>(x, y, n);
    case 10: return un_op<10>(x, y, n);
    default: return un_op<11>(x, y, n);
  }
}

void clip(const float* x, float lo, float hi, float* y, int64_t n) {
  const __m256 vlo = set1(lo), vhi = set1(hi);
  int64_t i = 0;
  // min(max(x, lo), hi); max_ps(x, lo) returns lo for NaN x, so restore NaN.
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    __m256 r = _mm256_min_ps(_mm256_max_ps(v, vlo), vhi);
    r = _mm256_blendv_ps(r, v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    _mm256_storeu_ps(y + i, r);
  }
  for (; i < n; ++i) {
    const float v = x[i];
    y[i] = v != v ? v : (v < lo ? (lo < hi ? lo : hi) : (v > hi ? hi : v));  // min(max(v, lo), hi): hi wins when lo > hi (ONNX)
  }
}

void affine(const float* x, float a, float b, float* y, int64_t n) {
  const __m256 va = set1(a), vb = set1(b);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(_mm256_loadu_ps(x + i), va, vb));
    _mm256_storeu_ps(y + i + 8, _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), va, vb));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(_mm256_loadu_ps(x + i), va, vb));
  for (; i < n; ++i) y[i] = fmaf(x[i], a, b);
}

// Softmax of one contiguous row of n >= 1.
void softmax_row(const float* x, float* y, int64_t n, bool log) {
  __m256 mv = set1(-__builtin_inff());
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(x + i));
  float m = simd::hmax(mv);
  bool nan = false;
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  // NaN anywhere -> NaN row (exp(x - m) carries it through the sum).
  {
    __m256 nv = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
      const __m256 v = _mm256_loadu_ps(x + j);
      nv = _mm256_or_ps(nv, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    nan = _mm256_movemask_ps(nv) != 0;
    for (; j < n; ++j) nan |= x[j] != x[j];
  }
  if (nan) m = __builtin_nanf("");
  const __m256 vm = set1(m);
  double total = 0.0;
  for (int64_t b = 0; b < n; b += 4096) {
    const int64_t e = b + 4096 < n ? b + 4096 : n;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0;
    int64_t j = b;
    for (; j + 16 <= e; j += 16) {
      __m256 e0 = simd::exp(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm));
      __m256 e1 = simd::exp(_mm256_sub_ps(_mm256_loadu_ps(x + j + 8), vm));
      s0 = _mm256_add_ps(s0, e0);
      s1 = _mm256_add_ps(s1, e1);
      if (!log) {
        _mm256_storeu_ps(y + j, e0);
        _mm256_storeu_ps(y + j + 8, e1);
      }
    }
    for (; j + 8 <= e; j += 8) {
      __m256 e0 = simd::exp(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm));
      s0 = _mm256_add_ps(s0, e0);
      if (!log) _mm256_storeu_ps(y + j, e0);
    }
    double bs = simd::hsum_d(s0) + simd::hsum_d(s1);
    for (; j < e; ++j) {
      const float ev = expf(x[j] - m);
      bs += ev;
      if (!log) y[j] = ev;
    }
    total += bs;
  }
  if (log) {
    // (x - m) - log(sum): folding m into one constant would cost up to half an ulp of m.
    const float ls = static_cast<float>(__builtin_log(total));
    const __m256 vl = set1(ls);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) _mm256_storeu_ps(y + j, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm), vl));
    for (; j < n; ++j) y[j] = (x[j] - m) - ls;
  } else {
    const float r = static_cast<float>(1.0 / total);
    const __m256 vr = set1(r);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) _mm256_storeu_ps(y + j, _mm256_mul_ps(_mm256_loadu_ps(y + j), vr));
    for (; j < n; ++j) y[j] *= r;
  }
}

// Softmax over L rows of stride `inner` for w (<= 256) contiguous columns.
void softmax_cols(const float* x, float* y, int64_t L, int64_t inner, int64_t w, bool log) {
  float mx[256], sm[256];
  for (int64_t j = 0; j < w; ++j) {
    mx[j] = -__builtin_inff();
    sm[j] = 0.0f;
  }
  for (int64_t r = 0; r < L; ++r) {
    const float* p = x + r * inner;
    int64_t j = 0;
    for (; j + 8 <= w; j += 8) {
      const __m256 a = _mm256_loadu_ps(mx + j), v = _mm256_loadu_ps(p + j);
      __m256 m = _mm256_max_ps(a, v);
      m = _mm256_blendv_ps(m, a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
      _mm256_storeu_ps(mx + j, m);
    }
    for (; j < w; ++j) mx[j] = (mx[j] != mx[j] || p[j] != p[j]) ? mx[j] + p[j] : (p[j] > mx[j] ? p[j] : mx[j]);
  }
  for (int64_t r = 0; r < L; ++r) {
    const float* p = x + r * inner;
    float* q = y + r * inner;
    int64_t j = 0;
    for (; j + 8 <= w; j += 8) {
      const __m256 e = simd::exp(_mm256_sub_ps(_mm256_loadu_ps(p + j), _mm256_loadu_ps(mx + j)));
      _mm256_storeu_ps(sm + j, _mm256_add_ps(_mm256_loadu_ps(sm + j), e));
      if (!log) _mm256_storeu_ps(q + j, e);
    }
    for (; j < w; ++j) {
      const float e = expf(p[j] - mx[j]);
      sm[j] += e;
      if (!log) q[j] = e;
    }
  }
  for (int64_t j = 0; j < w; ++j) sm[j] = log ? logf(sm[j]) : 1.0f / sm[j];
  for (int64_t r = 0; r < L; ++r) {
    const float* p = x + r * inner;
    float* q = y + r * inner;
    int64_t j = 0;
    for (; j + 8 <= w; j += 8) {
      const __m256 s = _mm256_loadu_ps(sm + j);
      _mm256_storeu_ps(q + j, log ? _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(p + j), _mm256_loadu_ps(mx + j)), s)
                                  : _mm256_mul_ps(_mm256_loadu_ps(q + j), s));
    }
    for (; j < w; ++j) q[j] = log ? (p[j] - mx[j]) - sm[j] : q[j] * sm[j];
  }
}

// y[k * ys + l] = x[k + l * xs] for k < nk, l < nl (4-byte elements): 8x8 register transposes.
void transpose_4(const uint32_t* x, int64_t xs, uint32_t* y, int64_t ys, int64_t nk, int64_t nl) {
  int64_t l0 = 0;
  for (; l0 + 8 <= nl; l0 += 8) {
    int64_t k0 = 0;
    for (; k0 + 8 <= nk; k0 += 8) {
      const float* xp = reinterpret_cast<const float*>(x + k0 + l0 * xs);
      __m256 r0 = _mm256_loadu_ps(xp), r1 = _mm256_loadu_ps(xp + xs), r2 = _mm256_loadu_ps(xp + 2 * xs),
             r3 = _mm256_loadu_ps(xp + 3 * xs), r4 = _mm256_loadu_ps(xp + 4 * xs), r5 = _mm256_loadu_ps(xp + 5 * xs),
             r6 = _mm256_loadu_ps(xp + 6 * xs), r7 = _mm256_loadu_ps(xp + 7 * xs);
      __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
             t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
             t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE),
             s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE),
             s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE),
             s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      float* yp = reinterpret_cast<float*>(y + k0 * ys + l0);
      _mm256_storeu_ps(yp, _mm256_permute2f128_ps(s0, s4, 0x20));
      _mm256_storeu_ps(yp + ys, _mm256_permute2f128_ps(s1, s5, 0x20));
      _mm256_storeu_ps(yp + 2 * ys, _mm256_permute2f128_ps(s2, s6, 0x20));
      _mm256_storeu_ps(yp + 3 * ys, _mm256_permute2f128_ps(s3, s7, 0x20));
      _mm256_storeu_ps(yp + 4 * ys, _mm256_permute2f128_ps(s0, s4, 0x31));
      _mm256_storeu_ps(yp + 5 * ys, _mm256_permute2f128_ps(s1, s5, 0x31));
      _mm256_storeu_ps(yp + 6 * ys, _mm256_permute2f128_ps(s2, s6, 0x31));
      _mm256_storeu_ps(yp + 7 * ys, _mm256_permute2f128_ps(s3, s7, 0x31));
    }
    for (; k0 < nk; ++k0)
      for (int64_t l = l0; l < l0 + 8; ++l) y[k0 * ys + l] = x[k0 + l * xs];
  }
  for (; l0 < nl; ++l0)
    for (int64_t k = 0; k < nk; ++k) y[k * ys + l0] = x[k + l0 * xs];
}

}  // namespace elementwise_avx2
}  // namespace lepton
