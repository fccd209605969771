// AVX2+FMA inner kernels for reduce.cc (compiled with -mavx2 -mfma; only called when
// cpu_isa() says avx2_fma).
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "simd_math_avx2.h"

namespace lepton {
namespace reduce_avx2 {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr int64_t kRowBlock = 4096;
// Local helper: no std:: templates in this -mavx2 file (COMDAT copies could leak into baseline code).
inline int64_t mn(int64_t a, int64_t b) { return a < b ? a : b; }

inline bool arg_better(bool is_max, bool last, float v, float best) {
  const bool vn = v != v, bn = best != best;
  if (last) {
    if (vn) return true;
    if (bn) return false;
    return is_max ? v >= best : v <= best;
  }
  if (bn) return false;
  if (vn) return true;
  return is_max ? v > best : v < best;
}

template <int T>
inline __m256 xform(__m256 v, __m256 shift) {
  if (T == 0) return v;
  if (T == 1) return _mm256_mul_ps(v, v);
  if (T == 2) return simd::abs(v);
  return simd::exp(_mm256_sub_ps(v, shift));
}

template <int T>
double row_sum_t(const float* p, int64_t n, float shift_s) {
  const __m256 shift = _mm256_set1_ps(shift_s);
  double total = 0.0;
  for (int64_t b = 0; b < n; b += kRowBlock) {
    const int64_t e = mn(n, b + kRowBlock);
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = b;
    if (T == 0) {
      for (; i + 32 <= e; i += 32) {
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p + i));
        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p + i + 24));
      }
    } else if (T == 1) {
      for (; i + 32 <= e; i += 32) {
        const __m256 v0 = _mm256_loadu_ps(p + i), v1 = _mm256_loadu_ps(p + i + 8);
        const __m256 v2 = _mm256_loadu_ps(p + i + 16), v3 = _mm256_loadu_ps(p + i + 24);
        a0 = _mm256_fmadd_ps(v0, v0, a0);
        a1 = _mm256_fmadd_ps(v1, v1, a1);
        a2 = _mm256_fmadd_ps(v2, v2, a2);
        a3 = _mm256_fmadd_ps(v3, v3, a3);
      }
    } else {
      for (; i + 32 <= e; i += 32) {
        a0 = _mm256_add_ps(a0, xform<T>(_mm256_loadu_ps(p + i), shift));
        a1 = _mm256_add_ps(a1, xform<T>(_mm256_loadu_ps(p + i + 8), shift));
        a2 = _mm256_add_ps(a2, xform<T>(_mm256_loadu_ps(p + i + 16), shift));
        a3 = _mm256_add_ps(a3, xform<T>(_mm256_loadu_ps(p + i + 24), shift));
      }
    }
    for (; i + 8 <= e; i += 8) a0 = _mm256_add_ps(a0, xform<T>(_mm256_loadu_ps(p + i), shift));
    if (i < e) {
      const __m256i m = simd::tail_mask(e - i);
      const __m256 v = xform<T>(_mm256_maskload_ps(p + i, m), shift);
      a1 = _mm256_add_ps(a1, _mm256_and_ps(v, _mm256_castsi256_ps(m)));
    }
    total += simd::hsum_d(a0) + simd::hsum_d(a1) + simd::hsum_d(a2) + simd::hsum_d(a3);
  }
  return total;
}

