// 2-D convolution, ONNX Conv semantics, NCHW float32.
#pragma once
#include <cstdint>

#include "gemm.h"

namespace lepton {

// Fully resolved geometry: pads are already computed from auto_pad by the caller.
struct Conv2dParams {
  int64_t N, C, H, W;      // input
  int64_t M, OH, OW;       // output channels and spatial size
  int64_t KH, KW;          // kernel
  int64_t stride_h, stride_w;
  int64_t pad_top, pad_left;  // bottom/right pads only shrink OH/OW, already reflected in them
  int64_t dilation_h, dilation_w;
  int64_t groups;          // C % groups == 0, M % groups == 0
  Activation activation = Activation::none;
  // Fused 2x2 / stride-2 max pool (floor) after the activation: y is [N][M][OH/2][OW/2].
  bool max_pool_2x2 = false;
};

// y[N,M,OH,OW] = conv(x[N,C,H,W], w[M,C/groups,KH,KW]) + bias[M] (bias may be null).
// Picks a 1x1 path (plain GEMM), a depthwise path, or a general implicit-GEMM/im2col path whose
// workspace stays bounded (column buffer built in slices), threaded on the shared pool.
// With max_pool_2x2 the pool is applied to the activated conv: in the Winograd output transform
// (its 2x2 tiles are the pool windows), in the registers of the AVX-512 direct tiles, else per
// block of images through an L2-sized buffer.
void conv2d_f32(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y);

}  // namespace lepton
