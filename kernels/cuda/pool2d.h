// maxPool2d / avgPool2d (ONNX, NCHW, float32, contiguous input) on the GPU.
#pragma once
#include "common.h"

namespace lepton {

struct CudaPool2dArgs {
  int64_t N = 0, C = 0, H = 0, W = 0, OH = 0, OW = 0;
  int64_t KH = 1, KW = 1, stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0, dilation_h = 1, dilation_w = 1;
  bool is_max = true;
  bool count_include_pad = false;  // avg only
  const float* x = nullptr;
  float* y = nullptr;
  int64_t* indices = nullptr;      // max only, optional: flat NCHW index (row-major), -1 for an empty window
};

cudaError_t cuda_pool2d_f32(const CudaPool2dArgs& args, cudaStream_t stream);

}  // namespace lepton
