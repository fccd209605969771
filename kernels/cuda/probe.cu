// A one-thread kernel launched on each device at discovery: it proves that this binary carries
// code the device can run (SASS for its architecture, or PTX the driver can JIT) before the
// device is offered, so "no kernel image for this device" becomes a reason, not a failed op.
#include <cuda_runtime.h>

#include <cstdio>

#include "probe.h"

namespace lepton {

static __global__ void cuda_probe_kernel(int* out) { *out = 0x1ee7; }

int cuda_probe_device(int device, char* error, int error_len) {
  auto fail = [&](cudaError_t e) {
    snprintf(error, static_cast<size_t>(error_len), "%s: %s", cudaGetErrorName(e), cudaGetErrorString(e));
    cudaGetLastError();  // clear the sticky-free error state
    return static_cast<int>(e);
  };
  cudaError_t e = cudaSetDevice(device);
  if (e != cudaSuccess) return fail(e);
  int* out = nullptr;
  if ((e = cudaMalloc(&out, sizeof(int))) != cudaSuccess) return fail(e);
  cuda_probe_kernel<<<1, 1>>>(out);
  e = cudaGetLastError();
  int host = 0;
  if (e == cudaSuccess) e = cudaMemcpy(&host, out, sizeof(int), cudaMemcpyDeviceToHost);
  cudaFree(out);
  if (e != cudaSuccess) return fail(e);
  if (host != 0x1ee7) {
    snprintf(error, static_cast<size_t>(error_len), "probe kernel wrote %d", host);
    return -1;
  }
  return 0;
}

}  // namespace lepton
