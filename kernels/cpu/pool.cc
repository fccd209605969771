// 2-D max/average pooling and global pooling (ONNX MaxPool / AveragePool / Global*Pool), NCHW.
//
// Each (n, c) plane is one unit of work, spread over the shared pool. Within a plane, output
// columns whose whole window lies inside the input (the interior) are computed tap by tap over the
// row without bounds checks (contiguous for stride 1, so the compiler vectorises it); the few edge
// columns take a checked scalar path.
#include "pool.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "cpu_features.h"
#include "parallel.h"

namespace lepton {
namespace pool_detail {
// pool_avx2.cc (compiled with -mavx2 -mfma); called only when cpu_isa() == avx2_fma.
void pool_max_row_avx2(const float* const* rows, const int64_t* row_index, int64_t nk,
                       int64_t W, int64_t KW, int64_t dw, int64_t sw, int64_t pl, int64_t a,
                       int64_t b, float* yr, int64_t* ir);
void pool_sum_row_avx2(const float* const* rows, int64_t nk, int64_t W, int64_t KW, int64_t dw,
                       int64_t sw, int64_t pl, int64_t a, int64_t b, float scale, float* yr);
void max_pool_2x2_plane_avx2(const float* x, int64_t W, int64_t OH, int64_t OW, float* y);
}  // namespace pool_detail

namespace {

constexpr int64_t kMaxRows = 64;  // windows taller than this take the portable interior loop

// Output columns [lo, hi) whose input column ow*s + off lies in [0, W).
inline void valid_range(int64_t off, int64_t s, int64_t W, int64_t n, int64_t* lo, int64_t* hi) {
  int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;
  int64_t b = (W - 1 - off) < 0 ? 0 : (W - 1 - off) / s + 1;
  a = std::min(a, n);
  b = std::min(std::max(b, a), n);
  *lo = a;
  *hi = b;
}

struct Interior {
  int64_t owa, owb;
};

Interior interior_cols(const Pool2dParams& p) {
  int64_t a0, b0, a1, b1;
  valid_range(-p.pad_left, p.stride_w, p.W, p.OW, &a0, &b0);
  valid_range(-p.pad_left + (p.KW - 1) * p.dilation_w, p.stride_w, p.W, p.OW, &a1, &b1);
  Interior r{std::max(a0, a1), std::min(b0, b1)};
  if (r.owb < r.owa) r.owb = r.owa;
  return r;
}

int64_t plane_grain(const Pool2dParams& p) {
  const int64_t work = std::max<int64_t>(1, p.OH * p.OW * p.KH * p.KW);
  return std::max<int64_t>(1, 32768 / work);
}

void max_plane(const Pool2dParams& p, const Interior& in, const float* x, float* y, int64_t* idx,
               int64_t base, bool avx2) {
  const int64_t H = p.H, W = p.W, OW = p.OW, KH = p.KH, KW = p.KW;
  const int64_t sh = p.stride_h, sw = p.stride_w, dh = p.dilation_h, dw = p.dilation_w;
  const int64_t pt = p.pad_top, pl = p.pad_left;
  for (int64_t oh = 0; oh < p.OH; ++oh) {
    float* yr = y + oh * OW;
    int64_t* ir = idx ? idx + oh * OW : nullptr;
    int64_t kh_first = -1;
    for (int64_t kh = 0; kh < KH; ++kh) {
      const int64_t ih = oh * sh - pt + kh * dh;
      if (ih >= 0 && ih < H) {
        kh_first = kh;
        break;
      }
    }
    auto edge = [&](int64_t ow) {
      float best = std::numeric_limits<float>::lowest();
      int64_t bi = -1;
      bool any = false;
      for (int64_t kh = 0; kh < KH; ++kh) {
        const int64_t ih = oh * sh - pt + kh * dh;
        if (ih < 0 || ih >= H) continue;
        for (int64_t kw = 0; kw < KW; ++kw) {
          const int64_t iw = ow * sw - pl + kw * dw;
          if (iw < 0 || iw >= W) continue;
          const float v = x[ih * W + iw];
          if (!any || v > best) {
            best = v;
            bi = ih * W + iw;
            any = true;
          }
        }
      }
      yr[ow] = best;
      if (ir) ir[ow] = any ? base + bi : -1;
    };
    if (kh_first < 0) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        yr[ow] = std::numeric_limits<float>::lowest();
        if (ir) ir[ow] = -1;
      }
      continue;
    }
    for (int64_t ow = 0; ow < in.owa; ++ow) edge(ow);
    for (int64_t ow = in.owb; ow < OW; ++ow) edge(ow);
    const int64_t a = in.owa, b = in.owb;
    if (a >= b) continue;
    if (avx2 && KH <= kMaxRows) {
      const float* rows[kMaxRows];
      int64_t row_index[kMaxRows];
      int64_t nk = 0;
      for (int64_t kh = kh_first; kh < KH; ++kh) {
        const int64_t ih = oh * sh - pt + kh * dh;
        if (ih < 0 || ih >= H) continue;
        rows[nk] = x + ih * W - pl;
        row_index[nk] = base + ih * W - pl;
        ++nk;
      }
      pool_detail::pool_max_row_avx2(rows, row_index, nk, W, KW, dw, sw, pl, a, b, yr, ir);
      continue;
    }
    bool first = true;
    for (int64_t kh = kh_first; kh < KH; ++kh) {
      const int64_t ih = oh * sh - pt + kh * dh;
      if (ih < 0 || ih >= H) continue;
      for (int64_t kw = 0; kw < KW; ++kw) {
        const int64_t off = kw * dw - pl;
        const float* xr = x + ih * W + off;
        if (first) {
          if (sw == 1)
            for (int64_t ow = a; ow < b; ++ow) yr[ow] = xr[ow];
          else
            for (int64_t ow = a; ow < b; ++ow) yr[ow] = xr[ow * sw];
          if (ir) {
            const int64_t ib = base + ih * W + off;
            for (int64_t ow = a; ow < b; ++ow) ir[ow] = ib + ow * sw;
          }
          first = false;
          continue;
        }
        if (ir) {
          const int64_t ib = base + ih * W + off;
          for (int64_t ow = a; ow < b; ++ow) {
            const float v = xr[ow * sw];
            if (v > yr[ow]) {
              yr[ow] = v;
              ir[ow] = ib + ow * sw;
            }
          }
        } else if (sw == 1) {
          for (int64_t ow = a; ow < b; ++ow) {
            const float v = xr[ow], m = yr[ow];
            yr[ow] = v > m ? v : m;
          }
        } else {
          for (int64_t ow = a; ow < b; ++ow) {
            const float v = xr[ow * sw], m = yr[ow];
            yr[ow] = v > m ? v : m;
          }
        }
      }
    }
  }
}

