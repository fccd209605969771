// GEMM on the GPU: C[b] = act(alpha * A[b] x B[b] + beta * C[b] + row_bias + col_bias), batched.
#pragma once
#include "common.h"

namespace lepton {

constexpr int kCudaGemmMaxBatchDims = 4;

// 'highest': fp32 FMA (SIMT) for float32. 'tf32': tensor cores with TF32 inputs (10-bit mantissa,
// fp32 accumulate). float16 / bfloat16 inputs always use tensor cores with fp32 accumulation.
enum CudaPrecision : int { kCudaHighest = 0, kCudaTf32 = 1 };

struct CudaGemmArgs {
  int64_t M = 0, N = 0, K = 0;
  // Broadcast batch: C batch b (row-major over `batch`) is at C + b * M * ldc; A's and B's batch
  // offsets are sum(idx[d] * *_batch_strides[d]) (0 strides for broadcast dims).
  int batch_rank = 0;
  int64_t batch[kCudaGemmMaxBatchDims] = {};
  int64_t a_batch_strides[kCudaGemmMaxBatchDims] = {}, b_batch_strides[kCudaGemmMaxBatchDims] = {};
  const void* A = nullptr;  // element (m, k) at A[m * a_rs + k * a_cs]
  int64_t a_rs = 0, a_cs = 0;
  const void* B = nullptr;  // element (k, n) at B[k * b_rs + n * b_cs]
  int64_t b_rs = 0, b_cs = 0;
  void* C = nullptr;        // element (m, n) at C[m * ldc + n]; read only when beta != 0
  int64_t ldc = 0;
  float alpha = 1.f, beta = 0.f;
  const float* row_bias = nullptr;  // [M] or null (float32 only)
  const float* col_bias = nullptr;  // [N] or null (float32 only)
  int activation = kCudaActNone;
  int dtype = kCudaF32;  // A, B and C share it
  int precision = kCudaHighest;
};

// Enqueues the GEMM on `stream`; cudaErrorInvalidValue for arguments the kernels do not take.
cudaError_t cuda_gemm(const CudaGemmArgs& args, cudaStream_t stream);

}  // namespace lepton
