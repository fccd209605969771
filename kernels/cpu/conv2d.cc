// 2-D convolution (ONNX Conv), NCHW float32.
//
// Paths:
//  * 1x1, stride 1, no padding: y[n,g] = W[g] (Mg x Cg) * X[n,g] (Cg x HW), a plain gemm_f32 with
//    the bias and the activation fused in the GEMM epilogue (gemm threads itself; many small
//    problems run one per task with the GEMM inline).
//  * one group, fewer than 16 output pixels per image, a batch: several images per GEMM, the column
//    matrix gathered straight into packed panels (conv2d_batched.cc).
//  * stride 1, one group, a small zero-padded image: direct register tiles read straight from the
//    padded image (conv2d_direct.cc), no im2col.
//  * Cg == 1 (depthwise, any channel multiplier): a direct kernel per output plane (AVX2 in
//    conv2d_avx2.cc on a zero-padded copy of the plane, portable below), threaded over N*M planes.
//  * everything else, AVX2 / AVX-512: implicit GEMM on packed operands (conv2d_packed.h). Weights
//    are packed once into 6-row (AVX-512: 14-row) panels; im2col of a slice of output pixels is
//    written straight into 16-column (32-column) panels (bounded per-thread buffer) and multiplied
//    by a 6x16 (14x32) FMA micro-kernel (conv2d_avx2.cc, conv2d_avx512.cc) that
//    stores into y with the bias/relu epilogue. Tasks are (image, group, pixel slice); when there
//    are too few of them, the column matrix is packed once and the product is split into tiles.
//  * everything else, portable: im2col in slices of output pixels (bounded workspace) + gemm_f32
//    of each slice straight into y (ldc = OH*OW), as (image, group, slice) tasks with the GEMM
//    inline, or slice by slice with the GEMM threading itself when there are few tasks.
#include "conv2d.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "conv2d_packed.h"
#include "cpu_features.h"
#include "parallel.h"
#include "pool.h"