// Taps of a window starting at `start` (step d, k taps) that lie in [lo, hi).
inline int64_t count_taps(int64_t start, int64_t d, int64_t k, int64_t lo, int64_t hi) {
  int64_t c = 0;
  for (int64_t t = 0; t < k; ++t) {
    const int64_t i = start + t * d;
    c += (i >= lo && i < hi) ? 1 : 0;
  }
  return c;
}

void avg_plane(const Pool2dParams& p, const Interior& in, const float* x, float* y, bool avx2) {
  const int64_t H = p.H, W = p.W, OW = p.OW, KH = p.KH, KW = p.KW;
  const int64_t sh = p.stride_h, sw = p.stride_w, dh = p.dilation_h, dw = p.dilation_w;
  const int64_t pt = p.pad_top, pl = p.pad_left;
  const int64_t hlo = p.count_include_pad ? -p.pad_top : 0;
  const int64_t hhi = p.count_include_pad ? H + p.pad_bottom : H;
  const int64_t wlo = p.count_include_pad ? -p.pad_left : 0;
  const int64_t whi = p.count_include_pad ? W + p.pad_right : W;
  const float* rows_small[kMaxRows];
  std::vector<const float*> rows_big;
  const float** rows = rows_small;
  if (KH > kMaxRows) {
    rows_big.resize(KH);
    rows = rows_big.data();
  }
  for (int64_t oh = 0; oh < p.OH; ++oh) {
    float* yr = y + oh * OW;
    const int64_t h0 = oh * sh - pt;
    const int64_t ch = count_taps(h0, dh, KH, hlo, hhi);
    int64_t nk = 0;
    for (int64_t kh = 0; kh < KH; ++kh) {
      const int64_t ih = h0 + kh * dh;
      if (ih >= 0 && ih < H) rows[nk++] = x + ih * W - pl;
    }
    // Edge columns: checked taps, divisor from the clipped window.
    auto edge = [&](int64_t ow) {
      float s = 0.f;
      for (int64_t i = 0; i < nk; ++i)
        for (int64_t kw = 0; kw < KW; ++kw) {
          const int64_t iw = ow * sw - pl + kw * dw;
          if (iw >= 0 && iw < W) s += rows[i][iw + pl];
        }
      const int64_t c = ch * count_taps(ow * sw - pl, dw, KW, wlo, whi);
      yr[ow] = c > 0 ? s / float(c) : 0.f;
    };
    for (int64_t ow = 0; ow < in.owa; ++ow) edge(ow);
    for (int64_t ow = in.owb; ow < OW; ++ow) edge(ow);
    if (in.owa >= in.owb) continue;
    const int64_t c = ch * KW;  // interior columns: every kw tap is a real input column
    const float scale = c > 0 ? 1.f / float(c) : 0.f;
    if (avx2) {
      pool_detail::pool_sum_row_avx2(rows, nk, W, KW, dw, sw, pl, in.owa, in.owb, scale, yr);
      continue;
    }
    for (int64_t ow = in.owa; ow < in.owb; ++ow) yr[ow] = 0.f;
    for (int64_t i = 0; i < nk; ++i)
      for (int64_t kw = 0; kw < KW; ++kw) {
        const float* xr = rows[i] + kw * dw;
        if (sw == 1)
          for (int64_t ow = in.owa; ow < in.owb; ++ow) yr[ow] += xr[ow];
        else
          for (int64_t ow = in.owa; ow < in.owb; ++ow) yr[ow] += xr[ow * sw];
      }
    for (int64_t ow = in.owa; ow < in.owb; ++ow) yr[ow] *= scale;
  }
}

