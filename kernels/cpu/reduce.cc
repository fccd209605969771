// Reductions and arg-reductions, float32: canonicalisation, path choice, threading, and the
// portable inner kernels. The AVX2+FMA inner kernels live in reduce_avx2.cc (same signatures).
#include "reduce.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu_features.h"
#include "parallel.h"

namespace lepton {

// Inner kernels. t: 0 = x, 1 = x*x, 2 = |x|, 3 = exp(x - shift).
#define LEPTON_REDUCE_KERNELS                                                                          \
  double row_sum(int t, const float* p, int64_t n, int64_t s, float shift);                           \
  float row_ext(bool is_max, const float* p, int64_t n, int64_t s);                                   \
  void col_sum(int t, const float* x, int64_t m, float* acc, const float* shift);                     \
  void col_ext(bool is_max, const float* x, int64_t m, float* acc);                                   \
  int64_t row_arg(bool is_max, bool last, const float* p, int64_t n);                                 \
  void col_arg(bool is_max, bool last, const float* x, int64_t m, float* best, int32_t* idx, int32_t r);

namespace reduce_avx2 {
LEPTON_REDUCE_KERNELS
}
namespace reduce_portable {
LEPTON_REDUCE_KERNELS
}

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Kernels {
  double (*row_sum)(int, const float*, int64_t, int64_t, float);
  float (*row_ext)(bool, const float*, int64_t, int64_t);
  void (*col_sum)(int, const float*, int64_t, float*, const float*);
  void (*col_ext)(bool, const float*, int64_t, float*);
  int64_t (*row_arg)(bool, bool, const float*, int64_t);
  void (*col_arg)(bool, bool, const float*, int64_t, float*, int32_t*, int32_t);
};

const Kernels& kernels() {
  static const Kernels avx2{reduce_avx2::row_sum, reduce_avx2::row_ext, reduce_avx2::col_sum,
                            reduce_avx2::col_ext, reduce_avx2::row_arg, reduce_avx2::col_arg};
  static const Kernels portable{reduce_portable::row_sum, reduce_portable::row_ext, reduce_portable::col_sum,
                                reduce_portable::col_ext, reduce_portable::row_arg, reduce_portable::col_arg};
  return cpu_has_avx2() ? avx2 : portable;
}

struct Dim {
  int64_t n, s;
};

// Row-major walk over a list of dims: offset of linear index i, and incremental stepping.
struct Walker {
  const Dim* d = nullptr;
  int nd = 0;
  int64_t idx[16] = {};
  int64_t off = 0;
  void seek(int64_t i) {
    off = 0;
    for (int k = nd - 1; k >= 0; --k) {
      idx[k] = i % d[k].n;
      i /= d[k].n;
      off += idx[k] * d[k].s;
    }
  }
  void next() {
    for (int k = nd - 1; k >= 0; --k) {
      off += d[k].s;
      if (++idx[k] < d[k].n) return;
      off -= d[k].s * d[k].n;
      idx[k] = 0;
    }
  }
};

int64_t product(const std::vector<Dim>& v) {
  int64_t p = 1;
  for (const Dim& d : v) p *= d.n;
  return p;
}

// Merges consecutive dims whose offsets form one linear range (outer.s == inner.n * inner.s).
void merge_dims(std::vector<Dim>& v) {
  std::vector<Dim> out;
  for (const Dim& d : v) {
    if (!out.empty() && out.back().s == d.s * d.n) {
      out.back().n *= d.n;
      out.back().s = d.s;
    } else {
      out.push_back(d);
    }
  }
  v.swap(out);
}

int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

enum class Kind { sum, ext, prod };

Kind kind_of(ReduceOp op) {
  switch (op) {
    case ReduceOp::max:
    case ReduceOp::min:
      return Kind::ext;
    case ReduceOp::prod:
      return Kind::prod;
    default:
      return Kind::sum;
  }
}

int transform_of(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum_square:
    case ReduceOp::l2:
      return 1;
    case ReduceOp::l1:
      return 2;
    case ReduceOp::log_sum_exp:
      return 3;
    default:
      return 0;
  }
}

