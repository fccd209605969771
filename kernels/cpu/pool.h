// 2-D max/average pooling (ONNX MaxPool/AveragePool), NCHW float32.
#pragma once
#include <cstdint>

namespace lepton {

// Fully resolved geometry: OH/OW already include ceil_mode; windows that start beyond the
// padded input are never produced by the caller.
struct Pool2dParams {
  int64_t N, C, H, W;
  int64_t OH, OW;
  int64_t KH, KW;
  int64_t stride_h, stride_w;
  int64_t pad_top, pad_left, pad_bottom, pad_right;
  int64_t dilation_h, dilation_w;
  bool count_include_pad;  // average only: divide by the window size clipped to the padded input
};

// indices (nullable): ONNX MaxPool's second output, flat index into each N*C*H*W (row-major, storage_order 0).
void max_pool2d_f32(const Pool2dParams& p, const float* x, float* y, int64_t* indices);
void avg_pool2d_f32(const Pool2dParams& p, const float* x, float* y);

// y[nc] = mean (or max) of x[nc, 0..spatial).
void global_avg_pool_f32(int64_t nc, int64_t spatial, const float* x, float* y);
void global_max_pool_f32(int64_t nc, int64_t spatial, const float* x, float* y);

}  // namespace lepton