namespace lepton {
namespace conv_detail {

// Defined in conv2d_avx2.cc (compiled with -mavx2 -mfma); only called when cpu_isa() says so.
void depthwise_plane_avx2(const float* x, const float* w, float bias, float* y, int64_t H, int64_t W,
                          int64_t OH, int64_t OW, int64_t KH, int64_t KW, int64_t sh, int64_t sw,
                          int64_t pt, int64_t pl, int64_t dh, int64_t dw, int relu, float* scratch);
int64_t depthwise_scratch_avx2(int64_t OH, int64_t OW, int64_t KH, int64_t KW, int64_t sh, int64_t sw,
                               int64_t dh, int64_t dw);

// Defined in conv2d_direct.cc: direct tiles over a zero-padded image for stride-1 convs on few channels.
bool conv_direct_applicable(const Conv2dParams& p);
// With max_pool_2x2 it pools in its tiles' registers (AVX-512 and AVX2).
void conv_direct(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y);

// Defined in conv2d_batched.cc: images with a few output pixels each, several per GEMM.
bool conv_batched_applicable(const Conv2dParams& p);
void conv_batched(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y);

// Defined in conv2d_winograd.cc: Winograd F(2x2,3x3) for 3x3 / stride 1 / groups 1 (AVX2 only).
bool conv_winograd_applicable(const Conv2dParams& p);
void conv_winograd(const Conv2dParams& p, const float* x, const float* w, const float* bias,
                   float* y);

const ConvPackedGemm& conv_packed_gemm() {
  static const ConvPackedGemm avx512{14, 32, conv_pack_a_avx512, conv_pack_b_rows_avx512,
                                     conv_gemm_packed_avx512};
  static const ConvPackedGemm avx2{6, 16, conv_pack_a_avx2, conv_pack_b_rows_avx2,
                                   conv_gemm_packed_avx2};
  return cpu_has_avx512() ? avx512 : avx2;
}

namespace {

inline int64_t ceil_div_nonneg(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Output columns [lo, hi) whose input column ow*s + off lies in [0, W).
inline void valid_range(int64_t off, int64_t s, int64_t W, int64_t n, int64_t* lo, int64_t* hi) {
  int64_t a = off >= 0 ? 0 : ceil_div_nonneg(-off, s);
  int64_t b = (W - 1 - off) < 0 ? 0 : (W - 1 - off) / s + 1;
  a = std::min(a, n);
  b = std::min(std::max(b, a), n);
  *lo = a;
  *hi = b;
}

// Portable direct kernel for one depthwise plane (same structure as the AVX2 one: interior columns
// without bounds checks, accumulated tap by tap over the row so the compiler can vectorise).
void depthwise_plane_portable(const float* x, const float* w, float bias, float* y, int64_t H,
                              int64_t W, int64_t OH, int64_t OW, int64_t KH, int64_t KW, int64_t sh,
                              int64_t sw, int64_t pt, int64_t pl, int64_t dh, int64_t dw, int relu) {
  // Interior columns: every kw tap in range.
  int64_t owa, owb, lo_last, hi_last;
  valid_range(-pl, sw, W, OW, &owa, &owb);
  valid_range(-pl + (KW - 1) * dw, sw, W, OW, &lo_last, &hi_last);
  owa = std::max(owa, lo_last);
  owb = std::min(owb, hi_last);
  if (owb < owa) owb = owa;
  for (int64_t oh = 0; oh < OH; ++oh) {
    float* yr = y + oh * OW;
    for (int64_t ow = 0; ow < OW; ++ow) yr[ow] = bias;
    for (int64_t kh = 0; kh < KH; ++kh) {
      const int64_t ih = oh * sh - pt + kh * dh;
      if (ih < 0 || ih >= H) continue;
      const float* xr = x + ih * W;
      for (int64_t kw = 0; kw < KW; ++kw) {
        const float wv = w[kh * KW + kw];
        const int64_t off = kw * dw - pl;
        // edges
        for (int64_t ow = 0; ow < owa; ++ow) {
          const int64_t iw = ow * sw + off;
          if (iw >= 0 && iw < W) yr[ow] += wv * xr[iw];
        }
        for (int64_t ow = owb; ow < OW; ++ow) {
          const int64_t iw = ow * sw + off;
          if (iw >= 0 && iw < W) yr[ow] += wv * xr[iw];
        }
        if (sw == 1) {
          const float* xs = xr + off;
          for (int64_t ow = owa; ow < owb; ++ow) yr[ow] += wv * xs[ow];
        } else {
          for (int64_t ow = owa; ow < owb; ++ow) yr[ow] += wv * xr[ow * sw + off];
        }
      }
    }
    if (relu)
      for (int64_t ow = 0; ow < OW; ++ow) yr[ow] = yr[ow] > 0.f ? yr[ow] : 0.f;
  }
}

// Per-thread column workspace; grows to the largest slice used, which is bounded.
float* workspace(size_t n) {
  thread_local std::vector<float> ws;
  if (ws.size() < n) ws.resize(n);
  return ws.data();
}

void conv_depthwise(const Conv2dParams& p, const float* x, const float* w, const float* bias,
                    float* y) {
  const int64_t Mg = p.M / p.groups;  // channel multiplier
  const int64_t HW = p.H * p.W, P = p.OH * p.OW, KK = p.KH * p.KW;
  const int relu = p.activation == Activation::relu ? 1 : 0;
  const bool avx2 = cpu_has_avx2();
  const int64_t planes = p.N * p.M;
  const int64_t work = std::max<int64_t>(1, P * KK);
  const int64_t grain = std::max<int64_t>(1, 65536 / work);
  const int64_t scratch_floats =
      avx2 ? depthwise_scratch_avx2(p.OH, p.OW, p.KH, p.KW, p.stride_h, p.stride_w, p.dilation_h,
                                    p.dilation_w)
           : 0;
  parallel_range(planes, grain, [&](int64_t b, int64_t e) {
    float* scratch = avx2 ? workspace(size_t(scratch_floats)) : nullptr;
    for (int64_t t = b; t < e; ++t) {
      const int64_t n = t / p.M, m = t % p.M;
      const int64_t c = m / Mg;  // input channel (group) of this output channel
      const float* xp = x + (n * p.C + c) * HW;
      const float* wp = w + m * KK;
      float* yp = y + t * P;
      const float bv = bias ? bias[m] : 0.f;
      if (avx2)
        depthwise_plane_avx2(xp, wp, bv, yp, p.H, p.W, p.OH, p.OW, p.KH, p.KW, p.stride_h,
                             p.stride_w, p.pad_top, p.pad_left, p.dilation_h, p.dilation_w, relu,
                             scratch);
      else
        depthwise_plane_portable(xp, wp, bv, yp, p.H, p.W, p.OH, p.OW, p.KH, p.KW, p.stride_h,
                                 p.stride_w, p.pad_top, p.pad_left, p.dilation_h, p.dilation_w,
                                 relu);
    }
  });
}

// Builds row k of the column matrix for output pixels [j0, j1) of one image and group into dst:
// dst[j - j0] = x[c, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw] (0 outside), k = (c*KH + kh)*KW + kw.
void im2col_row(const Conv2dParams& p, const float* xg, int64_t j0, int64_t j1, int64_t k,
                float* dst) {
  const int64_t KK = p.KH * p.KW;
  const int64_t sw = p.stride_w;
  const int64_t c = k / KK, r = k % KK, kh = r / p.KW, kw = r % p.KW;
  const float* xc = xg + c * p.H * p.W;
  const int64_t off = kw * p.dilation_w - p.pad_left;
  int64_t lo, hi;
  valid_range(off, sw, p.W, p.OW, &lo, &hi);
  int64_t j = j0;
  int64_t oh = j0 / p.OW, ow0 = j0 % p.OW;
  for (; j < j1; ++oh, ow0 = 0) {
    const int64_t ow1 = std::min(p.OW, ow0 + (j1 - j));
    const int64_t n = ow1 - ow0;
    const int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
    if (ih < 0 || ih >= p.H) {
      std::memset(dst, 0, sizeof(float) * n);
    } else {
      const float* xr = xc + ih * p.W + off;
      const int64_t a = std::min(std::max(lo, ow0), ow1);
      const int64_t b = std::min(std::max(hi, a), ow1);
      float* d = dst - ow0;
      for (int64_t ow = ow0; ow < a; ++ow) d[ow] = 0.f;
      if (sw == 1) {
        if (b > a) std::memcpy(d + a, xr + a, sizeof(float) * (b - a));
      } else if (sw == 2) {
        for (int64_t ow = a; ow < b; ++ow) d[ow] = xr[2 * ow];
      } else {
        for (int64_t ow = a; ow < b; ++ow) d[ow] = xr[ow * sw];
      }
      for (int64_t ow = b; ow < ow1; ++ow) d[ow] = 0.f;
    }
    dst += n;
    j += n;
  }
}

// Rows [k0, k1) of the column matrix (row-major, j1 - j0 columns).
void im2col_rows(const Conv2dParams& p, const float* xg, int64_t j0, int64_t j1, int64_t k0,
                 int64_t k1, float* col) {
  for (int64_t k = k0; k < k1; ++k) im2col_row(p, xg, j0, j1, k, col + k * (j1 - j0));
}

// Per-thread staging rows for the packed im2col (separate from workspace(), which may hold the
// packed column matrix of the calling thread meanwhile).
float* staging(size_t n) {
  thread_local std::vector<float> st;
  if (st.size() < n) st.resize(n);
  return st.data();
}

// Column slice targets (floats): a task-mode slice stays in L2; a GEMM-mode slice is larger (the
// GEMM blocks it itself) but still bounded. A slice is never narrower than kMinCols columns, so
// the workspace is at most max(target, K * kMinCols) floats per thread.
constexpr int64_t kTaskSliceFloats = 192 * 1024;
constexpr int64_t kGemmSliceFloats = 1024 * 1024;
constexpr int64_t kMinCols = 64;

// AVX2 / AVX-512 general path: implicit GEMM on packed operands (conv2d_packed.h). The weights of
// every group are packed once into MR-row panels; each task (image, group, slice of NR-column panels
// of output pixels) writes its im2col slice straight into NR-column panels in a per-thread buffer
// and runs the MR x NR micro-kernel over it, storing into y with the bias/relu epilogue.
constexpr int64_t kPackedSliceFloats = 192 * 1024;

void conv_general_packed(const Conv2dParams& p, const float* x, const float* w, const float* bias,
                         float* y) {
  const int64_t G = p.groups, Cg = p.C / G, Mg = p.M / G;
  const int64_t K = Cg * p.KH * p.KW;
  const int64_t P = p.OH * p.OW;
  const int64_t threads = parallel_thread_count();
  const int64_t problems = p.N * G;
  const ConvPackedGemm& pg = conv_packed_gemm();
  const int64_t MR = pg.mr, NR = pg.nr;
  const int64_t Mpad = (Mg + MR - 1) / MR * MR;
  std::vector<float> apack(size_t(G) * size_t(Mpad) * size_t(K));
  if (G > 1 && Mpad * K * G > 65536) {
    parallel_for(G, [&](int64_t g) { pg.pack_a(w + g * Mg * K, Mg, K, apack.data() + g * Mpad * K); });
  } else {
    for (int64_t g = 0; g < G; ++g) pg.pack_a(w + g * Mg * K, Mg, K, apack.data() + g * Mpad * K);
  }

  // Panels per slice: balance the tasks over the threads, within 4x the slice target.
  const int64_t npan = (P + NR - 1) / NR;
  const int64_t pps_cap = std::max<int64_t>(1, kPackedSliceFloats / (K * NR));
  const int64_t pps_max = std::min(npan, 4 * pps_cap);
  int64_t best_pps = std::min(npan, pps_cap);
  double best_cost = 1e300;
  for (int64_t pps = 1; pps <= pps_max; ++pps) {
    const int64_t s = (npan + pps - 1) / pps;
    const int64_t rounds = (problems * s + threads - 1) / threads;
    // makespan in panels, plus a per-task overhead, plus a penalty beyond the slice target
    double cost = double(rounds) * (double(pps) + 0.5);
    if (pps > pps_cap) cost *= 1.0 + 0.02 * double(pps - pps_cap) / double(pps_cap);
    if (cost < best_cost) {
      best_cost = cost;
      best_pps = pps;
    }
  }
  const int64_t cols = std::min(P, best_pps * NR);
  const int64_t S = (P + cols - 1) / cols;
  const int relu = p.activation == Activation::relu ? 1 : 0;
  const int64_t HW = p.H * p.W;

  // Few tasks (small spatial size, e.g. deep 14x14 layers): pack the whole column matrix of each
  // problem first (rows spread over the threads), then split the product into tiles of output
  // channels x column panels, so threads share the work without shrinking the GEMM.
  if (threads > 1 && problems * S < 2 * threads && K * npan * NR <= 4 * kPackedSliceFloats) {
    const int64_t ncp = npan * NR;
    float* bp = workspace(size_t(K) * size_t(ncp));
    const int64_t mpanels = Mpad / MR;
    const int64_t mp_per = std::max<int64_t>(1, std::min<int64_t>(8, (mpanels + 2 * threads - 1) / (2 * threads)));
    const int64_t mtiles = (mpanels + mp_per - 1) / mp_per;
    const int64_t ntiles = std::max<int64_t>(1, std::min<int64_t>(npan, (2 * threads + mtiles - 1) / mtiles));
    const int64_t np_per = (npan + ntiles - 1) / ntiles;
    for (int64_t ng = 0; ng < problems; ++ng) {
      const int64_t n = ng / G, g = ng % G;
      const float* xg = x + (n * p.C + g * Cg) * HW;
      constexpr int64_t kRows = 8;
      parallel_for((K + kRows - 1) / kRows, [&](int64_t kb) {
        float* rows = staging(size_t(kRows) * size_t(ncp));
        const int64_t k0 = kb * kRows, nr = std::min(kRows, K - k0);
        for (int64_t i = 0; i < nr; ++i) im2col_row(p, xg, 0, P, k0 + i, rows + i * ncp);
        pg.pack_b_rows(rows, ncp, nr, P, K, k0, bp);
      });
      float* yg = y + (n * p.M + g * Mg) * P;
      const float* ag = apack.data() + g * Mpad * K;
      const float* bg = bias ? bias + g * Mg : nullptr;
      parallel_for(mtiles * ntiles, [&](int64_t t) {
        const int64_t mt = t / ntiles, nt = t % ntiles;
        const int64_t m0 = mt * mp_per * MR, j0 = nt * np_per * NR;
        if (m0 >= Mg || j0 >= P) return;
        const int64_t mr = std::min(mp_per * MR, Mg - m0), nc = std::min(np_per * NR, P - j0);
        pg.gemm(mr, nc, K, ag + m0 * K, bp + j0 * K, yg + m0 * P + j0, P,
                              bg ? bg + m0 : nullptr, relu);
      });
    }
    return;
  }

  parallel_for(problems * S, [&](int64_t t) {
    const int64_t s = t % S, ng = t / S;
    const int64_t n = ng / G, g = ng % G;
    const int64_t j0 = s * cols, j1 = std::min(P, j0 + cols);
    const int64_t nc = j1 - j0;
    const int64_t ncp = (nc + NR - 1) / NR * NR;
    constexpr int64_t kRows = 8;  // im2col rows staged per panel scatter
    float* buf = workspace(size_t(K) * size_t(ncp) + size_t(kRows) * size_t(ncp));
    float* bp = buf;
    float* rows = buf + K * ncp;
    const float* xg = x + (n * p.C + g * Cg) * HW;
    for (int64_t k0 = 0; k0 < K; k0 += kRows) {
      const int64_t nr = std::min(kRows, K - k0);
      for (int64_t i = 0; i < nr; ++i) im2col_row(p, xg, j0, j1, k0 + i, rows + i * ncp);
      pg.pack_b_rows(rows, ncp, nr, nc, K, k0, bp);
    }
    pg.gemm(Mg, nc, K, apack.data() + g * Mpad * K, bp,
                          y + (n * p.M + g * Mg) * P + j0, P, bias ? bias + g * Mg : nullptr, relu);
  });
}

void conv_general(const Conv2dParams& p, const float* x, const float* w, const float* bias,
                  float* y) {
  const int64_t G = p.groups, Cg = p.C / G, Mg = p.M / G;
  const int64_t KK = p.KH * p.KW, K = Cg * KK;
  const int64_t P = p.OH * p.OW, HW = p.H * p.W;
  const int64_t threads = parallel_thread_count();
  const bool direct = (KK == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 &&
                       p.pad_left == 0 && p.OH == p.H && p.OW == p.W);

  const int64_t problems = p.N * G;
  const double flops = 2.0 * double(Mg) * double(P) * double(K);
  auto slice_cols = [&](int64_t cap) {
    if (direct || K * P <= cap) return P;
    return std::min(P, std::max<int64_t>(kMinCols, (cap / K) / 16 * 16));
  };

  // Task mode: one (image, group, column slice) per task, im2col + single-threaded GEMM inside,
  // so the slice stays in the thread's L2. Used when there are enough tasks to keep every thread
  // busy; otherwise each product is left to the GEMM's own threading (the im2col of each slice is
  // then split over the threads) with larger slices.
  int64_t cols = slice_cols(kTaskSliceFloats);
  int64_t S = (P + cols - 1) / cols;
  const bool task_mode =
      threads > 1 && (problems >= 2 * threads || (problems >= threads && flops < 4e7) ||
                      (!direct && problems * S >= 4 * threads));
  if (!task_mode) {
    cols = slice_cols(kGemmSliceFloats);
    S = (P + cols - 1) / cols;
  } else if (!direct && problems < 2 * threads) {
    // Few problems: balance the slices over the threads.
    const int64_t want = ((problems * S + threads - 1) / threads) * threads;
    const int64_t s = std::max<int64_t>(1, (want + problems - 1) / problems);
    int64_t c2 = (P + s - 1) / s;
    c2 = (c2 + 7) / 8 * 8;
    if (c2 >= 16) {
      cols = std::min(c2, P);
      S = (P + cols - 1) / cols;
    }
  }

  GemmEpilogue ep;
  ep.activation = p.activation;

  auto run_slice = [&](int64_t n, int64_t g, int64_t j0, int64_t j1, bool parallel_im2col) {
    const float* xg = x + (n * p.C + g * Cg) * HW;
    const float* wg = w + g * Mg * K;
    float* yg = y + (n * p.M + g * Mg) * P;
    GemmEpilogue e = ep;
    e.row_bias = bias ? bias + g * Mg : nullptr;
    if (direct) {
      gemm_f32(Mg, j1 - j0, K, 1.f, wg, K, 1, xg + j0, HW, 1, 0.f, yg + j0, P, e);
      return;
    }
    const int64_t nc = j1 - j0;
    float* col = workspace(size_t(K) * size_t(nc));
    if (parallel_im2col && K > 1) {
      const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, nc));
      parallel_range(K, grain, [&](int64_t k0, int64_t k1) { im2col_rows(p, xg, j0, j1, k0, k1, col); });
    } else {
      im2col_rows(p, xg, j0, j1, 0, K, col);
    }
    gemm_f32(Mg, nc, K, 1.f, wg, K, 1, col, nc, 1, 0.f, yg + j0, P, e);
  };

