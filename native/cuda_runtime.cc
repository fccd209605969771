// See cuda_runtime.h. Nothing here exits or aborts: every failure becomes a CudaFailure or an
// error passed to a completion callback.
#ifdef LEPTON_WITH_CUDA
#include "cuda_runtime.h"

#include <algorithm>
#include <cstring>
#include <memory>

namespace lepton {

const char* cuda_error_code(cudaError_t e) {
  switch (e) {
    case cudaErrorMemoryAllocation:
      return "OUT_OF_MEMORY";
    case cudaErrorNoDevice: case cudaErrorInsufficientDriver: case cudaErrorCallRequiresNewerDriver:
    case cudaErrorInitializationError: case cudaErrorDevicesUnavailable: case cudaErrorInvalidDevice:
    case cudaErrorNoKernelImageForDevice: case cudaErrorUnsupportedPtxVersion: case cudaErrorSystemDriverMismatch:
    case cudaErrorCompatNotSupportedOnDevice:
      return "DEVICE_UNAVAILABLE";
    case cudaErrorInvalidValue: case cudaErrorInvalidConfiguration: case cudaErrorLaunchOutOfResources:
      return "KERNEL_ERROR";
    default:
      return cuda_error_is_sticky(e) ? "DEVICE_LOST" : "DEVICE_ERROR";
  }
}

bool cuda_error_is_sticky(cudaError_t e) {
  switch (e) {
    case cudaErrorIllegalAddress: case cudaErrorLaunchTimeout: case cudaErrorAssert: case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction: case cudaErrorMisalignedAddress: case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc: case cudaErrorLaunchFailure: case cudaErrorECCUncorrectable:
    case cudaErrorContextIsDestroyed: case cudaErrorDeviceUninitialized:
      return true;
    default:
      return false;
  }
}

static std::string cuda_text(cudaError_t e) { return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e); }

void cuda_check(cudaError_t e, const std::string& what) {
  if (e == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  throw CudaFailure(what + ": " + cuda_text(e), cuda_error_code(e));
}

// ---- caching allocator ----------------------------------------------------------------------

size_t CudaCachingAllocator::round_size(size_t bytes) {
  if (bytes <= (size_t(1) << 20)) return std::max<size_t>(512, (bytes + 511) / 512 * 512);
  if (bytes >= (size_t(1) << 30)) return (bytes + (size_t(2) << 20) - 1) / (size_t(2) << 20) * (size_t(2) << 20);
  size_t octave = size_t(1) << 20;
  while (octave * 2 <= bytes) octave *= 2;
  const size_t step = octave / 8;  // at most 12.5% rounding waste
  return (bytes + step - 1) / step * step;
}

void CudaCachingAllocator::reclaim(bool wait) {
  while (!pending_.empty()) {
    Pending& p = pending_.front();
    const cudaError_t e = wait ? cudaEventSynchronize(p.event) : cudaEventQuery(p.event);
    if (e == cudaErrorNotReady) break;  // later releases were recorded later: stop at the first busy one
    cudaGetLastError();
    free_[p.size].push_back(p.ptr);
    events_.push_back(p.event);
    pending_.pop_front();
  }
}

void CudaCachingAllocator::free_cached() {
  for (auto& entry : free_) {
    for (void* ptr : entry.second) {
      cudaFree(ptr);
      stats_.cached_bytes -= static_cast<int64_t>(entry.first);
      stats_.reserved_bytes -= static_cast<int64_t>(entry.first);
    }
  }
  free_.clear();
  cudaGetLastError();
}

void* CudaCachingAllocator::allocate(size_t bytes) {
  const size_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  cuda_check(cudaSetDevice(device_), "cudaSetDevice");
  reclaim(false);
  auto it = free_.find(size);
  void* ptr = nullptr;
  if (it != free_.end() && !it->second.empty()) {
    ptr = it->second.back();
    it->second.pop_back();
    stats_.cache_hits++;
    stats_.cached_bytes -= static_cast<int64_t>(size);
  } else {
    cudaError_t e = cudaMalloc(&ptr, size);
    if (e == cudaErrorMemoryAllocation) {
      // Give the cache back to the driver (waiting for in-flight releases) and try once more.
      cudaGetLastError();
      stats_.oom_retries++;
      reclaim(true);
      free_cached();
      e = cudaMalloc(&ptr, size);
    }
    if (e != cudaSuccess) {
      cudaGetLastError();
      throw CudaFailure("cuda:" + std::to_string(device_) + ": allocating " + std::to_string(bytes) + " bytes failed (" +
                            cuda_text(e) + "; " + std::to_string(stats_.allocated_bytes) + " bytes in use)",
                        cuda_error_code(e));
    }
    stats_.device_mallocs++;
    stats_.reserved_bytes += static_cast<int64_t>(size);
  }
  stats_.allocated_bytes += static_cast<int64_t>(size);
  stats_.peak_allocated_bytes = std::max(stats_.peak_allocated_bytes, stats_.allocated_bytes);
  return ptr;
}

void CudaCachingAllocator::release(void* ptr, size_t bytes, cudaStream_t stream) {
  if (!ptr) return;
  const size_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.allocated_bytes -= static_cast<int64_t>(size);
  stats_.cached_bytes += static_cast<int64_t>(size);
  cudaEvent_t event = nullptr;
  if (!events_.empty()) {
    event = events_.back();
    events_.pop_back();
  } else if (cudaEventCreateWithFlags(&event, cudaEventDisableTiming) != cudaSuccess) {
    event = nullptr;
  }
  if (event && cudaEventRecord(event, stream) == cudaSuccess) {
    pending_.push_back({ptr, size, event});
    return;
  }
  // Could not mark the point: wait for the stream instead (a poisoned context also ends here).
  cudaGetLastError();
  if (event) events_.push_back(event);
  cudaStreamSynchronize(stream);
  cudaGetLastError();
  free_[size].push_back(ptr);
}

void CudaCachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  cudaSetDevice(device_);
  reclaim(true);
  free_cached();
}