// NaN-propagating max/min combine.
inline float ext_combine(bool is_max, float a, float b) {
  if (a != a || b != b) return kNaN;
  return is_max ? (b > a ? b : a) : (b < a ? b : a);
}

float identity_of(ReduceOp op) {
  switch (op) {
    case ReduceOp::prod:
      return 1.0f;
    case ReduceOp::max:
    case ReduceOp::log_sum_exp:
    case ReduceOp::log_sum:
      return -kInf;
    case ReduceOp::min:
      return kInf;
    case ReduceOp::mean:
      return kNaN;
    default:
      return 0.0f;
  }
}

// Final value from the accumulated state (double sum / product, or float extreme) and the shift
// (log_sum_exp's max).
inline float finalize(ReduceOp op, double acc, int64_t count, float shift) {
  switch (op) {
    case ReduceOp::mean:
      return static_cast<float>(acc / static_cast<double>(count));
    case ReduceOp::l2:
      return static_cast<float>(std::sqrt(acc));
    case ReduceOp::log_sum:
      return static_cast<float>(std::log(acc));
    case ReduceOp::log_sum_exp:
      if (!std::isfinite(shift)) return shift;
      return static_cast<float>(static_cast<double>(shift) + std::log(acc));
    default:
      return static_cast<float>(acc);
  }
}

double row_prod(const float* p, int64_t n, int64_t s) {
  double a = 1.0;
  for (int64_t i = 0; i < n; ++i) a *= static_cast<double>(p[i * s]);
  return a;
}

// One reduction problem after canonicalisation.
struct Problem {
  std::vector<Dim> kept, red;  // red non-empty (a {1,1} dim when nothing is reduced)
  int64_t nout, count;
  const float* x;
};

constexpr int64_t kSerialWork = 32768;  // below this many elements: no threading

// ---- Path A / generic: per output, walk the reduced dims with the innermost as rows. ----
// kind_of(op) decides the state; `t` the transform; shift per output for log_sum_exp.
// Writes states (double for sum/prod, float extreme stored as double) into st[nout].
void path_rows(const Problem& P, Kind kind, bool is_max, int t, const float* shift, double* st) {
  const Kernels& K = kernels();
  const Dim rd = P.red.back();
  const int nro = static_cast<int>(P.red.size()) - 1;
  const int64_t L = rd.n, R = P.count;
  const int nthreads = parallel_thread_count();

  auto run_range = [&](int64_t base, int64_t b, int64_t e, float sh) -> double {
    Walker w;
    w.d = P.red.data();
    w.nd = nro;
    int64_t r = b / L, j = b % L;
    w.seek(r);
    double acc = kind == Kind::prod ? 1.0 : 0.0;
    float ext = is_max ? -kInf : kInf;
    while (b < e) {
      const int64_t seg = std::min(L - j, e - b);
      const float* p = P.x + base + w.off + j * rd.s;
      if (kind == Kind::sum) acc += K.row_sum(t, p, seg, rd.s, sh);
      else if (kind == Kind::prod) acc *= row_prod(p, seg, rd.s);
      else ext = ext_combine(is_max, ext, K.row_ext(is_max, p, seg, rd.s));
      b += seg;
      j = 0;
      w.next();
    }
    return kind == Kind::ext ? static_cast<double>(ext) : acc;
  };

  auto out_base = [&](int64_t o) {
    Walker w;
    w.d = P.kept.data();
    w.nd = static_cast<int>(P.kept.size());
    w.seek(o);
    return w.off;
  };

  const int64_t total = P.nout * R;
  if (total < kSerialWork || nthreads == 1 || P.nout >= 4 * nthreads) {
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(R, 1));
    auto body = [&](int64_t ob, int64_t oe) {
      Walker w;
      w.d = P.kept.data();
      w.nd = static_cast<int>(P.kept.size());
      w.seek(ob);
      for (int64_t o = ob; o < oe; ++o, w.next()) st[o] = run_range(w.off, 0, R, shift ? shift[o] : 0.0f);
    };
    if (total < kSerialWork || nthreads == 1) body(0, P.nout);
    else parallel_range(P.nout, grain, body);
    return;
  }
  // Few outputs: split each output's reduced range into chunks, then combine in order.
  int64_t S = (4 * nthreads + P.nout - 1) / P.nout;
  S = std::max<int64_t>(1, std::min<int64_t>(S, R / 16384));
  std::vector<double> part(static_cast<size_t>(P.nout * S));
  const int64_t step = (R + S - 1) / S;
  parallel_for(P.nout * S, [&](int64_t task) {
    const int64_t o = task / S, c = task % S;
    const int64_t b = c * step, e = std::min(R, b + step);
    double v = kind == Kind::prod ? 1.0 : (kind == Kind::ext ? (is_max ? -kInf : kInf) : 0.0);
    if (b < e) v = run_range(out_base(o), b, e, shift ? shift[o] : 0.0f);
    part[task] = v;
  });
  for (int64_t o = 0; o < P.nout; ++o) {
    double acc = part[o * S];
    for (int64_t c = 1; c < S; ++c) {
      const double v = part[o * S + c];
      if (kind == Kind::sum) acc += v;
      else if (kind == Kind::prod) acc *= v;
      else acc = ext_combine(is_max, static_cast<float>(acc), static_cast<float>(v));
    }
    st[o] = acc;
  }
}

