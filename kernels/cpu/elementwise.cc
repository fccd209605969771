// Elementwise, softmax, batchnorm and strided-copy kernels, float32: shape canonicalisation,
// threading and the portable inner kernels. AVX2+FMA inner kernels: elementwise_avx2.cc.
#include "elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "cpu_features.h"
#include "parallel.h"

namespace lepton {

#define LEPTON_ELEMENTWISE_KERNELS                                                                  \
  void binary(int op, const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n); \
  void unary(int op, const float* x, float* y, int64_t n);                                          \
  void clip(const float* x, float lo, float hi, float* y, int64_t n);                               \
  void affine(const float* x, float a, float b, float* y, int64_t n);                               \
  void softmax_row(const float* x, float* y, int64_t n, bool log);                                  \
  void softmax_cols(const float* x, float* y, int64_t L, int64_t inner, int64_t w, bool log);      \
  void transpose_4(const uint32_t* x, int64_t xs, uint32_t* y, int64_t ys, int64_t nk, int64_t nl);

namespace elementwise_avx2 {
LEPTON_ELEMENTWISE_KERNELS
}
namespace elementwise_portable {
LEPTON_ELEMENTWISE_KERNELS
}

namespace {

struct Kernels {
  void (*binary)(int, const float*, int64_t, const float*, int64_t, float*, int64_t);
  void (*unary)(int, const float*, float*, int64_t);
  void (*clip)(const float*, float, float, float*, int64_t);
  void (*affine)(const float*, float, float, float*, int64_t);
  void (*softmax_row)(const float*, float*, int64_t, bool);
  void (*softmax_cols)(const float*, float*, int64_t, int64_t, int64_t, bool);
  void (*transpose_4)(const uint32_t*, int64_t, uint32_t*, int64_t, int64_t, int64_t);
};

const Kernels& kernels() {
  namespace A = elementwise_avx2;
  namespace P = elementwise_portable;
  static const Kernels avx2{A::binary, A::unary, A::clip, A::affine, A::softmax_row, A::softmax_cols, A::transpose_4};
  static const Kernels portable{P::binary, P::unary, P::clip, P::affine, P::softmax_row, P::softmax_cols, P::transpose_4};
  return cpu_has_avx2() ? avx2 : portable;
}

constexpr int64_t kParallelMin = 65536;  // elements below which elementwise work stays serial
constexpr int64_t kGrain = 32768;

struct Dim2 {
  int64_t n, sa, sb;
};

// Runs fn over [0, total) split into contiguous chunks (threaded above kParallelMin).
template <typename F>
void for_range(int64_t total, int64_t cost_per_item, F&& fn) {
  if (total * cost_per_item < kParallelMin || parallel_thread_count() == 1) {
    fn(int64_t(0), total);
    return;
  }
  parallel_range(total, std::max<int64_t>(1, kGrain / cost_per_item), fn);
}

}  // namespace

void binary_f32(BinaryOp op, int ndim, const int64_t* out_shape, const float* a, const int64_t* a_strides,
                const float* b, const int64_t* b_strides, float* y) {
  std::vector<Dim2> d;
  for (int i = 0; i < ndim; ++i) {
    if (out_shape[i] == 0) return;
    if (out_shape[i] == 1) continue;
    Dim2 c{out_shape[i], a_strides[i], b_strides[i]};
    if (!d.empty() && d.back().sa == c.sa * c.n && d.back().sb == c.sb * c.n) {
      d.back().n *= c.n;
      d.back().sa = c.sa;
      d.back().sb = c.sb;
    } else {
      d.push_back(c);
    }
  }
  if (d.empty()) d.push_back(Dim2{1, 0, 0});
  const int nd = static_cast<int>(d.size());
  const Dim2 in = d.back();
  int64_t total = 1;
  for (const Dim2& c : d) total *= c.n;
  const Kernels& K = kernels();
  const int iop = static_cast<int>(op);
  const int64_t cost = op == BinaryOp::pow ? 8 : 1;
  for_range(total, cost, [&](int64_t begin, int64_t end) {
    // Walk the outer dims from flat index begin.
    int64_t idx[16] = {};
    int64_t row = begin / in.n, j = begin % in.n;
    int64_t oa = 0, ob = 0;
    for (int k = nd - 2; k >= 0; --k) {
      idx[k] = row % d[k].n;
      row /= d[k].n;
      oa += idx[k] * d[k].sa;
      ob += idx[k] * d[k].sb;
    }
    int64_t pos = begin;
    while (pos < end) {
      const int64_t seg = std::min(in.n - j, end - pos);
      K.binary(iop, a + oa + j * in.sa, in.sa, b + ob + j * in.sb, in.sb, y + pos, seg);
      pos += seg;
      j = 0;
      for (int k = nd - 2; k >= 0; --k) {
        oa += d[k].sa;
        ob += d[k].sb;
        if (++idx[k] < d[k].n) break;
        oa -= d[k].sa * d[k].n;
        ob -= d[k].sb * d[k].n;
        idx[k] = 0;
      }
    }
  });
}

void unary_f32(UnaryOp op, int64_t n, const float* x, float* y) {
  if (n <= 0) return;
  const Kernels& K = kernels();
  const int iop = static_cast<int>(op);
  const bool heavy = !(op == UnaryOp::relu || op == UnaryOp::abs || op == UnaryOp::neg);
  for_range(n, heavy ? 4 : 1, [&](int64_t b, int64_t e) { K.unary(iop, x + b, y + b, e - b); });
}

void clip_f32(int64_t n, const float* x, float lo, float hi, float* y) {
  if (n <= 0) return;
  const Kernels& K = kernels();
  for_range(n, 1, [&](int64_t b, int64_t e) { K.clip(x + b, lo, hi, y + b, e - b); });
}

// ---- strided copy -------------------------------------------------------------------------
namespace {

struct Dim1 {
  int64_t n, s;
};

template <typename T>
void copy_strided(int ndim, const int64_t* shape, const int64_t* strides, const T* x, T* y) {
  std::vector<Dim1> d;
  for (int i = 0; i < ndim; ++i) {
    if (shape[i] == 0) return;
    if (shape[i] == 1) continue;
    Dim1 c{shape[i], strides[i]};
    if (!d.empty() && d.back().s == c.s * c.n) {
      d.back().n *= c.n;
      d.back().s = c.s;
    } else {
      d.push_back(c);
    }
  }
  if (d.empty()) {
    y[0] = x[0];
    return;
  }
  const int nd = static_cast<int>(d.size());
  int64_t total = 1;
  for (const Dim1& c : d) total *= c.n;
  // Output (contiguous) strides of the canonical dims.
  std::vector<int64_t> os(nd);
  {
    int64_t s = 1;
    for (int k = nd - 1; k >= 0; --k) {
      os[k] = s;
      s *= d[k].n;
    }
  }
  const Dim1 in = d.back();
  // Transpose-like: the innermost output dim is strided in x but another dim is contiguous in
  // x: copy 32x32 tiles so both sides stay in cache lines.
  int kc = -1;
  if (in.s != 1)
    for (int k = 0; k < nd - 1; ++k)
      if (d[k].s == 1) kc = k;
  if (kc >= 0 && in.n >= 8 && d[kc].n >= 8) {
    constexpr int64_t Tl = 128;
    const int64_t nk = d[kc].n, nl = in.n;
    const int64_t tk = (nk + Tl - 1) / Tl, tl = (nl + Tl - 1) / Tl;
    // The other dims (not kc, not last).
    std::vector<Dim1> od;
    std::vector<int64_t> oos;
    for (int k = 0; k < nd - 1; ++k)
      if (k != kc) {
        od.push_back(d[k]);
        oos.push_back(os[k]);
      }
    int64_t nothers = 1;
    for (const Dim1& c : od) nothers *= c.n;
    const int64_t ntasks = nothers * tk;
    auto task = [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        int64_t o = t / tk, ki = t % tk, xo = 0, yo = 0;
        for (int k = static_cast<int>(od.size()) - 1; k >= 0; --k) {
          const int64_t ix = o % od[k].n;
          o /= od[k].n;
          xo += ix * od[k].s;
          yo += ix * oos[k];
        }
        const int64_t k0 = ki * Tl, k1 = std::min(nk, k0 + Tl);
        if (sizeof(T) == 4) {
          for (int64_t l0 = 0; l0 < nl; l0 += Tl)
            kernels().transpose_4(reinterpret_cast<const uint32_t*>(x + xo + k0 + l0 * in.s), in.s,
                                  reinterpret_cast<uint32_t*>(y + yo + k0 * os[kc] + l0), os[kc], k1 - k0,
                                  std::min(Tl, nl - l0));
          continue;
        }
        for (int64_t li = 0; li < tl; ++li) {
          const int64_t l0 = li * Tl, l1 = std::min(nl, l0 + Tl);
          for (int64_t k = k0; k < k1; ++k) {
            const T* xs = x + xo + k;
            T* yd = y + yo + k * os[kc];
            for (int64_t l = l0; l < l1; ++l) yd[l] = xs[l * in.s];
          }
        }
      }
    };
    if (total < kParallelMin) task(0, ntasks);
    else parallel_range(ntasks, 1, task);
    return;
  }
  auto body = [&](int64_t begin, int64_t end) {
    int64_t idx[16] = {};
    int64_t row = begin / in.n, j = begin % in.n, ox = 0;
    for (int k = nd - 2; k >= 0; --k) {
      idx[k] = row % d[k].n;
      row /= d[k].n;
      ox += idx[k] * d[k].s;
    }
    int64_t pos = begin;
    while (pos < end) {
      const int64_t seg = std::min(in.n - j, end - pos);
      const T* src = x + ox + j * in.s;
      if (in.s == 1) std::memcpy(y + pos, src, sizeof(T) * static_cast<size_t>(seg));
      else
        for (int64_t i = 0; i < seg; ++i) y[pos + i] = src[i * in.s];
      pos += seg;
      j = 0;
      for (int k = nd - 2; k >= 0; --k) {
        ox += d[k].s;
        if (++idx[k] < d[k].n) break;
        ox -= d[k].s * d[k].n;
        idx[k] = 0;
      }
    }
  };
  if (total < kParallelMin || parallel_thread_count() == 1) body(0, total);
  else parallel_range(total, kGrain, body);
}

}  // namespace

