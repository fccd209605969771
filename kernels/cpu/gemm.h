// Single-precision GEMM: packed panels, cache blocking, register-blocked FMA micro-kernels.
#pragma once
#include <cstdint>

namespace lepton {

enum class Activation : int32_t { none = 0, relu = 1 };

// Applied to each C element after alpha*A*B + beta*C: + row_bias[i] + col_bias[j], then activation.
struct GemmEpilogue {
  const float* row_bias = nullptr;  // length M, or null
  const float* col_bias = nullptr;  // length N, or null
  Activation activation = Activation::none;
};

// C[M,N] = alpha * A[M,K] * B[K,N] + beta * C, then the epilogue.
// A and B are addressed by element strides, so a row-major matrix, its transpose or a
// non-contiguous view all work (A[i,k] = A[i*a_rs + k*a_cs]). C is row-major with leading
// dimension ldc. beta == 0 means C is write-only (its old contents, NaN included, are ignored).
// Multi-threaded on the shared pool.
void gemm_f32(int64_t M, int64_t N, int64_t K, float alpha,
              const float* A, int64_t a_rs, int64_t a_cs,
              const float* B, int64_t b_rs, int64_t b_cs,
              float beta, float* C, int64_t ldc,
              const GemmEpilogue& epilogue = GemmEpilogue());

// `batch` independent products; the i-th uses A + a_offsets[i], B + b_offsets[i], C + c_offsets[i]
// (element offsets; broadcast batches repeat an offset). Threads split batches when the
// matrices are small and split each product when they are large.
void gemm_batched_f32(int64_t batch, const int64_t* a_offsets, const int64_t* b_offsets,
                      const int64_t* c_offsets, int64_t M, int64_t N, int64_t K, float alpha,
                      const float* A, int64_t a_rs, int64_t a_cs,
                      const float* B, int64_t b_rs, int64_t b_cs,
                      float beta, float* C, int64_t ldc);

}  // namespace lepton