// ---- Path B: the last kept dim is contiguous (stride 1): accumulate whole rows into a column
// buffer, streaming x once. Tiles of up to kTile columns (wide, so each row segment spans many
// 4 KiB pages and the hardware prefetchers keep streaming; the accumulators stay in L2); rows in blocks of kBlock into float
// accumulators that are flushed into doubles (accuracy for long reductions). Few tiles ->
// the rows are split across threads and the partial columns combined.
constexpr int64_t kTile = 16384, kBlock = 128, kArgTile = 16384;

void path_cols(const Problem& P, Kind kind, bool is_max, int t, const float* shift, double* st) {
  const Kernels& K = kernels();
  const Dim inner = P.kept.back();
  const int64_t M = inner.n;
  const int nko = static_cast<int>(P.kept.size()) - 1;
  const int64_t Ko = P.nout / M;
  const int64_t ntiles = (M + kTile - 1) / kTile;
  const int64_t jobs = Ko * ntiles;
  const int64_t R = P.count;
  const int nthreads = parallel_thread_count();
  int64_t S = 1;
  if (P.nout * R >= kSerialWork && jobs < 2 * nthreads) {
    S = std::max<int64_t>(1, std::min<int64_t>((2 * nthreads + jobs - 1) / jobs, R / 256));
  }
  std::vector<double> part(S > 1 ? static_cast<size_t>(P.nout * S) : 0);
  const int64_t rstep = (R + S - 1) / S;

  auto task_fn = [&](int64_t task) {
    const int64_t job = task / S, c = task % S;
    const int64_t ko = job / ntiles, tile = job % ntiles;
    const int64_t j0 = tile * kTile, w = std::min(kTile, M - j0);
    const int64_t r0 = c * rstep, r1 = std::min(R, r0 + rstep);
    Walker kw;
    kw.d = P.kept.data();
    kw.nd = nko;
    kw.seek(ko);
    const float* xb = P.x + kw.off + j0;
    const int64_t obase = ko * M + j0;
    std::vector<double> dacc_v(static_cast<size_t>(w));
    std::vector<float> facc_v(static_cast<size_t>(w));
    double* dacc = dacc_v.data();
    float* facc = facc_v.data();
    Walker rw;
    rw.d = P.red.data();
    rw.nd = static_cast<int>(P.red.size());
    rw.seek(r0);
    if (kind == Kind::ext) {
      for (int64_t j = 0; j < w; ++j) facc[j] = is_max ? -kInf : kInf;
      for (int64_t r = r0; r < r1; ++r, rw.next()) K.col_ext(is_max, xb + rw.off, w, facc);
      for (int64_t j = 0; j < w; ++j) dacc[j] = facc[j];
    } else if (kind == Kind::prod) {
      for (int64_t j = 0; j < w; ++j) dacc[j] = 1.0;
      for (int64_t r = r0; r < r1; ++r, rw.next()) {
        const float* p = xb + rw.off;
        for (int64_t j = 0; j < w; ++j) dacc[j] *= static_cast<double>(p[j]);
      }
    } else {
      for (int64_t j = 0; j < w; ++j) dacc[j] = 0.0;
      const float* sh = shift ? shift + obase : nullptr;
      for (int64_t rb = r0; rb < r1; rb += kBlock) {
        const int64_t re = std::min(r1, rb + kBlock);
        std::memset(facc, 0, sizeof(float) * static_cast<size_t>(w));
        for (int64_t r = rb; r < re; ++r, rw.next()) K.col_sum(t, xb + rw.off, w, facc, sh);
        for (int64_t j = 0; j < w; ++j) dacc[j] += facc[j];
      }
    }
    if (S == 1) {
      std::memcpy(st + obase, dacc, sizeof(double) * static_cast<size_t>(w));
    } else {
      for (int64_t j = 0; j < w; ++j) part[(obase + j) * S + c] = dacc[j];
    }
  };
  if (P.nout * R < kSerialWork || nthreads == 1) {
    for (int64_t task = 0; task < jobs * S; ++task) task_fn(task);
  } else {
    parallel_for(jobs * S, task_fn);
  }
  if (S > 1) {
    for (int64_t o = 0; o < P.nout; ++o) {
      double acc = part[o * S];
      for (int64_t c = 1; c < S; ++c) {
        const double v = part[o * S + c];
        if (kind == Kind::sum) acc += v;
        else if (kind == Kind::prod) acc *= v;
        else acc = ext_combine(is_max, static_cast<float>(acc), static_cast<float>(v));
      }
      st[o] = acc;
    }
  }
}