CudaAllocatorStats CudaCachingAllocator::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

// ---- worker threads -------------------------------------------------------------------------

CudaWorker::CudaWorker(int device) : device_(device) {
  std::thread([this] { loop(); }).detach();  // lives as long as the process, like the device
}

void CudaWorker::post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void CudaWorker::loop() {
  cudaSetDevice(device_);
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return !jobs_.empty(); });
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();  // jobs catch their own exceptions
  }
}

// ---- devices --------------------------------------------------------------------------------

CudaDevice& cuda_device(int index) {
  static std::mutex mutex;
  static std::unordered_map<int, CudaDevice*> devices;  // never freed: threads may outlive statics
  std::lock_guard<std::mutex> lock(mutex);
  int count = 0;
  cuda_check(cudaGetDeviceCount(&count), "cuda: listing devices");
  if (index < 0 || index >= count) {
    throw CudaFailure("cuda:" + std::to_string(index) + " does not exist (" + std::to_string(count) + " devices)",
                      "DEVICE_UNAVAILABLE");
  }
  cuda_check(cudaSetDevice(index), "cuda:" + std::to_string(index));
  auto it = devices.find(index);
  if (it != devices.end()) return *it->second;
  auto dev = std::make_unique<CudaDevice>();
  dev->index = index;
  cuda_check(cudaStreamCreateWithFlags(&dev->compute, cudaStreamNonBlocking), "cudaStreamCreate");
  cuda_check(cudaStreamCreateWithFlags(&dev->copy, cudaStreamNonBlocking), "cudaStreamCreate");
  dev->allocator = new CudaCachingAllocator(index);
  dev->copier = new CudaWorker(index);
  dev->waiter = new CudaWorker(index);
  CudaDevice* raw = dev.release();
  devices[index] = raw;
  return *raw;
}

void cuda_check_alive(CudaDevice& dev) {
  std::lock_guard<std::mutex> lock(dev.mutex);
  if (!dev.lost.empty()) throw CudaFailure(dev.lost, "DEVICE_LOST");
}

void cuda_mark_lost(CudaDevice& dev, cudaError_t e, const std::string& what) {
  if (!cuda_error_is_sticky(e)) return;
  std::lock_guard<std::mutex> lock(dev.mutex);
  if (dev.lost.empty()) dev.lost = "cuda:" + std::to_string(dev.index) + " is lost after " + what + " failed (" + cuda_text(e) + ")";
}

// ---- buffers --------------------------------------------------------------------------------

namespace {
std::mutex buffers_mutex;
std::unordered_map<int64_t, CudaBuffer> buffers;
int64_t next_buffer_id = 1;
}  // namespace

double cuda_buffer_create(int device, size_t bytes) {
  CudaDevice& dev = cuda_device(device);
  cuda_check_alive(dev);
  CudaBuffer b{device, dev.allocator->allocate(std::max<size_t>(bytes, 1)), bytes};
  std::lock_guard<std::mutex> lock(buffers_mutex);
  const int64_t id = next_buffer_id++;
  buffers[id] = b;
  return static_cast<double>(id);
}

void cuda_buffer_release(double id) {
  CudaBuffer b;
  {
    std::lock_guard<std::mutex> lock(buffers_mutex);
    auto it = buffers.find(static_cast<int64_t>(id));
    if (it == buffers.end()) throw std::out_of_range("unknown or already freed cuda buffer id " + std::to_string(static_cast<int64_t>(id)));
    b = it->second;
    buffers.erase(it);
  }
  CudaDevice& dev = cuda_device(b.device);
  dev.allocator->release(b.ptr, std::max<size_t>(b.bytes, 1), dev.compute);
}

CudaBuffer cuda_buffer_get(double id) {
  std::lock_guard<std::mutex> lock(buffers_mutex);
  auto it = buffers.find(static_cast<int64_t>(id));
  if (it == buffers.end()) throw std::out_of_range("unknown or already freed cuda buffer id " + std::to_string(static_cast<int64_t>(id)));
  return it->second;
}

// ---- transfers ------------------------------------------------------------------------------

