// CUDA host runtime: per-device streams, a caching allocator, pinned staging for transfers,
// completion waiting, device-memory handles, and CUDA errors as coded exceptions.
// Compiled only with LEPTON_WITH_CUDA (CMake found nvcc); binding.gyp builds never include it.
#pragma once
#ifdef LEPTON_WITH_CUDA
#include <cuda_runtime.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace lepton {

// A CUDA failure with the LeptonError code JS should see (OUT_OF_MEMORY, DEVICE_LOST,
// DEVICE_UNAVAILABLE, KERNEL_ERROR, DEVICE_ERROR).
struct CudaFailure : std::runtime_error {
  std::string code;
  CudaFailure(const std::string& message, std::string c) : std::runtime_error(message), code(std::move(c)) {}
};

// The LeptonError code for a CUDA error: errors that corrupt the context are DEVICE_LOST.
const char* cuda_error_code(cudaError_t e);
bool cuda_error_is_sticky(cudaError_t e);
// Throws CudaFailure("<what>: <cudaErrorName>: <text>") unless e is cudaSuccess (clears the error).
void cuda_check(cudaError_t e, const std::string& what);

struct CudaAllocatorStats {
  int64_t allocated_bytes = 0;  // handed out, not yet released
  int64_t cached_bytes = 0;     // held for reuse (free lists and blocks waiting for the GPU)
  int64_t reserved_bytes = 0;   // obtained from cudaMalloc and not returned
  int64_t peak_allocated_bytes = 0;
  int64_t device_mallocs = 0, cache_hits = 0, oom_retries = 0;
};

// Size-class free lists over cudaMalloc. A released block is reused only after the work queued
// on the compute stream before its release has finished (an event marks that point), so
// stream-ordered kernels never see a block change hands under them. On cudaMalloc failure
// the cache is returned to the driver and the allocation retried once before OUT_OF_MEMORY.
class CudaCachingAllocator {
 public:
  explicit CudaCachingAllocator(int device) : device_(device) {}
  void* allocate(size_t bytes);
  void release(void* ptr, size_t bytes, cudaStream_t stream);
  void empty_cache();
  CudaAllocatorStats stats();
  // The size class a request is rounded up to (512 B steps, then 1/8 octaves, then 2 MiB).
  static size_t round_size(size_t bytes);

 private:
  struct Pending {
    void* ptr;
    size_t size;
    cudaEvent_t event;
  };
  void reclaim(bool wait);  // pending -> free lists for events that have completed (or all)
  void free_cached();       // returns every free block to the driver
  int device_;
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  std::deque<Pending> pending_;
  std::vector<cudaEvent_t> events_;
  CudaAllocatorStats stats_;
};

// A thread running queued jobs in order (with the device current), never destroyed.
class CudaWorker {
 public:
  explicit CudaWorker(int device);
  void post(std::function<void()> job);

 private:
  void loop();
  int device_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
};

struct CudaDevice {
  int index = 0;
  cudaStream_t compute = nullptr;  // kernels, in submission order
  cudaStream_t copy = nullptr;     // host <-> device transfers
  CudaCachingAllocator* allocator = nullptr;
  CudaWorker* copier = nullptr;    // runs transfers through the pinned staging buffers
  CudaWorker* waiter = nullptr;    // waits for compute-stream events, reports completions
  void* staging[2] = {nullptr, nullptr};  // pinned, owned by the copier thread
  std::mutex mutex;
  std::string lost;  // set once a sticky error poisoned the context: every later call fails
};

constexpr size_t kCudaStagingBytes = size_t(8) << 20;

// The device (created on first use: streams, allocator, threads); throws CudaFailure when it
// cannot be used. Makes it the calling thread's current device.
CudaDevice& cuda_device(int index);
// Throws DEVICE_LOST if an earlier error poisoned the device.
void cuda_check_alive(CudaDevice& dev);
// Records a sticky error on the device.
void cuda_mark_lost(CudaDevice& dev, cudaError_t e, const std::string& what);

// Device memory handles: integer ids JS holds and frees explicitly.
struct CudaBuffer {
  int device = 0;
  void* ptr = nullptr;
  size_t bytes = 0;
};
double cuda_buffer_create(int device, size_t bytes);
void cuda_buffer_release(double id);  // throws std::out_of_range for unknown ids
CudaBuffer cuda_buffer_get(double id);  // throws std::out_of_range for unknown ids

// Host <-> device copies through pinned staging on the device's copy thread; `done` runs on that
// thread with "" or an error message and code.
using CudaDone = std::function<void(const std::string& error, const std::string& code)>;
void cuda_copy_to_device(CudaDevice& dev, void* dst, const void* src, size_t bytes, CudaDone done);
void cuda_copy_to_host(CudaDevice& dev, void* dst, const void* src, size_t bytes, CudaDone done);
// Calls `done` (on the waiter thread) once everything queued on the compute stream so far has run.
void cuda_when_idle(CudaDevice& dev, CudaDone done);

}  // namespace lepton
#endif  // LEPTON_WITH_CUDA
