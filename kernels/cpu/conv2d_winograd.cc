// Winograd F(2x2,3x3) convolution for 3x3, stride 1, dilation 1, groups 1 (ONNX Conv, NCHW f32).
//
// y = A^T [ (G g G^T) .* (B^T d B) ] A per 2x2 output tile, i.e. per image:
//   1. weights: U[f] = (G g G^T)[f] for the 16 frequencies f, transformed once per call into
//      [16][C][Mld] (vectorised over 8 output channels, in parallel over them);
//   2. the tile grid (ceil(OH/2) x ceil(OW/2), row-major, padded edges read as zero) is cut into
//      blocks of T tiles; each (image, block) task, on the shared pool, transforms its input tiles
//      (V[f], C x T), runs the 16 products Z[f] = U[f] V[f] with a 6x16 FMA micro-kernel, and
//      applies the output transform with bias + relu (and, when fused, a 2x2 max pool: each tile
//      is one pool window) straight into y.
// The per-thread workspace is 16 * (C + Mpad) * Tpad floats, T chosen so that it stays around the
// L2 size (never fewer than 16 tiles), so it is bounded independently of N, H and W.
// AVX2+FMA only (conv2d_winograd_avx2.cc); other CPUs keep the existing paths.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "conv2d.h"
#include "conv2d_winograd_layout.h"
#include "cpu_features.h"
#include "parallel.h"