// Windows entirely inside the image (no padding, no dilation, no indices), any size and stride:
// four outputs at a time in registers (four independent compare chains instead of one), taps in
// window order with "replace when greater" like max_plane.
void max_plane_inside(const Pool2dParams& p, const float* x, float* y) {
  const int64_t W = p.W, KH = p.KH, KW = p.KW, sh = p.stride_h, sw = p.stride_w, OW = p.OW;
  auto tap_max = [&](const float* w0) {
    float m = w0[0];
    for (int64_t kh = 0; kh < KH; ++kh)
      for (int64_t kw = kh == 0 ? 1 : 0; kw < KW; ++kw) {
        const float v = w0[kh * W + kw];
        m = v > m ? v : m;
      }
    return m;
  };
  for (int64_t oh = 0; oh < p.OH; ++oh) {
    const float* r = x + oh * sh * W;
    float* yr = y + oh * OW;
    int64_t ow = 0;
    for (; ow + 4 <= OW; ow += 4) {
      const float* a = r + ow * sw;
      float m0 = a[0], m1 = a[sw], m2 = a[2 * sw], m3 = a[3 * sw];
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = kh == 0 ? 1 : 0; kw < KW; ++kw) {
          const float* t = a + kh * W + kw;
          const float v0 = t[0], v1 = t[sw], v2 = t[2 * sw], v3 = t[3 * sw];
          m0 = v0 > m0 ? v0 : m0;
          m1 = v1 > m1 ? v1 : m1;
          m2 = v2 > m2 ? v2 : m2;
          m3 = v3 > m3 ? v3 : m3;
        }
      yr[ow] = m0;
      yr[ow + 1] = m1;
      yr[ow + 2] = m2;
      yr[ow + 3] = m3;
    }
    for (; ow < OW; ++ow) yr[ow] = tap_max(r + ow * sw);
  }
}

}  // namespace

