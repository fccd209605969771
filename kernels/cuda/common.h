// Plain types shared by the CUDA launchers and their callers (the N-API glue, the test driver).
// Host-only code includes this, so it holds no device code.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace lepton {

// Strided kernels walk at most this many dims (callers merge or refuse more).
constexpr int kCudaMaxRank = 8;

// A strided index space: element i (row-major over shape) lives at offset + sum(idx[d] * strides[d]).
struct CudaStrided {
  int rank = 0;
  int64_t shape[kCudaMaxRank] = {};
  int64_t strides[kCudaMaxRank] = {};
};

// Element types the tensor-core paths read; float32 everywhere else.
enum CudaDType : int { kCudaF32 = 0, kCudaF16 = 1, kCudaBF16 = 2 };

// Fused epilogue activation (matches the CPU ACTIVATION_CODE).
enum CudaActivation : int { kCudaActNone = 0, kCudaActRelu = 1 };

#ifdef __CUDACC__
#define LEPTON_HD __host__ __device__
#else
#define LEPTON_HD
#endif

LEPTON_HD inline int64_t cuda_strided_size(const CudaStrided& s) {
  int64_t n = 1;
  for (int d = 0; d < s.rank; ++d) n *= s.shape[d];
  return n;
}

}  // namespace lepton
