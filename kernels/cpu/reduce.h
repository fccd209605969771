// Reductions over any set of axes, and argmax/argmin, float32.
#pragma once
#include <cstdint>

namespace lepton {

enum class ReduceOp : int32_t {
  sum = 0, mean = 1, max = 2, min = 3, prod = 4, sum_square = 5, l1 = 6, l2 = 7,
  log_sum_exp = 8, log_sum = 9
};

// x has ndim dims (ndim <= 16) of `shape`, addressed by element `strides` (any view). Every axis
// whose bit is set in reduce_mask is reduced; y is contiguous over the kept axes in order.
// Empty reductions give the identity (sum 0, prod 1, max -inf, min +inf, mean NaN, log_sum -inf).
// Sums are blocked/pairwise so 2^24+ elements stay accurate.
void reduce_f32(ReduceOp op, int ndim, const int64_t* shape, const int64_t* strides, const float* x,
                uint64_t reduce_mask, float* y);

// Index of the max (or min) along `axis`; first index on ties unless select_last. NaN counts as
// the extreme (like numpy). y is contiguous over the other axes.
void arg_reduce_f32(bool is_max, bool select_last, int ndim, const int64_t* shape,
                    const int64_t* strides, const float* x, int axis, int64_t* y);

}  // namespace lepton