void run_pass(const Problem& P, bool use_cols, Kind kind, bool is_max, int t, const float* shift, double* st) {
  if (use_cols) path_cols(P, kind, is_max, t, shift, st);
  else path_rows(P, kind, is_max, t, shift, st);
}

}  // namespace

void reduce_f32(ReduceOp op, int ndim, const int64_t* shape, const int64_t* strides, const float* x,
                uint64_t reduce_mask, float* y) {
  Problem P;
  P.x = x;
  bool empty_red = false;
  int64_t nout = 1;
  for (int i = 0; i < ndim; ++i) {
    const bool red = (reduce_mask >> i) & 1;
    if (red) {
      if (shape[i] == 0) empty_red = true;
    } else {
      nout *= shape[i];
    }
  }
  if (nout == 0) return;
  if (empty_red) {
    const float v = identity_of(op);
    for (int64_t o = 0; o < nout; ++o) y[o] = v;
    return;
  }
  for (int i = 0; i < ndim; ++i) {
    if (shape[i] == 1) continue;
    Dim d{shape[i], strides[i]};
    if ((reduce_mask >> i) & 1) P.red.push_back(d);
    else P.kept.push_back(d);
  }
  merge_dims(P.kept);
  std::stable_sort(P.red.begin(), P.red.end(), [](const Dim& a, const Dim& b) { return abs64(a.s) > abs64(b.s); });
  merge_dims(P.red);
  if (P.red.empty()) P.red.push_back(Dim{1, 1});
  P.nout = nout;
  P.count = product(P.red);

  // Path choice: contiguous innermost reduced dim -> rows; else a contiguous last kept dim ->
  // column accumulation; else the strided row walk.
  const bool rows_contig = P.red.back().s == 1;
  const bool use_cols = !rows_contig && !P.kept.empty() && P.kept.back().s == 1 && P.kept.back().n >= 4;

  const Kind kind = kind_of(op);
  const bool is_max = op != ReduceOp::min;
  std::vector<double> st(static_cast<size_t>(nout));
  std::vector<float> shift;
  if (op == ReduceOp::log_sum_exp) {
    run_pass(P, use_cols, Kind::ext, true, 0, nullptr, st.data());
    shift.resize(static_cast<size_t>(nout));
    for (int64_t o = 0; o < nout; ++o) {
      const float m = static_cast<float>(st[o]);
      shift[o] = m;
    }
    run_pass(P, use_cols, Kind::sum, true, 3, shift.data(), st.data());
  } else {
    run_pass(P, use_cols, kind, is_max, transform_of(op), nullptr, st.data());
  }
  auto fin = [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      if (kind == Kind::ext) y[o] = static_cast<float>(st[o]);
      else y[o] = finalize(op, st[o], P.count, shift.empty() ? 0.0f : shift[o]);
    }
  };
  if (nout >= 4 * kSerialWork) parallel_range(nout, kSerialWork, fin);
  else fin(0, nout);
}