// Block extreme of p[0, n) (n >= 1); NaN if any NaN.
inline float ext_block(bool is_max, const float* p, int64_t n) {
  const __m256 ident = _mm256_set1_ps(is_max ? -kInf : kInf);
  __m256 a0 = ident, a1 = ident, a2 = ident, a3 = ident;
  __m256 nan = _mm256_setzero_ps();
  int64_t i = 0;
  if (is_max) {
    for (; i + 32 <= n; i += 32) {
      const __m256 v0 = _mm256_loadu_ps(p + i), v1 = _mm256_loadu_ps(p + i + 8);
      const __m256 v2 = _mm256_loadu_ps(p + i + 16), v3 = _mm256_loadu_ps(p + i + 24);
      a0 = _mm256_max_ps(a0, v0);
      a1 = _mm256_max_ps(a1, v1);
      a2 = _mm256_max_ps(a2, v2);
      a3 = _mm256_max_ps(a3, v3);
      nan = _mm256_or_ps(nan, _mm256_or_ps(_mm256_cmp_ps(v0, v1, _CMP_UNORD_Q), _mm256_cmp_ps(v2, v3, _CMP_UNORD_Q)));
    }
    for (; i + 8 <= n; i += 8) {
      const __m256 v = _mm256_loadu_ps(p + i);
      a0 = _mm256_max_ps(a0, v);
      nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    a0 = _mm256_max_ps(_mm256_max_ps(a0, a1), _mm256_max_ps(a2, a3));
  } else {
    for (; i + 32 <= n; i += 32) {
      const __m256 v0 = _mm256_loadu_ps(p + i), v1 = _mm256_loadu_ps(p + i + 8);
      const __m256 v2 = _mm256_loadu_ps(p + i + 16), v3 = _mm256_loadu_ps(p + i + 24);
      a0 = _mm256_min_ps(a0, v0);
      a1 = _mm256_min_ps(a1, v1);
      a2 = _mm256_min_ps(a2, v2);
      a3 = _mm256_min_ps(a3, v3);
      nan = _mm256_or_ps(nan, _mm256_or_ps(_mm256_cmp_ps(v0, v1, _CMP_UNORD_Q), _mm256_cmp_ps(v2, v3, _CMP_UNORD_Q)));
    }
    for (; i + 8 <= n; i += 8) {
      const __m256 v = _mm256_loadu_ps(p + i);
      a0 = _mm256_min_ps(a0, v);
      nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    a0 = _mm256_min_ps(_mm256_min_ps(a0, a1), _mm256_min_ps(a2, a3));
  }
  float m = is_max ? simd::hmax(a0) : simd::hmin(a0);
  bool has_nan = _mm256_movemask_ps(nan) != 0;
  for (; i < n; ++i) {
    const float v = p[i];
    has_nan |= v != v;
    m = is_max ? (v > m ? v : m) : (v < m ? v : m);
  }
  return has_nan ? kNaN : m;
}

}  // namespace

double row_sum(int t, const float* p, int64_t n, int64_t s, float shift) {
  if (s != 1) {
    double a = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const float v = p[i * s];
      a += t == 0 ? v : t == 1 ? static_cast<double>(v) * v : t == 2 ? __builtin_fabsf(v) : __builtin_expf(v - shift);
    }
    return a;
  }
  switch (t) {
    case 0: return row_sum_t<0>(p, n, shift);
    case 1: return row_sum_t<1>(p, n, shift);
    case 2: return row_sum_t<2>(p, n, shift);
    default: return row_sum_t<3>(p, n, shift);
  }
}

float row_ext(bool is_max, const float* p, int64_t n, int64_t s) {
  if (s == 1) return n > 0 ? ext_block(is_max, p, n) : (is_max ? -kInf : kInf);
  float m = is_max ? -kInf : kInf;
  bool nan = false;
  for (int64_t i = 0; i < n; ++i) {
    const float v = p[i * s];
    nan |= v != v;
    m = is_max ? (v > m ? v : m) : (v < m ? v : m);
  }
  return nan ? kNaN : m;
}

namespace {
template <int T>
void col_sum_t(const float* x, int64_t m, float* acc, const float* shift) {
  int64_t j = 0;
  const __m256 zero = _mm256_setzero_ps();
  for (; j + 16 <= m; j += 16) {
    const __m256 s0 = T == 3 ? _mm256_loadu_ps(shift + j) : zero;
    const __m256 s1 = T == 3 ? _mm256_loadu_ps(shift + j + 8) : zero;
    _mm256_storeu_ps(acc + j, _mm256_add_ps(_mm256_loadu_ps(acc + j), xform<T>(_mm256_loadu_ps(x + j), s0)));
    _mm256_storeu_ps(acc + j + 8,
                     _mm256_add_ps(_mm256_loadu_ps(acc + j + 8), xform<T>(_mm256_loadu_ps(x + j + 8), s1)));
  }
  for (; j + 8 <= m; j += 8) {
    const __m256 s0 = T == 3 ? _mm256_loadu_ps(shift + j) : zero;
    _mm256_storeu_ps(acc + j, _mm256_add_ps(_mm256_loadu_ps(acc + j), xform<T>(_mm256_loadu_ps(x + j), s0)));
  }
  for (; j < m; ++j) {
    const float v = x[j];
    acc[j] += T == 0 ? v : T == 1 ? v * v : T == 2 ? __builtin_fabsf(v) : __builtin_expf(v - shift[j]);
  }
}
}  // namespace