namespace lepton {
namespace conv_detail {

// conv2d_winograd_avx2.cc
int64_t wino_stage_floats_avx2(int64_t ntw);
void wino_input_transform_avx2(const float* xn, int64_t C, int64_t c0, int64_t c1, int64_t H,
                               int64_t W, int64_t pt, int64_t pl, int64_t ntw, int64_t j0,
                               int64_t T, int64_t Tpad, int64_t col0, float* V, float* stage,
                               const float* xpad, int64_t Hpad);
void wino_transform_weights_avx2(const float* w, int64_t M, int64_t C, int64_t Mld, int64_t m0,
                                 int64_t m1, float* U);
void wino_gemm_avx2(const float* U, int64_t Mld, int64_t Mpad, int64_t C, const float* V,
                    int64_t Tpad, float* Z, int64_t f0, int64_t f1, int64_t mp0, int64_t mp1);
// conv2d_winograd_avx512.cc: the input transform straight from the image (masked loads), the same
// products on 8-row panels, the output transform's row tails
// as masked stores.
void wino_input_transform_avx512(const float* xn, int64_t C, int64_t c0, int64_t c1, int64_t H,
                                 int64_t W, int64_t pt, int64_t pl, int64_t ntw, int64_t j0,
                                 int64_t T, int64_t Tpad, int64_t col0, float* V);
void wino_gemm_avx512(const float* U, int64_t Mld, int64_t Mpad, int64_t C, const float* V,
                      int64_t Tpad, float* Z, int64_t f0, int64_t f1, int64_t mp0, int64_t mp1);
void wino_output_transform_avx512(const float* Z, int64_t m0, int64_t m1, int64_t Mpad,
                                  int64_t Tpad, int64_t j0, int64_t T, int64_t ntw, int64_t OH,
                                  int64_t OW, const float* bias, int relu, int pool, float* yn);
void wino_output_transform_avx2(const float* Z, int64_t m0, int64_t m1, int64_t Mpad, int64_t Tpad,
                                int64_t j0, int64_t T, int64_t ntw, int64_t OH, int64_t OW,
                                const float* bias, int relu, int pool, float* yn);

namespace {

// Workspace target per thread, floats (V + Z of one block): ~384 KiB, inside Zen 3's 512 KiB L2.
constexpr int64_t kWinoBlockFloats = 96 * 1024;
// Images with at most this many tiles take the phase-parallel single-block mode.
constexpr int64_t kFewTiles = 64;

// Image n zero-padded for wino_input_transform_avx2: [C][Hpad][2*ntw + 18], row i and column q
// holding x[i - pt][q - pl]. Plain loops: rows are short, and a libc call per row cost more than
// the transform itself on small images.
void pad_image(const float* xn, int64_t C, int64_t H, int64_t W, int64_t pt, int64_t pl, int64_t ntw,
               int64_t Hpad, float* xp) {
  const int64_t Wp = 2 * ntw + 18;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < Hpad; ++i) {
      float* d = xp + (c * Hpad + i) * Wp;
      const int64_t ih = i - pt;
      if (ih < 0 || ih >= H) {
        for (int64_t q = 0; q < Wp; ++q) d[q] = 0.f;
        continue;
      }
      const float* r = xn + (c * H + ih) * W - pl;  // r[q] = x[ih][q - pl]
      const int64_t a = std::min(std::max<int64_t>(pl, 0), Wp), b = std::max(a, std::min(W + pl, Wp));
      for (int64_t q = 0; q < a; ++q) d[q] = 0.f;
      for (int64_t q = a; q < b; ++q) d[q] = r[q];
      for (int64_t q = b; q < Wp; ++q) d[q] = 0.f;
    }
}

float* wino_workspace(size_t n) {
  thread_local std::vector<float> ws;
  if (ws.size() < n) ws.resize(n);
  return ws.data();
}

}  // namespace

// True when the Winograd path handles p (geometry and ISA) and is expected to be faster.
bool conv_winograd_applicable(const Conv2dParams& p) {
  if (!cpu_has_avx2()) return false;
  if (p.groups != 1 || p.KH != 3 || p.KW != 3) return false;
  if (p.stride_h != 1 || p.stride_w != 1 || p.dilation_h != 1 || p.dilation_w != 1) return false;
  if (p.C < 16 || p.M < 16) return false;
  if (p.OH < 4 || p.OW < 4) return false;
  // Measured (1-thread CPU time vs the packed implicit GEMM, Zen 3): the per-call weight transform
  // (16*C*M floats written, then streamed once per tile block) loses when it is not amortised over
  // enough tiles: 512x512 channels at 7x7 or 14x14 (slower), 256x256 at 7x7 with N = 1 (slower)
  // or N = 2 (even); 64x64 at 56x56 is ~1.65x faster, 256x256 at 14x14 ~1.15x.
  const int64_t tiles = ((p.OH + 1) / 2) * ((p.OW + 1) / 2);
  if (p.C * p.M > 256 * 256) return false;
  if (p.N * tiles < (p.C * p.M > 128 * 128 ? 48 : 32)) return false;
  return true;
}

void conv_winograd(const Conv2dParams& p, const float* x, const float* w, const float* bias,
                   float* y) {
  const int64_t C = p.C, M = p.M, H = p.H, W = p.W, OH = p.OH, OW = p.OW;
  // The products' micro-kernel: 6-row panels with AVX2, 8-row panels with AVX-512.
  const bool avx512 = cpu_has_avx512();
  const int64_t MR = avx512 ? 8 : 6;
  const auto wino_gemm = avx512 ? wino_gemm_avx512 : wino_gemm_avx2;
  const auto wino_output_transform = avx512 ? wino_output_transform_avx512 : wino_output_transform_avx2;
  const int64_t Mpad = (M + MR - 1) / MR * MR;
  const int relu = p.activation == Activation::relu ? 1 : 0;
  const int pool = p.max_pool_2x2 ? 1 : 0;
  // With a fused 2x2 pool each tile is one pool window, and the pool (floor) drops an odd last
  // output row or column: the grid is then the pooled grid, so no tile is computed to be dropped
  // (an 11x11 output takes 5x5 tiles instead of 6x6).
  const int64_t nth = pool ? OH / 2 : (OH + 1) / 2, ntw = pool ? OW / 2 : (OW + 1) / 2;
  const int64_t tiles = nth * ntw;
  const int64_t threads = parallel_thread_count();
  const int64_t yimg = pool ? M * (OH / 2) * (OW / 2) : M * OH * OW;  // floats of one output image

  // Transformed weights [16][C][Mld] (Mld = Mpad rounded up to 8, so the micro-kernel's MR-row
  // panels stay inside a row; no zero-fill: every element, zero columns >= M included, is written
  // by wino_transform_weights_avx2, in blocks of 8 output channels).
  const int64_t Mld = (Mpad + 7) / 8 * 8;
  std::unique_ptr<float[]> Ubuf(new float[size_t(16) * size_t(C) * size_t(Mld)]);
  float* U = Ubuf.get();
  const int64_t sfl = wino_stage_floats_avx2(ntw);

  // Few tiles (deep, small layers, e.g. 14x14): one block per image holding all of its tiles, and
  // two parallel regions per image (few regions matter on a loaded machine, where handing work to
  // a sleeping worker costs a scheduler wake-up): (1) the input transform split by channels;
  // (2) chunks of output channels (multiples of 24 = lcm of the 6- or 8-row panels and the 8-wide weight
  // transform), each transforming its weights (first image only), running its 16 GEMMs and its
  // output transform. U is streamed once per image instead of once per tile block.
  // Workspace: 16 * (C + Mpad) * Tpad floats, Tpad <= kFewTiles, shared by the threads.
  if (threads > 1 && tiles <= kFewTiles && p.N < 2 * threads) {
    const int64_t Tpad = (tiles + 15) / 16 * 16;
    const int64_t vfl = 16 * wino_v_fstride(C, Tpad), zfl = 16 * wino_z_fstride(Mpad, Tpad);
    std::unique_ptr<float[]> buf(new float[size_t(vfl + zfl + 8)]);
    float* V = buf.get();
    float* Z = V + vfl;
    for (int64_t q = 0; q < 8; ++q) Z[zfl + q] = 0.f;  // read (ignored lanes) by partial chunks
    const int64_t units = (Mld + 23) / 24;
    const int64_t uchunk = std::max<int64_t>(1, (units + 2 * threads - 1) / (2 * threads));
    const int64_t mtasks = (units + uchunk - 1) / uchunk;
    const int64_t cchunk = std::max<int64_t>(1, (C + 2 * threads - 1) / (2 * threads));
    for (int64_t n = 0; n < p.N; ++n) {
      parallel_for((C + cchunk - 1) / cchunk, [&](int64_t t) {
        float* stage = wino_workspace(size_t(sfl));
        const int64_t c0 = t * cchunk, c1 = std::min(C, c0 + cchunk);
        if (avx512)
          wino_input_transform_avx512(x + n * C * H * W, C, c0, c1, H, W, p.pad_top, p.pad_left, ntw, 0,
                                      tiles, Tpad, 0, V);
        else
          wino_input_transform_avx2(x + n * C * H * W, C, c0, c1, H, W, p.pad_top, p.pad_left, ntw,
                                    0, tiles, Tpad, 0, V, stage, nullptr, 0);
      });
      parallel_for(mtasks, [&](int64_t t) {
        const int64_t m0 = t * uchunk * 24, m1 = m0 + uchunk * 24;
        if (n == 0) wino_transform_weights_avx2(w, M, C, Mld, m0, std::min(m1, Mld), U);
        wino_gemm(U, Mld, Mpad, C, V, Tpad, Z, 0, 16, m0 / MR, std::min(m1, Mpad) / MR);
        wino_output_transform(Z, m0, std::min(m1, M), Mpad, Tpad, 0, tiles, ntw, OH, OW, bias,
                                   relu, pool, y + n * yimg);
      });
    }
    return;
  }

  parallel_range(Mld / 8, std::max<int64_t>(1, 1024 / C), [&](int64_t b, int64_t e) {
    wino_transform_weights_avx2(w, M, C, Mld, b * 8, e * 8, U);
  });

  // Blocks of tiles: as large as the workspace target allows (at least 16), then split further
  // (down to 16 tiles) if there are too few tasks for the threads, and balanced.
  const int64_t tmax = std::max<int64_t>(16, kWinoBlockFloats / (16 * (C + Mpad)) / 16 * 16);
  int64_t nb = (tiles + tmax - 1) / tmax;
  const int64_t nb_max = (tiles + 15) / 16;
  while (nb < nb_max && p.N * nb < 2 * threads) ++nb;
  const int64_t T = (tiles + nb - 1) / nb;
  nb = (tiles + T - 1) / T;
  const int64_t Tpad = (T + 15) / 16 * 16;

  // Small images (one block each): several images per block when that wastes fewer of the
  // 16-column panels (36 tiles: 48 columns for one image, 80 for two), within 1.5x the workspace
  // target and keeping two blocks per thread; each image is zero-padded and transformed from there.
  int64_t per = 1;
  if (nb == 1) {
    double best = double(tiles) / double(Tpad);
    for (int64_t k = 2; k <= 8; ++k) {
      const int64_t tp = (k * tiles + 15) / 16 * 16;
      if (16 * (C + Mpad) * tp > kWinoBlockFloats * 3 / 2 || (p.N + k - 1) / k < 2 * threads) break;
      if (double(k * tiles) / double(tp) > best + 0.05) {
        best = double(k * tiles) / double(tp);
        per = k;
      }
    }
  }
  const int64_t Tb = per * T, Tbpad = (Tb + 15) / 16 * 16;
  const int64_t vbl = 16 * wino_v_fstride(C, Tbpad), zbl = 16 * wino_z_fstride(Mpad, Tbpad);
  const int64_t Hpad = 2 * nth + 2, padfl = nb == 1 && !avx512 ? C * Hpad * (2 * ntw + 18) : 0;
  const int64_t groups = nb == 1 ? (p.N + per - 1) / per : p.N * nb;
  parallel_for(groups, [&](int64_t task) {
    float* V = wino_workspace(size_t(vbl + zbl + sfl + 8 + padfl));
    float* Z = V + vbl;
    float* stage = Z + zbl + 8;
    if (nb > 1) {  // one block of one image's tiles
      const int64_t n = task / nb, b = task % nb;
      const int64_t j0 = b * T, tb = std::min(T, tiles - j0);
      if (avx512)
        wino_input_transform_avx512(x + n * C * H * W, C, 0, C, H, W, p.pad_top, p.pad_left, ntw, j0, tb,
                                    Tbpad, 0, V);
      else
        wino_input_transform_avx2(x + n * C * H * W, C, 0, C, H, W, p.pad_top, p.pad_left, ntw, j0, tb,
                                  Tbpad, 0, V, stage, nullptr, 0);
      wino_gemm(U, Mld, Mpad, C, V, Tbpad, Z, 0, 16, 0, Mpad / MR);
      wino_output_transform(Z, 0, M, Mpad, Tbpad, j0, tb, ntw, OH, OW, bias, relu, pool,
                                 y + n * yimg);
      return;
    }
    const int64_t n0 = task * per, ni = std::min(per, p.N - n0);
    float* xpad = stage + sfl;
    for (int64_t i = 0; i < ni; ++i) {
      const float* xn = x + (n0 + i) * C * H * W;
      if (avx512) {
        wino_input_transform_avx512(xn, C, 0, C, H, W, p.pad_top, p.pad_left, ntw, 0, tiles, Tbpad, i * tiles, V);
        continue;
      }
      pad_image(xn, C, H, W, p.pad_top, p.pad_left, ntw, Hpad, xpad);
      wino_input_transform_avx2(xn, C, 0, C, H, W, p.pad_top, p.pad_left, ntw, 0, tiles, Tbpad, i * tiles, V,
                                stage, xpad, Hpad);
    }
    wino_gemm(U, Mld, Mpad, C, V, Tbpad, Z, 0, 16, 0, Mpad / MR);
    for (int64_t i = 0; i < ni; ++i)
      wino_output_transform(Z + i * tiles, 0, M, Mpad, Tbpad, 0, tiles, ntw, OH, OW, bias, relu, pool,
                                 y + (n0 + i) * yimg);
  });
}

}  // namespace conv_detail
}  // namespace lepton