// ---------------------------------------------------------------------------------------------
namespace {

// Does candidate v (later index) replace best?
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

}  // namespace

void arg_reduce_f32(bool is_max, bool select_last, int ndim, const int64_t* shape, const int64_t* strides,
                    const float* x, int axis, int64_t* y) {
  const Kernels& K = kernels();
  int64_t nout = 1;
  for (int i = 0; i < ndim; ++i)
    if (i != axis) nout *= shape[i];
  if (nout == 0) return;
  const int64_t L = shape[axis], as = strides[axis];
  if (L <= 0) {
    for (int64_t o = 0; o < nout; ++o) y[o] = -1;  // undefined: the caller rejects empty axes
    return;
  }
  std::vector<Dim> kept;
  for (int i = 0; i < ndim; ++i)
    if (i != axis && shape[i] != 1) kept.push_back(Dim{shape[i], strides[i]});
  merge_dims(kept);
  const int nthreads = parallel_thread_count();
  const int64_t total = nout * L;
  const bool threaded = total >= kSerialWork && nthreads > 1;

  if (L == 1) {
    for (int64_t o = 0; o < nout; ++o) y[o] = 0;
    return;
  }

  // Column path: contiguous last kept dim, axis elsewhere.
  if (as != 1 && !kept.empty() && kept.back().s == 1 && kept.back().n >= 8 && L < (int64_t(1) << 31)) {
    const int64_t M = kept.back().n;
    const int nko = static_cast<int>(kept.size()) - 1;
    const int64_t Ko = nout / M, ntiles = (M + kArgTile - 1) / kArgTile;
    const int64_t jobs = Ko * ntiles;
    // Few column tiles: also split the rows; chunk partials are combined in row order.
    int64_t S = 1;
    if (threaded && jobs < 2 * nthreads) S = std::max<int64_t>(1, std::min<int64_t>((2 * nthreads + jobs - 1) / jobs, L / 256));
    const int64_t rstep = (L + S - 1) / S;
    std::vector<float> pv(S > 1 ? static_cast<size_t>(nout * S) : 0);
    std::vector<int64_t> pi(S > 1 ? static_cast<size_t>(nout * S) : 0);
    auto job = [&](int64_t task) {
      const int64_t jb = task / S, c = task % S;
      const int64_t ko = jb / ntiles, tile = jb % ntiles;
      const int64_t j0 = tile * kArgTile, w = std::min(kArgTile, M - j0);
      const int64_t r0 = c * rstep, r1 = std::min(L, r0 + rstep);
      if (r0 >= r1) return;
      Walker kw;
      kw.d = kept.data();
      kw.nd = nko;
      kw.seek(ko);
      const float* xb = x + kw.off + j0;
      std::vector<float> best_v(static_cast<size_t>(w));
      std::vector<int32_t> idx_v(static_cast<size_t>(w), static_cast<int32_t>(r0));
      float* best = best_v.data();
      int32_t* idx = idx_v.data();
      std::memcpy(best, xb + r0 * as, sizeof(float) * static_cast<size_t>(w));
      for (int64_t r = r0 + 1; r < r1; ++r) K.col_arg(is_max, select_last, xb + r * as, w, best, idx, static_cast<int32_t>(r));
      const int64_t ob = ko * M + j0;
      if (S == 1) {
        for (int64_t j = 0; j < w; ++j) y[ob + j] = idx[j];
      } else {
        for (int64_t j = 0; j < w; ++j) {
          pv[(ob + j) * S + c] = best[j];
          pi[(ob + j) * S + c] = idx[j];
        }
      }
    };
    if (threaded) parallel_for(jobs * S, job);
    else for (int64_t t = 0; t < jobs * S; ++t) job(t);
    if (S > 1) {
      for (int64_t o = 0; o < nout; ++o) {
        float bv = pv[o * S];
        int64_t bi = pi[o * S];
        for (int64_t c = 1; c < S && c * rstep < L; ++c) {
          if (arg_better(is_max, select_last, pv[o * S + c], bv)) {
            bv = pv[o * S + c];
            bi = pi[o * S + c];
          }
        }
        y[o] = bi;
      }
    }
    return;
  }

  auto out_off = [&](int64_t o) {
    Walker w;
    w.d = kept.data();
    w.nd = static_cast<int>(kept.size());
    w.seek(o);
    return w.off;
  };
  // Scalar/strided or contiguous row over [b, e) of the axis; returns the index.
  auto arg_range = [&](const float* p, int64_t b, int64_t e) -> int64_t {
    if (as == 1) return b + K.row_arg(is_max, select_last, p + b, e - b);
    int64_t bi = b;
    float bv = p[b * as];
    for (int64_t i = b + 1; i < e; ++i) {
      const float v = p[i * as];
      if (arg_better(is_max, select_last, v, bv)) {
        bv = v;
        bi = i;
      }
    }
    return bi;
  };

  if (!threaded || nout >= 4 * nthreads) {
    auto body = [&](int64_t ob, int64_t oe) {
      for (int64_t o = ob; o < oe; ++o) y[o] = arg_range(x + out_off(o), 0, L);
    };
    if (!threaded) body(0, nout);
    else parallel_range(nout, std::max<int64_t>(1, 16384 / L), body);
    return;
  }
  int64_t S = (4 * nthreads + nout - 1) / nout;
  S = std::max<int64_t>(1, std::min<int64_t>(S, L / 16384));
  const int64_t step = (L + S - 1) / S;
  std::vector<int64_t> part(static_cast<size_t>(nout * S), -1);
  parallel_for(nout * S, [&](int64_t task) {
    const int64_t o = task / S, c = task % S;
    const int64_t b = c * step, e = std::min(L, b + step);
    if (b < e) part[task] = arg_range(x + out_off(o), b, e);
  });
  for (int64_t o = 0; o < nout; ++o) {
    const float* p = x + out_off(o);
    int64_t bi = part[o * S];
    for (int64_t c = 1; c < S; ++c) {
      const int64_t i = part[o * S + c];
      if (i >= 0 && arg_better(is_max, select_last, p[i * as], p[bi * as])) bi = i;
    }
    y[o] = bi;
  }
}

