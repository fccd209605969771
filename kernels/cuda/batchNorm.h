// batchNorm (ONNX BatchNormalization, inference) on a contiguous float32 [N, C, spatial] tensor.
#pragma once
#include "common.h"

namespace lepton {

cudaError_t cuda_batchnorm_f32(const float* x, const float* scale, const float* bias, const float* mean,
                               const float* variance, float epsilon, float* y, int64_t N, int64_t C, int64_t spatial,
                               cudaStream_t stream);

}  // namespace lepton
