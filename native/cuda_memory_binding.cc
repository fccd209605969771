// Device memory from JS: cudaAlloc / cudaFree (integer handles), cudaWrite / cudaRead (Promises,
// through pinned staging), cudaSynchronize, cudaMemoryStats, cudaEmptyCache.
#ifdef LEPTON_WITH_CUDA
#include "cuda_async.h"

namespace lepton {
namespace {

struct HostBytes {
  void* data;
  size_t bytes;
};

HostBytes arg_host_bytes(const Napi::CallbackInfo& info, size_t i, const char* name) {
  LEPTON_THROW_IF(i >= info.Length() || !info[i].IsTypedArray(), std::string(name) + " must be a typed array");
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  Napi::ArrayBuffer buffer = ta.ArrayBuffer();
  LEPTON_THROW_IF(buffer.IsDetached(), std::string(name) + " has a detached buffer");
  return {static_cast<char*>(buffer.Data()) + ta.ByteOffset(), ta.ByteLength()};
}

// The device span [byteOffset, byteOffset + bytes) of buffer info[i], checked.
void* device_span(const Napi::CallbackInfo& info, size_t i, size_t bytes, int* device) {
  LEPTON_THROW_IF(i >= info.Length() || !info[i].IsNumber(), "buffer id must be a number");
  const CudaBuffer b = cuda_buffer_get(info[i].As<Napi::Number>().DoubleValue());
  const int64_t offset = arg_int(info, i + 1, "byteOffset");
  LEPTON_THROW_IF(static_cast<uint64_t>(offset) > b.bytes || bytes > b.bytes - static_cast<size_t>(offset),
                  "a transfer of " + std::to_string(bytes) + " bytes at byte " + std::to_string(offset) +
                      " exceeds the buffer's " + std::to_string(b.bytes) + " bytes");
  *device = b.device;
  return static_cast<char*>(b.ptr) + offset;
}

LEPTON_CUDA_BINDING(cuda_alloc, "cudaAlloc") {
  const int device = static_cast<int>(arg_int(info, 0, "device", 0, 1023));
  const int64_t bytes = arg_int(info, 1, "bytes");
  return Napi::Number::New(info.Env(), cuda_buffer_create(device, static_cast<size_t>(bytes)));
}

LEPTON_CUDA_BINDING(cuda_free, "cudaFree") {
  LEPTON_THROW_IF(info.Length() < 1 || !info[0].IsNumber(), "buffer id must be a number");
  cuda_buffer_release(info[0].As<Napi::Number>().DoubleValue());
  return info.Env().Undefined();
}

// (id, byteOffset, src) -> Promise: host bytes copied into device memory.
LEPTON_CUDA_BINDING(cuda_write, "cudaWrite") {
  const HostBytes host = arg_host_bytes(info, 2, "src");
  int device = 0;
  void* dst = device_span(info, 0, host.bytes, &device);
  CudaDevice& dev = cuda_device(device);
  CudaPromise p = cuda_promise(info, {2});
  cuda_copy_to_device(dev, dst, host.data, host.bytes, p.done);
  return p.promise;
}

// (id, byteOffset, dst) -> Promise: device bytes copied into the host array.
LEPTON_CUDA_BINDING(cuda_read, "cudaRead") {
  const HostBytes host = arg_host_bytes(info, 2, "dst");
  int device = 0;
  const void* src = device_span(info, 0, host.bytes, &device);
  CudaDevice& dev = cuda_device(device);
  CudaPromise p = cuda_promise(info, {2});
  cuda_copy_to_host(dev, host.data, src, host.bytes, p.done);
  return p.promise;
}

LEPTON_CUDA_BINDING(cuda_synchronize, "cudaSynchronize") {
  CudaDevice& dev = cuda_device(static_cast<int>(arg_int(info, 0, "device", 0, 1023)));
  return cuda_launch(info, dev, "cudaSynchronize", [](cudaStream_t) { return cudaSuccess; });
}

LEPTON_CUDA_BINDING(cuda_memory_stats, "cudaMemoryStats") {
  CudaDevice& dev = cuda_device(static_cast<int>(arg_int(info, 0, "device", 0, 1023)));
  const CudaAllocatorStats s = dev.allocator->stats();
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("allocatedBytes", Napi::Number::New(env, static_cast<double>(s.allocated_bytes)));
  out.Set("cachedBytes", Napi::Number::New(env, static_cast<double>(s.cached_bytes)));
  out.Set("reservedBytes", Napi::Number::New(env, static_cast<double>(s.reserved_bytes)));
  out.Set("peakAllocatedBytes", Napi::Number::New(env, static_cast<double>(s.peak_allocated_bytes)));
  out.Set("deviceMallocs", Napi::Number::New(env, static_cast<double>(s.device_mallocs)));
  out.Set("cacheHits", Napi::Number::New(env, static_cast<double>(s.cache_hits)));
  out.Set("oomRetries", Napi::Number::New(env, static_cast<double>(s.oom_retries)));
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) {
    out.Set("deviceFreeBytes", Napi::Number::New(env, static_cast<double>(free_bytes)));
    out.Set("deviceTotalBytes", Napi::Number::New(env, static_cast<double>(total_bytes)));
  }
  cudaGetLastError();
  {
    std::lock_guard<std::mutex> lock(dev.mutex);
    if (!dev.lost.empty()) out.Set("lost", Napi::String::New(env, dev.lost));
  }
  return out;
}

LEPTON_CUDA_BINDING(cuda_empty_cache, "cudaEmptyCache") {
  CudaDevice& dev = cuda_device(static_cast<int>(arg_int(info, 0, "device", 0, 1023)));
  dev.allocator->empty_cache();
  return info.Env().Undefined();
}

}  // namespace

void register_cuda_memory(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaAlloc", Napi::Function::New(env, cuda_alloc, "cudaAlloc"));
  exports.Set("cudaFree", Napi::Function::New(env, cuda_free, "cudaFree"));
  exports.Set("cudaWrite", Napi::Function::New(env, cuda_write, "cudaWrite"));
  exports.Set("cudaRead", Napi::Function::New(env, cuda_read, "cudaRead"));
  exports.Set("cudaSynchronize", Napi::Function::New(env, cuda_synchronize, "cudaSynchronize"));
  exports.Set("cudaMemoryStats", Napi::Function::New(env, cuda_memory_stats, "cudaMemoryStats"));
  exports.Set("cudaEmptyCache", Napi::Function::New(env, cuda_empty_cache, "cudaEmptyCache"));
}

}  // namespace lepton
#endif  // LEPTON_WITH_CUDA