void copy_strided_4(int ndim, const int64_t* shape, const int64_t* strides, const void* x, void* y) {
  copy_strided<uint32_t>(ndim, shape, strides, static_cast<const uint32_t*>(x), static_cast<uint32_t*>(y));
}
void copy_strided_8(int ndim, const int64_t* shape, const int64_t* strides, const void* x, void* y) {
  copy_strided<uint64_t>(ndim, shape, strides, static_cast<const uint64_t*>(x), static_cast<uint64_t*>(y));
}

// ---- softmax, batchnorm ---------------------------------------------------------------------
void softmax_f32(int64_t outer, int64_t axis_len, int64_t inner, const float* x, float* y, bool log) {
  if (outer <= 0 || axis_len <= 0 || inner <= 0) return;
  const Kernels& K = kernels();
  const int64_t L = axis_len;
  if (inner == 1) {
    for_range(outer, L * 4, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) K.softmax_row(x + o * L, y + o * L, L, log);
    });
    return;
  }
  constexpr int64_t W = 256;
  const int64_t tiles = (inner + W - 1) / W;
  for_range(outer * tiles, L * std::min(W, inner) * 4, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / tiles, j0 = (t % tiles) * W;
      const int64_t off = o * L * inner + j0;
      K.softmax_cols(x + off, y + off, L, inner, std::min(W, inner - j0), log);
    }
  });
}