  if (task_mode) {
    const int64_t ntasks = problems * S;
    parallel_for(ntasks, [&](int64_t t) {
      const int64_t s = t % S, ng = t / S;
      const int64_t n = ng / G, g = ng % G;
      const int64_t j0 = s * cols, j1 = std::min(P, j0 + cols);
      run_slice(n, g, j0, j1, false);
    });
  } else {
    for (int64_t ng = 0; ng < problems; ++ng) {
      const int64_t n = ng / G, g = ng % G;
      if (direct) {
        run_slice(n, g, 0, P, false);
        continue;
      }
      for (int64_t s = 0; s < S; ++s) {
        const int64_t j0 = s * cols, j1 = std::min(P, j0 + cols);
        run_slice(n, g, j0, j1, true);
      }
    }
  }
}

}  // namespace
}  // namespace conv_detail

namespace {

// conv + 2x2/2 max pool for the paths without a pooling epilogue: blocks of images are convolved
// into a buffer that stays in L2 and pooled from there, so the full-size conv output is never
// written to memory and read back.
void conv2d_then_pool(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y) {
  constexpr int64_t kBlockFloats = 128 * 1024;
  const int64_t per_image = p.M * p.OH * p.OW;
  const int64_t block = std::max<int64_t>(1, std::min(p.N, kBlockFloats / std::max<int64_t>(1, per_image)));
  std::vector<float> buf(size_t(block * per_image));
  Conv2dParams q = p;
  q.max_pool_2x2 = false;
  Pool2dParams pp{};
  pp.C = p.M; pp.H = p.OH; pp.W = p.OW; pp.OH = p.OH / 2; pp.OW = p.OW / 2;
  pp.KH = pp.KW = 2; pp.stride_h = pp.stride_w = 2; pp.dilation_h = pp.dilation_w = 1;
  for (int64_t n0 = 0; n0 < p.N; n0 += block) {
    q.N = pp.N = std::min(block, p.N - n0);
    conv2d_f32(q, x + n0 * p.C * p.H * p.W, w, bias, buf.data());
    max_pool2d_f32(pp, buf.data(), y + n0 * p.M * pp.OH * pp.OW, nullptr);
  }
}

}  // namespace

