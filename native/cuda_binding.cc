// cudaInfo() -> { compiled, driverVersion, runtimeVersion, devices: [...], reason? }
// Built with LEPTON_WITH_CUDA when CMake found nvcc (the CUDA runtime is linked statically, so
// this loads on machines with no GPU or driver: the runtime then reports an error, which we pass on).
#include "binding_util.h"

#ifdef LEPTON_WITH_CUDA
#include <cuda_runtime.h>

#include "../kernels/cuda/probe.h"
#endif

namespace lepton {
namespace {

#ifdef LEPTON_WITH_CUDA
std::string cuda_error_text(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

Napi::Value cuda_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("compiled", Napi::Boolean::New(env, true));
  out.Set("architectures", Napi::String::New(env, LEPTON_CUDA_ARCHITECTURES));
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  out.Set("driverVersion", Napi::Number::New(env, driver));
  out.Set("runtimeVersion", Napi::Number::New(env, runtime));
  Napi::Array devices = Napi::Array::New(env);
  out.Set("devices", devices);
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    // No driver, a driver older than this runtime needs, or no device: all end up here.
    out.Set("reason", Napi::String::New(env, cuda_error_text(e)));
    cudaGetLastError();
    return out;
  }
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp p{};
    Napi::Object dev = Napi::Object::New(env);
    const cudaError_t pe = cudaGetDeviceProperties(&p, d);
    if (pe == cudaSuccess) {
      dev.Set("name", Napi::String::New(env, p.name));
      dev.Set("memoryBytes", Napi::Number::New(env, static_cast<double>(p.totalGlobalMem)));
      dev.Set("computeCapability", Napi::String::New(env, std::to_string(p.major) + "." + std::to_string(p.minor)));
      dev.Set("multiprocessors", Napi::Number::New(env, p.multiProcessorCount));
    }
    char error[256] = {0};
    if (pe != cudaSuccess) {
      dev.Set("error", Napi::String::New(env, cuda_error_text(pe)));
    } else if (cuda_probe_device(d, error, sizeof(error)) != 0) {
      dev.Set("error", Napi::String::New(env, std::string("probe kernel failed: ") + error));
    }
    devices.Set(static_cast<uint32_t>(d), dev);
  }
  return out;
}
#else
Napi::Value cuda_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("compiled", Napi::Boolean::New(env, false));
  out.Set("devices", Napi::Array::New(env));
  out.Set("reason", Napi::String::New(env, "this binary was built without CUDA (nvcc was not found at build time)"));
  return out;
}
#endif

}  // namespace

#ifdef LEPTON_WITH_CUDA
void register_cuda_memory(Napi::Env env, Napi::Object exports);   // cuda_memory_binding.cc
void register_cuda_kernels(Napi::Env env, Napi::Object exports);  // cuda_kernels_binding.cc
#endif

void register_cuda(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaInfo", Napi::Function::New(env, cuda_info, "cudaInfo"));
#ifdef LEPTON_WITH_CUDA
  register_cuda_memory(env, exports);
  register_cuda_kernels(env, exports);
#endif
}

}  // namespace lepton