namespace {

// Pinned staging, allocated on the copier thread at first use; null when pinning fails (then
// copies go straight from pageable memory, slower but correct).
void* staging(CudaDevice& dev, int i) {
  if (!dev.staging[i] && cudaHostAlloc(&dev.staging[i], kCudaStagingBytes, cudaHostAllocDefault) != cudaSuccess) {
    cudaGetLastError();
    dev.staging[i] = nullptr;
  }
  return dev.staging[i];
}

// Runs a transfer on the copier thread: chunks alternate between the two staging buffers so
// the memcpy into (or out of) one overlaps the DMA of the other.
void transfer(CudaDevice& dev, bool to_device, void* dst, const void* src, size_t bytes, CudaDone done) {
  dev.copier->post([&dev, to_device, dst, src, bytes, done = std::move(done)] {
    std::string error, code;
    try {
      cuda_check_alive(dev);
      void* stage[2] = {staging(dev, 0), staging(dev, 1)};
      const cudaMemcpyKind kind = to_device ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost;
      if (!stage[0] || !stage[1]) {
        cuda_check(cudaMemcpyAsync(dst, src, bytes, kind, dev.copy), "cudaMemcpyAsync");
        cuda_check(cudaStreamSynchronize(dev.copy), "transfer");
      } else {
        cudaEvent_t ev[2];
        cuda_check(cudaEventCreateWithFlags(&ev[0], cudaEventDisableTiming), "cudaEventCreate");
        if (cudaEventCreateWithFlags(&ev[1], cudaEventDisableTiming) != cudaSuccess) {
          cudaEventDestroy(ev[0]);
          cuda_check(cudaGetLastError(), "cudaEventCreate");
        }
        std::unique_ptr<cudaEvent_t[], void (*)(cudaEvent_t*)> guard(ev, [](cudaEvent_t* e) {
          cudaEventDestroy(e[0]);
          cudaEventDestroy(e[1]);
        });
        const size_t chunks = (bytes + kCudaStagingBytes - 1) / kCudaStagingBytes;
        auto chunk_len = [&](size_t c) { return std::min(kCudaStagingBytes, bytes - c * kCudaStagingBytes); };
        auto* d = static_cast<char*>(dst);
        auto* s = static_cast<const char*>(src);
        if (to_device) {
          for (size_t c = 0; c < chunks; ++c) {
            const int b = static_cast<int>(c & 1);
            if (c >= 2) cuda_check(cudaEventSynchronize(ev[b]), "transfer");  // its previous DMA is done
            std::memcpy(stage[b], s + c * kCudaStagingBytes, chunk_len(c));
            cuda_check(cudaMemcpyAsync(d + c * kCudaStagingBytes, stage[b], chunk_len(c), kind, dev.copy), "cudaMemcpyAsync");
            cuda_check(cudaEventRecord(ev[b], dev.copy), "cudaEventRecord");
          }
          cuda_check(cudaStreamSynchronize(dev.copy), "transfer");
        } else {
          auto issue = [&](size_t c) {
            cuda_check(cudaMemcpyAsync(stage[c & 1], s + c * kCudaStagingBytes, chunk_len(c), kind, dev.copy), "cudaMemcpyAsync");
            cuda_check(cudaEventRecord(ev[c & 1], dev.copy), "cudaEventRecord");
          };
          if (chunks > 0) issue(0);
          for (size_t c = 0; c < chunks; ++c) {
            if (c + 1 < chunks) issue(c + 1);  // the next DMA runs while this chunk is copied out
            cuda_check(cudaEventSynchronize(ev[c & 1]), "transfer");
            std::memcpy(d + c * kCudaStagingBytes, stage[c & 1], chunk_len(c));
          }
        }
      }
    } catch (const CudaFailure& f) {
      error = f.what();
      code = f.code;
    } catch (const std::exception& e) {
      error = e.what();
      code = "DEVICE_ERROR";
    }
    done(error, code);
  });
}

}  // namespace

void cuda_copy_to_device(CudaDevice& dev, void* dst, const void* src, size_t bytes, CudaDone done) {
  transfer(dev, true, dst, src, bytes, std::move(done));
}

void cuda_copy_to_host(CudaDevice& dev, void* dst, const void* src, size_t bytes, CudaDone done) {
  transfer(dev, false, dst, src, bytes, std::move(done));
}

void cuda_when_idle(CudaDevice& dev, CudaDone done) {
  cudaEvent_t event = nullptr;
  // Blocking sync: the waiter thread sleeps instead of spinning while kernels run.
  cuda_check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming | cudaEventBlockingSync), "cudaEventCreate");
  const cudaError_t e = cudaEventRecord(event, dev.compute);
  if (e != cudaSuccess) {
    cudaEventDestroy(event);
    cuda_check(e, "cudaEventRecord");
  }
  dev.waiter->post([&dev, event, done = std::move(done)] {
    const cudaError_t e = cudaEventSynchronize(event);
    cudaEventDestroy(event);
    if (e == cudaSuccess) return done("", "");
    cudaGetLastError();
    cuda_mark_lost(dev, e, "a kernel");
    done("cuda:" + std::to_string(dev.index) + ": " + cuda_text(e), cuda_error_code(e));
  });
}

}  // namespace lepton
#endif  // LEPTON_WITH_CUDA