void batchnorm_f32(int64_t N, int64_t C, int64_t spatial, const float* x, const float* scale, const float* bias,
                   const float* mean, const float* var, float eps, float* y) {
  if (N <= 0 || C <= 0 || spatial <= 0) return;
  std::vector<float> A(static_cast<size_t>(C)), B(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    const double a = static_cast<double>(scale[c]) / std::sqrt(static_cast<double>(var[c]) + eps);
    A[c] = static_cast<float>(a);
    B[c] = static_cast<float>(static_cast<double>(bias[c]) - static_cast<double>(mean[c]) * a);
  }
  const Kernels& K = kernels();
  for_range(N * C, spatial, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t c = r % C;
      K.affine(x + r * spatial, A[c], B[c], y + r * spatial, spatial);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Portable inner kernels (baseline x86-64, libm for transcendental functions).
namespace elementwise_portable {

namespace {
template <typename F>
void bin_loop(const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n, F f) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < n; ++i) y[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = f(a[i * sa], b[i * sb]);
  }
}
template <typename F>
void un_loop(const float* x, float* y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}
}  // namespace

void binary(int op, const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n) {
  switch (op) {
    case 0: return bin_loop(a, sa, b, sb, y, n, [](float u, float v) { return u + v; });
    case 1: return bin_loop(a, sa, b, sb, y, n, [](float u, float v) { return u - v; });
    case 2: return bin_loop(a, sa, b, sb, y, n, [](float u, float v) { return u * v; });
    case 3: return bin_loop(a, sa, b, sb, y, n, [](float u, float v) { return u / v; });
    case 4:
      return bin_loop(a, sa, b, sb, y, n,
                      [](float u, float v) { return (u != u || v != v) ? u + v : (u > v ? u : v); });
    case 5:
      return bin_loop(a, sa, b, sb, y, n,
                      [](float u, float v) { return (u != u || v != v) ? u + v : (u < v ? u : v); });
    default: return bin_loop(a, sa, b, sb, y, n, [](float u, float v) { return std::pow(u, v); });
  }
}

void unary(int op, const float* x, float* y, int64_t n) {
  switch (op) {
    case 0: return un_loop(x, y, n, [](float v) { return v < 0.0f ? 0.0f : v; });
    case 1:
      return un_loop(x, y, n, [](float v) {
        const float e = std::exp(-std::fabs(v));
        return (v < 0.0f ? e : 1.0f) / (1.0f + e);
      });
    case 2: return un_loop(x, y, n, [](float v) { return std::tanh(v); });
    case 3:
      // In double: erfc's relative error grows by 2z^2 times that of its argument z = -v/sqrt(2),
      // so a float z (2^-24) costs ~50 ulps in the tail near v = -11 (where gelu underflows).
      return un_loop(x, y, n, [](float v) { return float(0.5 * double(v) * std::erfc(double(v) * -0.70710678118654752)); });
    case 4:
      return un_loop(x, y, n, [](float v) {
        // 0.5 v (1 + tanh(u)) == v * sigmoid(2u), without the cancellation for negative v.
        const float u2 = 2.0f * 0.7978845608028654f * (v + 0.044715f * v * v * v);
        const float e = std::exp(-std::fabs(u2));
        return v * ((u2 < 0.0f ? e : 1.0f) / (1.0f + e));
      });
    case 5: return un_loop(x, y, n, [](float v) { return std::exp(v); });
    case 6: return un_loop(x, y, n, [](float v) { return std::log(v); });
    case 7: return un_loop(x, y, n, [](float v) { return std::fabs(v); });
    case 8: return un_loop(x, y, n, [](float v) { return -v; });
    case 9: return un_loop(x, y, n, [](float v) { return std::sqrt(v); });
    case 10: return un_loop(x, y, n, [](float v) { return std::erf(v); });
    default: return un_loop(x, y, n, [](float v) { return 1.0f / v; });
  }
}

void clip(const float* x, float lo, float hi, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = v != v ? v : (v < lo ? (lo < hi ? lo : hi) : (v > hi ? hi : v));  // min(max(v, lo), hi): hi wins when lo > hi (ONNX)
  }
}

