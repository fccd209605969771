// Strided copy: a thread per element, index maths for both sides; two row-major views become one
// cudaMemcpyAsync.
#include "common.cuh"
#include "copy.h"

namespace lepton {
namespace {

struct CopyPlan {
  CudaStrided src;
  int64_t dst_strides[kCudaMaxRank];
};

template <typename T>
__global__ void copy_strided(__grid_constant__ const CopyPlan p, const T* src, T* dst, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t so = 0, d_o = 0;
    for (int64_t d = p.src.rank - 1, r = i; d >= 0; --d) {
      const int64_t k = r % p.src.shape[d];
      r /= p.src.shape[d];
      so += k * p.src.strides[d];
      d_o += k * p.dst_strides[d];
    }
    dst[d_o] = src[so];
  }
}

bool row_major(const CudaStrided& s, const int64_t* strides) {
  int64_t expect = 1;
  for (int d = s.rank - 1; d >= 0; --d) {
    if (s.shape[d] != 1 && strides[d] != expect) return false;
    expect *= s.shape[d];
  }
  return true;
}

}  // namespace

cudaError_t cuda_copy_strided(const CudaStrided& src, const int64_t* dst_strides, const void* src_ptr, void* dst_ptr,
                              int element_size, cudaStream_t stream) {
  if (src.rank < 0 || src.rank > kCudaMaxRank || !src_ptr || !dst_ptr || !dst_strides) return cudaErrorInvalidValue;
  const int64_t n = cuda_strided_size(src);
  if (n == 0) return cudaSuccess;
  if (row_major(src, src.strides) && row_major(src, dst_strides)) {
    return cudaMemcpyAsync(dst_ptr, src_ptr, static_cast<size_t>(n) * element_size, cudaMemcpyDeviceToDevice, stream);
  }
  CopyPlan p{};
  p.src = src;
  for (int d = 0; d < src.rank; ++d) p.dst_strides[d] = dst_strides[d];
  const unsigned grid = grid_for(n, 256);
  switch (element_size) {
    case 1: copy_strided<uint8_t><<<grid, 256, 0, stream>>>(p, static_cast<const uint8_t*>(src_ptr), static_cast<uint8_t*>(dst_ptr), n); break;
    case 2: copy_strided<uint16_t><<<grid, 256, 0, stream>>>(p, static_cast<const uint16_t*>(src_ptr), static_cast<uint16_t*>(dst_ptr), n); break;
    case 4: copy_strided<uint32_t><<<grid, 256, 0, stream>>>(p, static_cast<const uint32_t*>(src_ptr), static_cast<uint32_t*>(dst_ptr), n); break;
    case 8: copy_strided<uint64_t><<<grid, 256, 0, stream>>>(p, static_cast<const uint64_t*>(src_ptr), static_cast<uint64_t*>(dst_ptr), n); break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace lepton
