// Shared by conv2d_direct.cc (set-up, threads) and conv2d_direct_avx2.cc / conv2d_direct_avx512.cc
// (the register tiles).
#pragma once
#include <cstdint>

namespace lepton {
namespace conv_detail {

// Where the 8 flat positions of one vector go in an output plane (flat index q = oh*Wp + ow): at
// most two row segments when Wp >= 8 — lanes [0, len0) to base0, lanes [shift1, shift1 + len1)
// to base1 — else (scalar) per lane, idx[i] (-1: past a row's end or past Q).
struct DirectLanes {
  int32_t base0, len0, base1, len1, shift1;
  bool scalar;
  int32_t idx[8];
};

// One call's constants: tiles of mb output channels x nb vectors of 8 flat positions.
struct DirectTiles {
  int64_t K, M, P, Q, Wp, OW;
  int mb, nb, relu;
  const int32_t* offs;       // [K] flat offset of tap k in the padded image
  const float* wpack;        // [ceil(M/mb)][K][mb] weights, 0 past M
  const float* bias;         // [M] or null
  const DirectLanes* lanes;  // [tiles * nb]
};

// Channel blocks [mb0, mb1) and tiles [t0, t1) of one image: xp is the zero-padded image
// (readable 8*nb floats past the last tap), y its output planes [M][OH*OW].
void conv_direct_tiles_avx2(const DirectTiles& d, int64_t mb0, int64_t mb1, int64_t t0, int64_t t1, const float* xp,
                            float* y);

// AVX-512: one 16-lane vector of an output row, columns [ow, ow + popcount(mask)) of row oh:
// it reads the image at flat index oh*Wp + ow (+ each tap's offset) and writes output oh*OW + ow.
// With a fused 2x2/2 max pool a segment is a pair: these columns of rows 2i and 2i + 1 (in and
// in + row_step), pooled into pooled row i from out on (the lanes of out_mask).
struct DirectSegment {
  int32_t in, out;
  uint16_t mask;      // 0 for the padding segments that fill a plane's last tile
  uint16_t out_mask;  // pooled segments: the (up to 8) pooled outputs written
};

// One call's constants: tiles of mb output channels x nb segments, in a plane's row-major order
// (AVX-512; with a fused pool, AVX2 too, with 8-column segments).
struct DirectRows {
  int64_t K, M, P;              // P: floats per output plane (pooled with a fused pool)
  int64_t row_step;             // pooled segments: the flat offset from row 2i to row 2i + 1
  int mb, nb, relu;
  const int32_t* offs;          // [K] flat offset of tap k in the (padded) image
  const float* wpack;           // [ceil(M/mb)][K][mb] weights, 0 past M
  const float* bias;            // [M] or null
  const DirectSegment* segs;    // [tiles * nb]
};

// Channel block mb and tiles [t0, t1) of one image xp (no reads past its last tap: masked loads).
void conv_direct_rows_avx512(const DirectRows& d, int64_t mb, int64_t t0, int64_t t1, const float* xp, float* y);
// The same over pooled segment pairs (mb = 4 channels, nb = 3 pairs per tile): each pair's two rows
// are max-pooled 2x2 in registers before the bias and relu (both monotonic, so they commute with
// the max), and only the pooled plane is written.
void conv_direct_pooled_rows_avx512(const DirectRows& d, int64_t mb, int64_t t0, int64_t t1, const float* xp,
                                    float* y);
// AVX2 (conv2d_direct_avx2.cc): 8-column segment pairs, one per tile, mb = 4 channels; plain
// loads, so xp is a padded copy with slack past its last tap.
void conv_direct_pooled_rows_avx2(const DirectRows& d, int64_t mb, int64_t t0, int64_t t1, const float* xp,
                                  float* y);

}  // namespace conv_detail
}  // namespace lepton
