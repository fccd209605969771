// Convolution of many small images (a few output pixels each, e.g. a CNN's last 5x5 layer) as one
// GEMM per block of images: the column matrix of nr images at a time (16 with AVX2, 32 with
// AVX-512) fills the nr-column panels of the packed GEMM, one panel per output pixel (lane l =
// image l). The nr images are first transposed (conv2d_batched_avx2.cc) so that every input
// position of the group is nr contiguous floats; a panel row (one tap of one output pixel) is then
// a copy of one such row, found through a K x P table of input offsets computed once per call.
// The panels are multiplied by the packed weights with the 6x16 or 14x32 micro-kernel
// (conv2d_packed.h) and the product is scattered back per image. Per image, P is too small to fill
// the micro-kernel's 16 columns, and im2col row by row costs more than the product.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "conv2d.h"
#include "conv2d_packed.h"
#include "cpu_features.h"
#include "parallel.h"

namespace lepton {
namespace conv_detail {

namespace {

constexpr int64_t kMinPanel = 16;  // applicability: fewer pixels per image than this
constexpr int64_t kMaxNR = 32;     // widest panel of any ISA (images per panel)
constexpr int64_t kTargetCols = 256;        // columns per block: a K x 256 panel set stays near L2
constexpr int64_t kMaxPanelFloats = 256 * 1024;
constexpr int64_t kMaxTransposedFloats = 2 * 1024 * 1024;  // transposed groups held at once (8 MiB)

}  // namespace

// conv2d_batched_avx2.cc
void batched_transpose_avx2(const float* src, int64_t ld_src, int64_t rows, int64_t cols, float* dst, int64_t ld_dst);
void batched_panel_rows_avx2(const float* xt, int64_t nr, const int32_t* tap, int64_t P, int64_t K, float* dst);

bool conv_batched_applicable(const Conv2dParams& p) {
  if (!cpu_has_avx2() || p.groups != 1 || p.N < 2) return false;
  const int64_t P = p.OH * p.OW, K = p.C * p.KH * p.KW;
  // Few pixels per image (under one 16-column panel), enough images to fill panels, and a column
  // block of at least one panel that fits the workspace bound.
  // One group of kMaxNR transposed images must fit the transposed workspace.
  return P < kMinPanel && p.N * P >= 4 * kMinPanel && K * kMaxNR <= kMaxPanelFloats &&
         p.C * p.H * p.W * kMaxNR <= kMaxTransposedFloats;
}

void conv_batched(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y) {
  const int64_t M = p.M, P = p.OH * p.OW, K = p.C * p.KH * p.KW, HW = p.H * p.W;
  // tab[k*P + j]: offset of tap k of output pixel j inside one image, -1 in the padding.
  std::vector<int32_t> tab(size_t(K * P));
  for (int64_t c = 0, k = 0; c < p.C; ++c)
    for (int64_t kh = 0; kh < p.KH; ++kh)
      for (int64_t kw = 0; kw < p.KW; ++kw, ++k)
        for (int64_t oh = 0, j = 0; oh < p.OH; ++oh)
          for (int64_t ow = 0; ow < p.OW; ++ow, ++j) {
            const int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
            const int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
            tab[size_t(k * P + j)] = (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) ? -1 : int32_t(c * HW + ih * p.W + iw);
          }
  const ConvPackedGemm& pg = conv_packed_gemm();
  const int64_t nr = pg.nr;  // images per panel
  const int64_t Mpad = (M + pg.mr - 1) / pg.mr * pg.mr;
  std::vector<float> apack(size_t(Mpad * K));
  pg.pack_a(w, M, K, apack.data());

  // Groups of nr images in chunks of transposed inputs xt[g][CHW][nr] (bounded workspace). Per
  // chunk: (1) the transposes, split by input position; (2) tasks of a block of groups (small P)
  // or of a slice of one group's pixels (large P), four per thread, so that a late thread holds
  // up little: each copies its panels from xt, multiplies and scatters.
  const int64_t threads = parallel_thread_count();
  const int64_t groups = (p.N + nr - 1) / nr;
  const int64_t CHW = p.C * HW, gfl = CHW * nr;
  const int64_t gchunk = std::max<int64_t>(1, std::min(groups, kMaxTransposedFloats / gfl));
  std::unique_ptr<float[]> xt(new float[size_t(gchunk * gfl)]);  // every lane written below
  int64_t per = std::max<int64_t>(1, std::min(kTargetCols, kMaxPanelFloats / K) / (P * nr));  // groups per block
  per = std::min(per, std::max<int64_t>(1, (gchunk + 4 * threads - 1) / (4 * threads)));
  const int64_t want = per > 1 ? 1 : std::min(P, (4 * threads + gchunk - 1) / gchunk);
  const int64_t pix = (P + want - 1) / want, slices = (P + pix - 1) / pix;  // pixels per slice, slices
  const int relu = p.activation == Activation::relu ? 1 : 0;
  const int64_t cchunk = std::max<int64_t>(8, (CHW + 2 * threads - 1) / (2 * threads) + 7) / 8 * 8;
  const int64_t cparts = (CHW + cchunk - 1) / cchunk;
  for (int64_t gc0 = 0; gc0 < groups; gc0 += gchunk) {
    const int64_t gcn = std::min(gchunk, groups - gc0);
    parallel_for(gcn * cparts, [&](int64_t t) {
      const int64_t g = t / cparts, c0 = (t % cparts) * cchunk, c1 = std::min(CHW, c0 + cchunk);
      const int64_t n0 = (gc0 + g) * nr;
      const int64_t lanes = std::min(nr, p.N - n0);
      float* dst = xt.get() + g * gfl + c0 * nr;
      batched_transpose_avx2(x + n0 * CHW + c0, CHW, lanes, c1 - c0, dst, nr);
      if (lanes < nr)  // a last group with fewer images: its empty lanes are zeros
        for (int64_t c = 0; c < c1 - c0; ++c) std::fill(dst + c * nr + lanes, dst + (c + 1) * nr, 0.f);
    });
    const int64_t blocks = (gcn + per - 1) / per;
    parallel_for(blocks * slices, [&](int64_t t) {
      const int64_t g0 = (t / slices) * per, gn = std::min(per, gcn - g0);
      const int64_t j0 = (t % slices) * pix, jn = std::min(pix, P - j0);
      const int64_t nc = gn * jn * nr;
      thread_local std::vector<float> ws;
      const size_t need = size_t(nc * K + M * nc);
      if (ws.size() < need) ws.resize(need);
      float* bp = ws.data();
      float* out = bp + nc * K;
      for (int64_t g = 0; g < gn; ++g)
        for (int64_t j = 0; j < jn; ++j)
          batched_panel_rows_avx2(xt.get() + (g0 + g) * gfl, nr, tab.data() + j0 + j, P, K, bp + (g * jn + j) * K * nr);
      pg.gemm(M, nc, K, apack.data(), bp, out, nc, bias, relu);
      // out[m][(g*jn + j)*nr + l] is image (gc0 + g0 + g)*nr + l, channel m, pixel j0 + j.
      for (int64_t g = 0; g < gn; ++g) {
        const int64_t n0 = (gc0 + g0 + g) * nr;
        const int64_t lanes = std::min<int64_t>(nr, p.N - n0);
        for (int64_t l = 0; l < lanes; ++l) {
          float* yn = y + (n0 + l) * M * P + j0;
          for (int64_t m = 0; m < M; ++m) {
            const float* o = out + m * nc + g * jn * nr + l;
            for (int64_t j = 0; j < jn; ++j) yn[m * P + j] = o[j * nr];
          }
        }
      }
    });
  }
}

}  // namespace conv_detail
}  // namespace lepton
