// argmax / argmin along one axis of a strided float32 tensor; int64 indices out.
#pragma once
#include "common.h"

namespace lepton {

struct CudaArgReduceArgs {
  CudaStrided x;  // the input view (offset already applied to `data`)
  int axis = 0;
  bool is_max = true;
  bool select_last = false;  // ties (and NaNs) resolve to the last index instead of the first
  const float* data = nullptr;
  int64_t* y = nullptr;      // row-major over the other axes
};

cudaError_t cuda_arg_reduce_f32(const CudaArgReduceArgs& args, cudaStream_t stream);

}  // namespace lepton