void max_pool2d_f32(const Pool2dParams& p, const float* x, float* y, int64_t* indices) {
  const int64_t planes = p.N * p.C, HW = p.H * p.W, P = p.OH * p.OW;
  if (planes <= 0 || P <= 0) return;
  const Interior in = interior_cols(p);
  const bool avx2 = cpu_has_avx2();
  // The CNN staple, 2x2 windows at stride 2 without padding: a dedicated plane kernel.
  const bool pairs = avx2 && !indices && p.KH == 2 && p.KW == 2 && p.stride_h == 2 && p.stride_w == 2 &&
                     p.dilation_h == 1 && p.dilation_w == 1 && p.pad_top == 0 && p.pad_left == 0 &&
                     2 * p.OH <= p.H && 2 * p.OW <= p.W;
  // Other windows that never leave the image and need no indices, with a stride wider than the
  // row kernels' vector paths (e.g. 3x3 at stride 3): plain loops.
  const bool inside = !pairs && !indices && p.stride_w > 2 && p.pad_top == 0 && p.pad_left == 0 &&
                      p.dilation_h == 1 && p.dilation_w == 1 && (p.OH - 1) * p.stride_h + p.KH <= p.H &&
                      (p.OW - 1) * p.stride_w + p.KW <= p.W;
  parallel_range(planes, plane_grain(p), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      if (pairs) pool_detail::max_pool_2x2_plane_avx2(x + t * HW, p.W, p.OH, p.OW, y + t * P);
      else if (inside) max_plane_inside(p, x + t * HW, y + t * P);
      else max_plane(p, in, x + t * HW, y + t * P, indices ? indices + t * P : nullptr, t * HW, avx2);
    }
  });
}

void avg_pool2d_f32(const Pool2dParams& p, const float* x, float* y) {
  const int64_t planes = p.N * p.C, HW = p.H * p.W, P = p.OH * p.OW;
  if (planes <= 0 || P <= 0) return;
  const Interior in = interior_cols(p);
  const bool avx2 = cpu_has_avx2();
  parallel_range(planes, plane_grain(p), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) avg_plane(p, in, x + t * HW, y + t * P, avx2);
  });
}

void global_avg_pool_f32(int64_t nc, int64_t spatial, const float* x, float* y) {
  if (nc <= 0) return;
  const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, spatial));
  parallel_range(nc, grain, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const float* xp = x + t * spatial;
      float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int64_t i = 0;
      for (; i + 8 <= spatial; i += 8)
        for (int j = 0; j < 8; ++j) acc[j] += xp[i + j];
      float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
      for (; i < spatial; ++i) s += xp[i];
      y[t] = spatial > 0 ? s / float(spatial) : 0.f;
    }
  });
}

void global_max_pool_f32(int64_t nc, int64_t spatial, const float* x, float* y) {
  if (nc <= 0) return;
  const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, spatial));
  parallel_range(nc, grain, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const float* xp = x + t * spatial;
      if (spatial <= 0) {
        y[t] = std::numeric_limits<float>::lowest();
        continue;
      }
      if (spatial < 16) {
        float m = xp[0];
        for (int64_t i = 1; i < spatial; ++i) m = (xp[i] > m || xp[i] != xp[i]) ? xp[i] : m;
        y[t] = m;
        continue;
      }
      // NaN is sticky: once a lane holds NaN nothing compares greater, and a later NaN replaces it.
      float acc[8];
      for (int j = 0; j < 8; ++j) acc[j] = xp[j];
      int64_t i = 8;
      for (; i + 8 <= spatial; i += 8)
        for (int j = 0; j < 8; ++j) acc[j] = (xp[i + j] > acc[j] || xp[i + j] != xp[i + j]) ? xp[i + j] : acc[j];
      float m = acc[0];
      for (int j = 1; j < 8; ++j) m = (acc[j] > m || acc[j] != acc[j]) ? acc[j] : m;
      for (; i < spatial; ++i) m = (xp[i] > m || xp[i] != xp[i]) ? xp[i] : m;
      y[t] = m;
    }
  });
}

}  // namespace lepton
