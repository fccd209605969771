// conv2d (ONNX Conv, NCHW, float32) on the GPU: implicit GEMM on the shared tile, or a direct
// depthwise kernel when each group has one input channel. Bias and relu fuse into the store.
#pragma once
#include "common.h"

namespace lepton {

struct CudaConv2dArgs {
  int64_t N = 0, C = 0, H = 0, W = 0;  // x [N, C, H, W], contiguous
  int64_t M = 0, OH = 0, OW = 0;       // y [N, M, OH, OW], contiguous
  int64_t KH = 0, KW = 0;              // w [M, C / groups, KH, KW], contiguous
  int64_t stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0, dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
  const float* x = nullptr;
  const float* w = nullptr;
  const float* bias = nullptr;  // [M] or null
  float* y = nullptr;
  int activation = kCudaActNone;
};

cudaError_t cuda_conv2d_f32(const CudaConv2dArgs& args, cudaStream_t stream);

}  // namespace lepton
