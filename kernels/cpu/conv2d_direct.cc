// Direct convolution for stride-1, single-group convs over few input channels (small images, the
// first layers of a CNN): no im2col. Each image is copied once into a zero-padded buffer
// (C x Hp x Wp); output position (oh, ow) is then the flat index q = oh*Wp + ow of that buffer
// and every tap (c, kh, kw) a constant flat offset, so a tile of 4 output channels x 24 flat
// positions is a K-step loop of vector loads and broadcast FMAs (conv2d_direct_avx2.cc) — the
// register tile of a GEMM whose B operand is read straight from the image. The Wp - OW flat
// positions past each row's end are computed and dropped, so it is used when they are few. On
// AVX-512 CPUs the tiles are row segments with k-masked tails instead (conv2d_direct_avx512.cc).
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "conv2d.h"
#include "conv2d_direct.h"
#include "cpu_features.h"
#include "parallel.h"

namespace lepton {
namespace conv_detail {

namespace {

constexpr int64_t kMaxImageFloats = 48 * 1024;       // one padded image stays in L2 (192 KiB)
constexpr int64_t kMaxChunkFloats = 1024 * 1024;     // padded images held at once (4 MiB)
struct Geometry {
  int64_t Hp, Wp, K, Q, tq, img;
  int mb, nb;  // tile: mb output channels x nb vectors (4x3, 6x2 or 8x1: 12 or 8 accumulators)
};

Geometry geometry(const Conv2dParams& p) {
  Geometry g;
  g.Hp = p.OH + (p.KH - 1) * p.dilation_h;
  g.Wp = p.OW + (p.KW - 1) * p.dilation_w;
  g.K = p.C * p.KH * p.KW;
  g.Q = (p.OH - 1) * g.Wp + p.OW;
  g.nb = g.Q <= 8 ? 1 : g.Q <= 16 ? 2 : 3;
  g.mb = g.nb == 3 ? 4 : g.nb == 2 ? 6 : 8;
  g.tq = 8 * g.nb;
  g.img = p.C * g.Hp * g.Wp + g.tq;  // tiles read up to tq - 1 floats past the last tap
  return g;
}

// The zero-padded copy of image xn: row i, column j of channel c holds x[c, i - pt, j - pl].
void pad_image(const Conv2dParams& p, const Geometry& g, const float* xn, float* xp) {
  if (p.pad_top == 0 && p.pad_left == 0 && g.Hp == p.H && g.Wp == p.W) {  // no padding: one copy
    std::memcpy(xp, xn, sizeof(float) * p.C * p.H * p.W);
    std::memset(xp + p.C * p.H * p.W, 0, sizeof(float) * g.tq);
    return;
  }
  const int64_t j0 = std::min(std::max<int64_t>(p.pad_left, 0), g.Wp);
  const int64_t j1 = std::min(p.pad_left + p.W, g.Wp);
  for (int64_t c = 0; c < p.C; ++c) {
    for (int64_t i = 0; i < g.Hp; ++i) {
      float* row = xp + (c * g.Hp + i) * g.Wp;
      const int64_t ih = i - p.pad_top;
      if (ih < 0 || ih >= p.H || j1 <= j0) {
        std::memset(row, 0, sizeof(float) * g.Wp);
        continue;
      }
      std::memset(row, 0, sizeof(float) * j0);
      std::memcpy(row + j0, xn + (c * p.H + ih) * p.W + (j0 - p.pad_left), sizeof(float) * (j1 - j0));
      std::memset(row + j1, 0, sizeof(float) * (g.Wp - j1));
    }
  }
  std::memset(xp + p.C * g.Hp * g.Wp, 0, sizeof(float) * g.tq);
}

DirectLanes lanes_of(int64_t q0, int64_t Q, int64_t Wp, int64_t OW, int64_t OH) {
  DirectLanes l{};
  const int64_t oh = q0 / Wp, ow = q0 - oh * Wp;
  int64_t r = oh, c = ow;
  for (int i = 0; i < 8; ++i, ++c) {
    if (c == Wp) {
      c = 0;
      ++r;
    }
    l.idx[i] = (q0 + i < Q && c < OW) ? int32_t(r * OW + c) : -1;
  }
  l.scalar = Wp < 8;
  if (l.scalar) return l;
  l.base0 = int32_t(oh * OW + ow);
  l.len0 = int32_t(ow < OW ? std::min<int64_t>(8, OW - ow) : 0);
  l.shift1 = int32_t(Wp - ow);  // the lane where row oh + 1 starts
  l.base1 = int32_t((oh + 1) * OW);
  l.len1 = int32_t(l.shift1 < 8 && oh + 1 < OH ? std::min<int64_t>(8 - l.shift1, OW) : 0);
  return l;
}

}  // namespace

bool conv_direct_applicable(const Conv2dParams& p) {
  if (!cpu_has_avx2()) return false;
  if (p.groups != 1 || p.stride_h != 1 || p.stride_w != 1 || p.KH * p.KW == 1) return false;
  if (p.pad_top < 0 || p.pad_left < 0) return false;
  const Geometry g = geometry(p);
  // The padded image must stay cache-resident, and at least half of each computed row kept.
  return g.img <= kMaxImageFloats && 2 * p.OW >= g.Wp && g.K <= (int64_t(1) << 20);
}

namespace {

// Flat offset of each tap (c, kh, kw) in the padded image.
std::vector<int32_t> tap_offsets(const Conv2dParams& p, const Geometry& g) {
  std::vector<int32_t> offs(static_cast<size_t>(g.K));
  for (int64_t c = 0, k = 0; c < p.C; ++c)
    for (int64_t kh = 0; kh < p.KH; ++kh)
      for (int64_t kw = 0; kw < p.KW; ++kw, ++k)
        offs[size_t(k)] = int32_t((c * g.Hp + kh * p.dilation_h) * g.Wp + kw * p.dilation_w);
  return offs;
}

// Weights in blocks of mb output channels, k-major inside a block: wpack[b][k][m] (0 past M).
std::vector<float> pack_weights(const float* w, int64_t M, int64_t K, int64_t mb) {
  const int64_t MBn = (M + mb - 1) / mb;
  std::vector<float> wpack(size_t(MBn * K * mb), 0.f);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k) wpack[size_t(((m / mb) * K + k) * mb + m % mb)] = w[m * K + k];
  return wpack;
}

// Runs tile(image index in chunk, channel block, tiles [t0, t1), padded image) for every image, in
// chunks of padded images (or straight on x when the image needs no padding: pads all 0), sliced
// until every thread has a few tasks.
template <typename Tile>
void for_each_task(const Conv2dParams& p, const Geometry& g, int64_t MBn, int64_t QT, const float* x, bool padded_copy,
                   const Tile& tile) {
  const int64_t threads = parallel_thread_count();
  const int64_t chunk = padded_copy ? std::max<int64_t>(1, std::min(p.N, kMaxChunkFloats / g.img)) : p.N;
  const int64_t CHW = p.C * p.H * p.W;
  // (not zero-filled: pad_image writes every float of an image's copy, its slack included)
  std::unique_ptr<float[]> padded(padded_copy ? new float[size_t(chunk * g.img)] : nullptr);
  for (int64_t n0 = 0; n0 < p.N; n0 += chunk) {
    const int64_t nc = std::min(chunk, p.N - n0);
    if (padded_copy) {
      if (nc > 1) parallel_for(nc, [&](int64_t i) { pad_image(p, g, x + (n0 + i) * CHW, padded.get() + i * g.img); });
      else pad_image(p, g, x + n0 * CHW, padded.get());
    }
    int64_t slices = 1;
    while (slices < QT && nc * MBn * slices < 4 * threads) ++slices;
    const int64_t tiles_per = (QT + slices - 1) / slices;
    parallel_for(nc * MBn * slices, [&](int64_t t) {
      const int64_t s = t % slices, b = (t / slices) % MBn, i = t / (slices * MBn);
      const int64_t t0 = s * tiles_per, t1 = std::min(QT, t0 + tiles_per);
      const float* xi = padded_copy ? padded.get() + i * g.img : x + (n0 + i) * CHW;
      if (t0 < t1) tile(n0 + i, b, t0, t1, xi);
    });
  }
}

// Tiles of row segments (conv2d_direct_avx512.cc), so only whole output rows are computed: every
// AVX-512 conv, and with a fused 2x2/2 max pool AVX2 too (conv2d_direct_avx2.cc). With the pool
// the segments are pairs of rows 2i, 2i + 1 pooled in registers, and the rows and columns the
// pool drops (an odd last one) are not computed. AVX2 segments are 8 columns, read with plain
// loads from the padded copy (its slack covers the reads past a row's end; those lanes are
// dropped); AVX-512 segments are 16 columns with k-masked loads, straight from an unpadded image.
void conv_direct_rows(const Conv2dParams& p, const Geometry& g, const float* x, const float* w, const float* bias,
                      float* y, bool avx512) {
  const int64_t M = p.M;
  const bool pool = p.max_pool_2x2;
  const int64_t width = avx512 ? 16 : 8;
  int mb, nb;
  if (pool) {
    // AVX-512: x 3 segment pairs, 24 accumulators, 6 loads and 4 broadcasts per 24 FMAs;
    // AVX2: x 1 pair, 8 accumulators (16 registers).
    mb = 4;
    nb = avx512 ? 3 : 1;
  } else {
    // 4x6, 8x3 or 12x2 accumulators: the channel block that wastes the fewest channels past M.
    mb = M <= 4 ? 4 : ((M + 11) / 12 * 12 - M < (M + 7) / 8 * 8 - M ? 12 : 8);
    nb = mb == 4 ? 6 : mb == 12 ? 2 : 3;
  }
  const std::vector<int32_t> offs = tap_offsets(p, g);
  const std::vector<float> wpack = pack_weights(w, M, g.K, mb);
  std::vector<DirectSegment> segs;
  const int64_t POH = p.OH / 2, POW = p.OW / 2;
  if (pool) {
    for (int64_t i = 0; i < POH; ++i)
      for (int64_t c = 0; c < 2 * POW; c += width) {
        const int64_t len = std::min<int64_t>(width, 2 * POW - c);
        segs.push_back({int32_t(2 * i * g.Wp + c), int32_t(i * POW + c / 2), uint16_t((1u << len) - 1),
                        uint16_t((1u << (len / 2)) - 1)});
      }
  } else {
    for (int64_t oh = 0; oh < p.OH; ++oh)
      for (int64_t ow = 0; ow < p.OW; ow += 16) {
        const int64_t len = std::min<int64_t>(16, p.OW - ow);
        segs.push_back({int32_t(oh * g.Wp + ow), int32_t(oh * p.OW + ow), uint16_t((1u << len) - 1), 0});
      }
  }
  while (segs.size() % size_t(nb) != 0) segs.push_back({0, 0, 0, 0});
  DirectRows d;
  d.K = g.K;
  d.M = M;
  d.P = pool ? POH * POW : p.OH * p.OW;
  d.row_step = g.Wp;
  d.mb = mb;
  d.nb = nb;
  d.relu = p.activation == Activation::relu ? 1 : 0;
  d.offs = offs.data();
  d.wpack = wpack.data();
  d.bias = bias;
  d.segs = segs.data();
  const int64_t QT = int64_t(segs.size()) / nb, MBn = (M + mb - 1) / mb;
  const bool unpadded = avx512 && p.pad_top == 0 && p.pad_left == 0 && g.Hp == p.H && g.Wp == p.W;
  for_each_task(p, g, MBn, QT, x, !unpadded, [&](int64_t n, int64_t b, int64_t t0, int64_t t1, const float* xi) {
    if (!avx512) conv_direct_pooled_rows_avx2(d, b, t0, t1, xi, y + n * M * d.P);
    else if (pool) conv_direct_pooled_rows_avx512(d, b, t0, t1, xi, y + n * M * d.P);
    else conv_direct_rows_avx512(d, b, t0, t1, xi, y + n * M * d.P);
  });
}

}  // namespace

void conv_direct(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y) {
  const Geometry g = geometry(p);
  if (cpu_has_avx512() || p.max_pool_2x2) {
    conv_direct_rows(p, g, x, w, bias, y, cpu_has_avx512());
    return;
  }
  const int64_t K = g.K, M = p.M;
  const std::vector<int32_t> offs = tap_offsets(p, g);
  const std::vector<float> wpack = pack_weights(w, M, K, g.mb);
  const int64_t MBn = (M + g.mb - 1) / g.mb;
  const int64_t QT = (g.Q + g.tq - 1) / g.tq;  // flat tiles per image
  std::vector<DirectLanes> lanes(size_t(QT * g.nb));
  for (int64_t v = 0; v < QT * g.nb; ++v) lanes[size_t(v)] = lanes_of(8 * v, g.Q, g.Wp, p.OW, p.OH);
  DirectTiles d;
  d.K = K;
  d.M = M;
  d.P = p.OH * p.OW;
  d.Q = g.Q;
  d.Wp = g.Wp;
  d.OW = p.OW;
  d.mb = g.mb;
  d.nb = g.nb;
  d.relu = p.activation == Activation::relu ? 1 : 0;
  d.offs = offs.data();
  d.wpack = wpack.data();
  d.bias = bias;
  d.lanes = lanes.data();
  for_each_task(p, g, MBn, QT, x, true, [&](int64_t n, int64_t b, int64_t t0, int64_t t1, const float* xi) {
    conv_direct_tiles_avx2(d, b, b + 1, t0, t1, xi, y + n * M * d.P);
  });
}

}  // namespace conv_detail
}  // namespace lepton
