// Elementwise float32 kernels: broadcasting binary ops, unary ops, clip.
#pragma once
#include "common.h"

namespace lepton {

// src/ops/binary.ts BINARY_CODE.
enum CudaBinaryOp : int { kCudaAdd = 0, kCudaSub = 1, kCudaMul = 2, kCudaDiv = 3, kCudaMaximum = 4, kCudaMinimum = 5, kCudaPow = 6 };
// src/ops/unary.ts UNARY_CODE (4 is gelu with the tanh approximation).
enum CudaUnaryOp : int {
  kCudaRelu = 0, kCudaSigmoid = 1, kCudaTanh = 2, kCudaGelu = 3, kCudaGeluTanh = 4, kCudaExp = 5, kCudaLog = 6,
  kCudaAbs = 7, kCudaNeg = 8, kCudaSqrt = 9, kCudaErf = 10, kCudaReciprocal = 11,
};

// y (contiguous, shape out.shape) = a op b; a_strides / b_strides are 0 on broadcast axes.
struct CudaBinaryArgs {
  int op = kCudaAdd;
  CudaStrided out;  // shape; strides unused
  int64_t a_strides[kCudaMaxRank] = {}, b_strides[kCudaMaxRank] = {};
  const float* a = nullptr;
  const float* b = nullptr;
  float* y = nullptr;
};

cudaError_t cuda_binary_f32(const CudaBinaryArgs& args, cudaStream_t stream);
// y[i] = f(x[i]) for i < n (contiguous; x may equal y).
cudaError_t cuda_unary_f32(int op, const float* x, float* y, int64_t n, cudaStream_t stream);
// y[i] = min(max(x[i], lo), hi), NaN passing through.
cudaError_t cuda_clip_f32(const float* x, float* y, int64_t n, float lo, float hi, cudaStream_t stream);

}  // namespace lepton
