// Reductions over any set of axes of a strided float32 tensor (sum ... logSum), on the GPU.
#pragma once
#include <cstddef>

#include "common.h"

namespace lepton {

// Same codes as kernels/cpu/reduce.h (src/backends/cpu/kernels/reduce.ts REDUCE_CODE).
enum CudaReduceOp : int {
  kCudaSum = 0, kCudaMean = 1, kCudaMax = 2, kCudaMin = 3, kCudaProd = 4,
  kCudaSumSquare = 5, kCudaL1 = 6, kCudaL2 = 7, kCudaLogSumExp = 8, kCudaLogSum = 9,
};

struct CudaReduceArgs {
  int op = kCudaSum;
  CudaStrided x;       // the input view (offset already applied to `data`)
  uint32_t mask = 0;   // bit d set: axis d is reduced
  const float* data = nullptr;
  float* y = nullptr;  // row-major over the kept axes
};

// Scratch the reduction needs for its grid-level second pass (0 when one pass suffices).
size_t cuda_reduce_workspace_bytes(const CudaReduceArgs& args);
// `workspace` holds at least cuda_reduce_workspace_bytes(args) bytes of device memory.
cudaError_t cuda_reduce_f32(const CudaReduceArgs& args, void* workspace, cudaStream_t stream);

}  // namespace lepton