void col_sum(int t, const float* x, int64_t m, float* acc, const float* shift) {
  switch (t) {
    case 0: col_sum_t<0>(x, m, acc, shift); break;
    case 1: col_sum_t<1>(x, m, acc, shift); break;
    case 2: col_sum_t<2>(x, m, acc, shift); break;
    default: col_sum_t<3>(x, m, acc, shift); break;
  }
}

void col_ext(bool is_max, const float* x, int64_t m, float* acc) {
  int64_t j = 0;
  for (; j + 8 <= m; j += 8) {
    const __m256 a = _mm256_loadu_ps(acc + j), v = _mm256_loadu_ps(x + j);
    __m256 r = is_max ? _mm256_max_ps(a, v) : _mm256_min_ps(a, v);  // v when v is NaN
    r = _mm256_blendv_ps(r, a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));  // keep a NaN acc
    _mm256_storeu_ps(acc + j, r);
  }
  for (; j < m; ++j) {
    const float v = x[j], a = acc[j];
    acc[j] = ((is_max ? v > a : v < a) || v != v) ? v : a;
  }
}

int64_t row_arg(bool is_max, bool last, const float* p, int64_t n) {
  constexpr int64_t B = 2048;
  float bv = 0.0f;
  int64_t bb = -1;
  for (int64_t b = 0; b < n; b += B) {
    const float em = ext_block(is_max, p + b, mn(B, n - b));
    if (bb < 0 || arg_better(is_max, last, em, bv)) {
      bv = em;
      bb = b;
    }
    if (!last && em != em) break;
  }
  const int64_t e = mn(n, bb + B);
  const bool nan = bv != bv;
  const __m256 target = _mm256_set1_ps(bv);
  if (!last) {
    int64_t i = bb;
    for (; i + 8 <= e; i += 8) {
      const __m256 v = _mm256_loadu_ps(p + i);
      const int mask = _mm256_movemask_ps(nan ? _mm256_cmp_ps(v, v, _CMP_UNORD_Q) : _mm256_cmp_ps(v, target, _CMP_EQ_OQ));
      if (mask) return i + __builtin_ctz(static_cast<unsigned>(mask));
    }
    for (; i < e; ++i)
      if (nan ? p[i] != p[i] : p[i] == bv) return i;
  } else {
    int64_t i = e;
    for (; i - 8 >= bb; i -= 8) {
      const __m256 v = _mm256_loadu_ps(p + i - 8);
      const int mask = _mm256_movemask_ps(nan ? _mm256_cmp_ps(v, v, _CMP_UNORD_Q) : _mm256_cmp_ps(v, target, _CMP_EQ_OQ));
      if (mask) return i - 8 + (31 - __builtin_clz(static_cast<unsigned>(mask)));
    }
    for (--i; i >= bb; --i)
      if (nan ? p[i] != p[i] : p[i] == bv) return i;
  }
  return bb;  // not reached
}

void col_arg(bool is_max, bool last, const float* x, int64_t m, float* best, int32_t* idx, int32_t r) {
  const __m256i rv = _mm256_set1_epi32(r);
  int64_t j = 0;
  const int cmp_strict = is_max ? _CMP_GT_OQ : _CMP_LT_OQ;
  for (; j + 8 <= m; j += 8) {
    const __m256 v = _mm256_loadu_ps(x + j), b = _mm256_loadu_ps(best + j);
    const __m256 vn = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
    __m256 upd;
    if (last) {
      const __m256 ge = is_max ? _mm256_cmp_ps(v, b, _CMP_GE_OQ) : _mm256_cmp_ps(v, b, _CMP_LE_OQ);
      upd = _mm256_or_ps(ge, vn);
    } else {
      const __m256 gt = cmp_strict == _CMP_GT_OQ ? _mm256_cmp_ps(v, b, _CMP_GT_OQ) : _mm256_cmp_ps(v, b, _CMP_LT_OQ);
      upd = _mm256_or_ps(gt, _mm256_andnot_ps(_mm256_cmp_ps(b, b, _CMP_UNORD_Q), vn));
    }
    _mm256_storeu_ps(best + j, _mm256_blendv_ps(b, v, upd));
    const __m256i iv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx + j));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + j),
                        _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(iv), _mm256_castsi256_ps(rv), upd)));
  }
  for (; j < m; ++j) {
    if (arg_better(is_max, last, x[j], best[j])) {
      best[j] = x[j];
      idx[j] = r;
    }
  }
}

}  // namespace reduce_avx2
}  // namespace lepton
