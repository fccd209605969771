// softmax / logSoftmax along one axis of a contiguous float32 tensor seen as [outer, len, inner].
#pragma once
#include "common.h"

namespace lepton {

cudaError_t cuda_softmax_f32(const float* x, float* y, int64_t outer, int64_t len, int64_t inner, bool log,
                             cudaStream_t stream);

}  // namespace lepton
