// Convolution of many small images (a few output pixels each, e.g. a CNN's last 5x5 layer) as one
// GEMM per block of images: the column matrix of several images side by side (K x images*P) is
// gathered straight into the 16-column panels of the packed GEMM (through a K x P table of input
// offsets computed once per call), multiplied by the packed weights with the 6x16 micro-kernel
// (conv2d_avx2.cc), and the M x images*P product is copied out per image. Per image, P is too
// small to fill the micro-kernel's 16 columns, and im2col row by row costs more than the product.
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv2d.h"
#include "cpu_features.h"
#include "parallel.h"

namespace lepton {
namespace conv_detail {

// conv2d_avx2.cc
void conv_pack_a_avx2(const float* wg, int64_t Mg, int64_t K, float* ap);
void conv_gemm_packed_avx2(int64_t Mg, int64_t nc, int64_t K, const float* ap, const float* bp,
                           float* C, int64_t ldc, const float* bias, int relu);

namespace {

constexpr int64_t kNR = 16;
constexpr int64_t kTargetCols = 256;        // columns per block: a K x 256 panel set stays near L2
constexpr int64_t kMaxPanelFloats = 256 * 1024;

}  // namespace

bool conv_batched_applicable(const Conv2dParams& p) {
  if (cpu_isa() != CpuIsa::avx2_fma || p.groups != 1 || p.N < 2) return false;
  const int64_t P = p.OH * p.OW, K = p.C * p.KH * p.KW;
  // Few pixels per image (under one 16-column panel), enough images to fill panels, and a column
  // block of at least one panel that fits the workspace bound.
  return P < kNR && p.N * P >= 4 * kNR && K * kNR <= kMaxPanelFloats;
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
  const int64_t Mpad = (M + 5) / 6 * 6;
  std::vector<float> apack(size_t(Mpad * K));
  conv_pack_a_avx2(w, M, K, apack.data());

  const int64_t threads = parallel_thread_count();
  int64_t per = std::max<int64_t>(1, std::min(kTargetCols, kMaxPanelFloats / K) / P);  // images per block
  per = std::min(per, std::max<int64_t>(1, (p.N + 2 * threads - 1) / (2 * threads)));   // >= 2 blocks per thread
  const int64_t blocks = (p.N + per - 1) / per;
  const int relu = p.activation == Activation::relu ? 1 : 0;
  parallel_for(blocks, [&](int64_t b) {
    const int64_t n0 = b * per, ni = std::min(per, p.N - n0), nc = ni * P;
    const int64_t npan = (nc + kNR - 1) / kNR;
    thread_local std::vector<float> ws;
    const size_t need = size_t(npan * kNR * K + M * nc);
    if (ws.size() < need) ws.resize(need);
    float* bp = ws.data();
    float* out = bp + npan * kNR * K;
    for (int64_t jp = 0; jp < npan; ++jp) {
      // Where each of the panel's 16 columns reads from: its image and its pixel (none past nc).
      const float* src[kNR];
      int64_t pix[kNR];
      for (int64_t l = 0; l < kNR; ++l) {
        const int64_t j = jp * kNR + l;
        src[l] = j < nc ? x + (n0 + j / P) * p.C * HW : nullptr;
        pix[l] = j < nc ? j % P : 0;
      }
      float* d = bp + jp * K * kNR;
      for (int64_t k = 0; k < K; ++k, d += kNR) {
        const int32_t* tk = tab.data() + k * P;
        for (int64_t l = 0; l < kNR; ++l) {
          const int32_t o = tk[pix[l]];
          d[l] = (src[l] && o >= 0) ? src[l][o] : 0.f;
        }
      }
    }
    conv_gemm_packed_avx2(M, nc, K, apack.data(), bp, out, nc, bias, relu);
    for (int64_t i = 0; i < ni; ++i)
      for (int64_t m = 0; m < M; ++m) std::memcpy(y + ((n0 + i) * M + m) * P, out + m * nc + i * P, sizeof(float) * P);
  });
}

}  // namespace conv_detail
}  // namespace lepton