// ---------------------------------------------------------------------------------------------
// Portable inner kernels (baseline x86-64; the fixed 8-lane float accumulators let the compiler
// use SSE).
namespace reduce_portable {

constexpr int64_t kRowBlock = 2048;

double row_sum(int t, const float* p, int64_t n, int64_t s, float shift) {
  if (s != 1 || t == 3) {
    double a = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const float v = p[i * s];
      a += t == 0 ? v : t == 1 ? static_cast<double>(v) * v : t == 2 ? std::fabs(v) : std::exp(v - shift);
    }
    return a;
  }
  double total = 0.0;
  for (int64_t b = 0; b < n; b += kRowBlock) {
    const int64_t e = std::min(n, b + kRowBlock);
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = b;
    if (t == 0) {
      for (; i + 8 <= e; i += 8)
        for (int k = 0; k < 8; ++k) acc[k] += p[i + k];
    } else if (t == 1) {
      for (; i + 8 <= e; i += 8)
        for (int k = 0; k < 8; ++k) acc[k] += p[i + k] * p[i + k];
    } else {
      for (; i + 8 <= e; i += 8)
        for (int k = 0; k < 8; ++k) acc[k] += std::fabs(p[i + k]);
    }
    double bs = 0.0;
    for (int k = 0; k < 8; ++k) bs += acc[k];
    for (; i < e; ++i) bs += t == 0 ? p[i] : t == 1 ? static_cast<double>(p[i]) * p[i] : std::fabs(p[i]);
    total += bs;
  }
  return total;
}

