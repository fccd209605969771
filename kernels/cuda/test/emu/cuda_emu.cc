// The CUDA runtime calls the kernels and the checker make, on host memory (see cuda_emu.h).
#include "cuda_emu.h"

#include <cstdlib>
#include <map>
#include <mutex>

// LEPTON_CUDA_EMU_MEMORY=<bytes> caps device memory, to exercise out-of-memory handling.
static std::mutex emu_mutex;
static std::map<void*, size_t> emu_blocks;
static size_t emu_used = 0;
static size_t emu_cap() {
  const char* v = std::getenv("LEPTON_CUDA_EMU_MEMORY");
  return v ? std::strtoull(v, nullptr, 10) : (size_t(8) << 30);
}

extern "C" {

cudaError_t cudaGetLastError(void) { return cudaSuccess; }
cudaError_t cudaPeekAtLastError(void) { return cudaSuccess; }
cudaError_t cudaGetDevice(int* d) { *d = 0; return cudaSuccess; }
cudaError_t cudaGetDeviceCount(int* n) { *n = 1; return cudaSuccess; }
cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr, int) { *v = 4; return cudaSuccess; }
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
  std::memset(p, 0, sizeof(*p));
  std::strcpy(p->name, "cuda_emu (CPU emulation)");
  p->major = 8;
  return cudaSuccess;
}
cudaError_t cudaMalloc(void** p, size_t n) {
  std::lock_guard<std::mutex> lock(emu_mutex);
  const size_t size = (n + 255) / 256 * 256;
  *p = emu_used + size > emu_cap() ? nullptr : std::aligned_alloc(256, size);
  if (!*p) return cudaErrorMemoryAllocation;
  emu_blocks[*p] = size;
  emu_used += size;
  return cudaSuccess;
}
cudaError_t cudaFree(void* p) {
  std::lock_guard<std::mutex> lock(emu_mutex);
  auto it = emu_blocks.find(p);
  if (it != emu_blocks.end()) {
    emu_used -= it->second;
    emu_blocks.erase(it);
  }
  std::free(p);
  return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total) {
  std::lock_guard<std::mutex> lock(emu_mutex);
  *total = emu_cap();
  *free_bytes = *total - emu_used;
  return cudaSuccess;
}
cudaError_t cudaHostAlloc(void** p, size_t n, unsigned int) {
  *p = std::malloc(n);
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaFreeHost(void* p) { std::free(p); return cudaSuccess; }
cudaError_t cudaDriverGetVersion(int* v) { *v = CUDART_VERSION; return cudaSuccess; }
cudaError_t cudaRuntimeGetVersion(int* v) { *v = CUDART_VERSION; return cudaSuccess; }
// Streams and events: kernels and copies run synchronously at launch, so everything is complete.
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned int) { *s = nullptr; return cudaSuccess; }
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned int) { *e = nullptr; return cudaSuccess; }
cudaError_t cudaEventQuery(cudaEvent_t) { return cudaSuccess; }
cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) { std::memcpy(d, s, n); return cudaSuccess; }
cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t n, cudaMemcpyKind, cudaStream_t) { std::memcpy(d, s, n); return cudaSuccess; }
cudaError_t cudaMemset(void* d, int v, size_t n) { std::memset(d, v, n); return cudaSuccess; }
cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }
cudaError_t cudaSetDevice(int) { return cudaSuccess; }
// Events time nothing: the emulated checker runs with --no-bench.
cudaError_t cudaEventCreate(cudaEvent_t* e) { *e = nullptr; return cudaSuccess; }
cudaError_t cudaEventRecord(cudaEvent_t, cudaStream_t) { return cudaSuccess; }
cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t, cudaEvent_t) { *ms = 0; return cudaSuccess; }
cudaError_t cudaEventDestroy(cudaEvent_t) { return cudaSuccess; }
const char* cudaGetErrorName(cudaError_t e) { return e == cudaSuccess ? "cudaSuccess" : "cudaError"; }
const char* cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "emulated error"; }

}  // extern "C"
