// Strided copy between two views of the same shape (transpose, concat slots, gathers).
#pragma once
#include "common.h"

namespace lepton {

// dst[view dst_strides] = src[view src.strides] over src.shape, elements of `element_size` bytes
// (1, 2, 4 or 8). Pointers already include each view's offset.
cudaError_t cuda_copy_strided(const CudaStrided& src, const int64_t* dst_strides, const void* src_ptr, void* dst_ptr,
                              int element_size, cudaStream_t stream);

}  // namespace lepton