float row_ext(bool is_max, const float* p, int64_t n, int64_t s) {
  float m = is_max ? -kInf : kInf;
  bool nan = false;
  if (s == 1) {
    float acc[8];
    for (int k = 0; k < 8; ++k) acc[k] = m;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int k = 0; k < 8; ++k) {
        const float v = p[i + k];
        nan |= v != v;
        acc[k] = is_max ? (v > acc[k] ? v : acc[k]) : (v < acc[k] ? v : acc[k]);
      }
    for (int k = 0; k < 8; ++k) m = is_max ? std::max(m, acc[k]) : std::min(m, acc[k]);
    for (; i < n; ++i) {
      const float v = p[i];
      nan |= v != v;
      m = is_max ? (v > m ? v : m) : (v < m ? v : m);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float v = p[i * s];
      nan |= v != v;
      m = is_max ? (v > m ? v : m) : (v < m ? v : m);
    }
  }
  return nan ? kNaN : m;
}

void col_sum(int t, const float* x, int64_t m, float* acc, const float* shift) {
  switch (t) {
    case 0:
      for (int64_t j = 0; j < m; ++j) acc[j] += x[j];
      break;
    case 1:
      for (int64_t j = 0; j < m; ++j) acc[j] += x[j] * x[j];
      break;
    case 2:
      for (int64_t j = 0; j < m; ++j) acc[j] += std::fabs(x[j]);
      break;
    default:
      for (int64_t j = 0; j < m; ++j) acc[j] += std::exp(x[j] - shift[j]);
      break;
  }
}

void col_ext(bool is_max, const float* x, int64_t m, float* acc) {
  // acc stays NaN once NaN: (v > a) is false when a is NaN, and a NaN v is taken explicitly.
  if (is_max) {
    for (int64_t j = 0; j < m; ++j) {
      const float v = x[j], a = acc[j];
      acc[j] = (v > a || v != v) ? v : a;
    }
  } else {
    for (int64_t j = 0; j < m; ++j) {
      const float v = x[j], a = acc[j];
      acc[j] = (v < a || v != v) ? v : a;
    }
  }
}

int64_t row_arg(bool is_max, bool last, const float* p, int64_t n) {
  int64_t bi = 0;
  float bv = p[0];
  for (int64_t i = 1; i < n; ++i) {
    if (arg_better(is_max, last, p[i], bv)) {
      bv = p[i];
      bi = i;
    }
  }
  return bi;
}

void col_arg(bool is_max, bool last, const float* x, int64_t m, float* best, int32_t* idx, int32_t r) {
  for (int64_t j = 0; j < m; ++j) {
    if (arg_better(is_max, last, x[j], best[j])) {
      best[j] = x[j];
      idx[j] = r;
    }
  }
}

}  // namespace reduce_portable
}  // namespace lepton