void affine(const float* x, float a, float b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * a + b;
}

void softmax_row(const float* x, float* y, int64_t n, bool log) {
  float m = -INFINITY;
  bool nan = false;
  for (int64_t i = 0; i < n; ++i) {
    nan |= x[i] != x[i];
    m = x[i] > m ? x[i] : m;
  }
  if (nan) m = NAN;
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float e = std::exp(x[i] - m);
    total += e;
    if (!log) y[i] = e;
  }
  if (log) {
    // (x - m) - log(sum): folding m into one constant would cost up to half an ulp of m.
    const float ls = static_cast<float>(std::log(total));
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - ls;
  } else {
    const float r = static_cast<float>(1.0 / total);
    for (int64_t i = 0; i < n; ++i) y[i] *= r;
  }
}

void transpose_4(const uint32_t* x, int64_t xs, uint32_t* y, int64_t ys, int64_t nk, int64_t nl) {
  for (int64_t l0 = 0; l0 < nl; l0 += 8) {
    const int64_t l1 = std::min(nl, l0 + 8);
    for (int64_t k = 0; k < nk; ++k)
      for (int64_t l = l0; l < l1; ++l) y[k * ys + l] = x[k + l * xs];
  }
}

void softmax_cols(const float* x, float* y, int64_t L, int64_t inner, int64_t w, bool log) {
  float mx[256];
  double sm[256];
  for (int64_t j = 0; j < w; ++j) {
    mx[j] = -INFINITY;
    sm[j] = 0.0;
  }
  for (int64_t r = 0; r < L; ++r) {
    const float* p = x + r * inner;
    for (int64_t j = 0; j < w; ++j) mx[j] = (mx[j] != mx[j] || p[j] != p[j]) ? mx[j] + p[j] : (p[j] > mx[j] ? p[j] : mx[j]);
  }
  for (int64_t r = 0; r < L; ++r) {
    const float* p = x + r * inner;
    float* q = y + r * inner;
    for (int64_t j = 0; j < w; ++j) {
      const float e = std::exp(p[j] - mx[j]);
      sm[j] += e;
      if (!log) q[j] = e;
    }
  }
  float f[256];
  for (int64_t j = 0; j < w; ++j)
    f[j] = log ? static_cast<float>(std::log(sm[j])) : static_cast<float>(1.0 / sm[j]);
  for (int64_t r = 0; r < L; ++r) {
    const float* p = x + r * inner;
    float* q = y + r * inner;
    for (int64_t j = 0; j < w; ++j) q[j] = log ? (p[j] - mx[j]) - f[j] : q[j] * f[j];
  }
}

}  // namespace elementwise_portable
}  // namespace lepton
