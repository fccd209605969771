// Elementwise, softmax, batchnorm and layout kernels, float32.
#pragma once
#include <cstdint>

namespace lepton {

enum class BinaryOp : int32_t { add = 0, sub = 1, mul = 2, div = 3, max = 4, min = 5, pow = 6 };
enum class UnaryOp : int32_t {
  relu = 0, sigmoid = 1, tanh = 2, gelu = 3, gelu_tanh = 4, exp = 5, log = 6, abs = 7, neg = 8,
  sqrt = 9, erf = 10, reciprocal = 11
};

// y (contiguous, shape out_shape) = a op b, with a and b addressed by element strides
// (0 on broadcast axes). ndim <= 16.
void binary_f32(BinaryOp op, int ndim, const int64_t* out_shape, const float* a, const int64_t* a_strides,
                const float* b, const int64_t* b_strides, float* y);

// y[i] = op(x[i]) over n contiguous elements (y may alias x).
void unary_f32(UnaryOp op, int64_t n, const float* x, float* y);

// y[i] = min(max(x[i], lo), hi).
void clip_f32(int64_t n, const float* x, float lo, float hi, float* y);

// Gathers a strided view (any ndim <= 16) into contiguous y: transpose, slicing, concat parts.
// Works for any 4-byte element (float, int32); an 8-byte variant serves int64/float64.
void copy_strided_4(int ndim, const int64_t* shape, const int64_t* strides, const void* x, void* y);
void copy_strided_8(int ndim, const int64_t* shape, const int64_t* strides, const void* x, void* y);

// Softmax (or log-softmax) of x viewed as [outer, axis_len, inner] along the middle axis.
void softmax_f32(int64_t outer, int64_t axis_len, int64_t inner, const float* x, float* y, bool log);

// Inference batch norm: y = (x - mean[c]) / sqrt(var[c] + eps) * scale[c] + bias[c], x as [N, C, spatial].
void batchnorm_f32(int64_t N, int64_t C, int64_t spatial, const float* x, const float* scale,
                   const float* bias, const float* mean, const float* var, float eps, float* y);

}  // namespace lepton
