// JS glue for the CUDA runtime: Promises settled from CUDA's threads, coded JS errors, and
// device-buffer arguments. Compiled only with LEPTON_WITH_CUDA.
#pragma once
#ifdef LEPTON_WITH_CUDA
#include <napi.h>

#include <functional>
#include <vector>

#include "binding_util.h"
#include "cuda_runtime.h"

namespace lepton {

// A Promise plus the CudaDone that settles it from any thread ("" resolves; else rejects with an
// Error whose `code` is the given LeptonError code). Arguments at `keep` stay referenced until then.
struct CudaPromise {
  Napi::Promise promise;
  CudaDone done;
};
CudaPromise cuda_promise(const Napi::CallbackInfo& info, const std::vector<size_t>& keep);

// run_binding plus: CudaFailure -> Error with its code; unknown buffer ids -> NATIVE_ARGUMENT.
Napi::Value run_cuda_binding(const Napi::CallbackInfo& info, const char* name, const std::function<Napi::Value()>& body);

// A device buffer argument: id at info[i], element offset at info[i + 1]. Checks that
// [offset, offset + extent) elements of `element_size` bytes lie inside the buffer on `device`.
void* arg_device_ptr(const Napi::CallbackInfo& info, size_t i, const char* name, int device, int element_size,
                     int64_t extent);
// The same, but a negative id means "absent" (returns null).
void* arg_device_ptr_optional(const Napi::CallbackInfo& info, size_t i, const char* name, int device,
                              int element_size, int64_t extent);
// Elements a strided view spans from its first element (0 when empty); refuses negative strides.
int64_t view_extent(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, const char* name);

// Enqueues work on dev's compute stream and returns a Promise settled when it has run on the GPU.
Napi::Value cuda_launch(const Napi::CallbackInfo& info, CudaDevice& dev, const char* what,
                        const std::function<cudaError_t(cudaStream_t)>& enqueue);

}  // namespace lepton

#define LEPTON_CUDA_BINDING(fn_name, label)                                                     \
  static Napi::Value fn_name##_body(const Napi::CallbackInfo& info);                            \
  Napi::Value fn_name(const Napi::CallbackInfo& info) {                                         \
    return ::lepton::run_cuda_binding(info, label, [&] { return fn_name##_body(info); });       \
  }                                                                                             \
  static Napi::Value fn_name##_body(const Napi::CallbackInfo& info)

#endif  // LEPTON_WITH_CUDA