void conv2d_f32(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y) {
  if (p.N <= 0 || p.M <= 0 || p.OH <= 0 || p.OW <= 0) return;
  if (p.max_pool_2x2 && (p.OH < 2 || p.OW < 2)) return;  // an empty pooled output
  const int64_t G = p.groups > 0 ? p.groups : 1;
  Conv2dParams q = p;
  q.groups = G;
  if (q.stride_h <= 0) q.stride_h = 1;
  if (q.stride_w <= 0) q.stride_w = 1;
  if (q.dilation_h <= 0) q.dilation_h = 1;
  if (q.dilation_w <= 0) q.dilation_w = 1;
  const int64_t Cg = q.C / G;
  if (q.max_pool_2x2) {
    if (conv_detail::conv_winograd_applicable(q))
      conv_detail::conv_winograd(q, x, w, bias, y);
    else if (Cg > 0 && !conv_detail::conv_batched_applicable(q) && conv_detail::conv_direct_applicable(q))
      conv_detail::conv_direct(q, x, w, bias, y);
    else
      conv2d_then_pool(q, x, w, bias, y);
    return;
  }
  if (Cg <= 0 || q.KH <= 0 || q.KW <= 0) {
    // Empty reduction: output is bias (+ activation).
    const int64_t P = q.OH * q.OW;
    for (int64_t n = 0; n < q.N; ++n)
      for (int64_t m = 0; m < q.M; ++m) {
        float v = bias ? bias[m] : 0.f;
        if (q.activation == Activation::relu && v < 0.f) v = 0.f;
        float* yp = y + (n * q.M + m) * P;
        for (int64_t i = 0; i < P; ++i) yp[i] = v;
      }
    return;
  }
  // Winograd first where it applies (fewer multiplies), then the direct tiles for small padded
  // images (also single-input-channel convs: G == 1, C == 1), then depthwise and the GEMM paths.
  const bool winograd = conv_detail::conv_winograd_applicable(q);
  if (!winograd && conv_detail::conv_batched_applicable(q)) {
    conv_detail::conv_batched(q, x, w, bias, y);
    return;
  }
  if (!winograd && conv_detail::conv_direct_applicable(q)) {
    conv_detail::conv_direct(q, x, w, bias, y);
    return;
  }
  if (Cg == 1) {
    conv_detail::conv_depthwise(q, x, w, bias, y);
    return;
  }
  const bool pointwise = q.KH * q.KW == 1 && q.stride_h == 1 && q.stride_w == 1 &&
                         q.pad_top == 0 && q.pad_left == 0 && q.OH == q.H && q.OW == q.W;
  // 3x3 / stride 1 / dilation 1 / groups 1 with enough channels: Winograd (conv2d_winograd.cc
  // decides where it is applicable and measured faster than the packed implicit GEMM).
  if (winograd)
    conv_detail::conv_winograd(q, x, w, bias, y);
  else if (!pointwise && cpu_has_avx2())
    conv_detail::conv_general_packed(q, x, w, bias, y);
  else
    conv_detail::conv_general(q, x, w, bias, y);
}

}  // namespace lepton
