// Module init: registers each binding group.
#include <napi.h>

#include "../kernels/cpu/cpu_features.h"
#include "../kernels/cpu/parallel.h"
#include "binding_util.h"

namespace lepton {
void register_gemm(Napi::Env env, Napi::Object exports);
void register_conv2d(Napi::Env env, Napi::Object exports);
void register_pool(Napi::Env env, Napi::Object exports);
void register_reduce(Napi::Env env, Napi::Object exports);
void register_elementwise(Napi::Env env, Napi::Object exports);
void register_probe(Napi::Env env, Napi::Object exports);
void register_cuda(Napi::Env env, Napi::Object exports);
void register_recording(Napi::Env env, Napi::Object exports);
}  // namespace lepton

namespace {

Napi::Value info_fn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("isa", Napi::String::New(env, lepton::cpu_isa_name()));
  out.Set("threads", Napi::Number::New(env, lepton::parallel_thread_count()));
  out.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
#ifdef LEPTON_BUILD_SYSTEM
  out.Set("buildSystem", Napi::String::New(env, LEPTON_BUILD_SYSTEM));
#endif
  return out;
}

LEPTON_BINDING(set_threads, "setThreads") {
  const int64_t n = lepton::arg_int(info, 0, "threads", 0, 1024);
  lepton::parallel_set_thread_count(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, info_fn, "info"));
  exports.Set("setThreads", Napi::Function::New(env, set_threads, "setThreads"));
  lepton::register_gemm(env, exports);
  lepton::register_conv2d(env, exports);
  lepton::register_pool(env, exports);
  lepton::register_reduce(env, exports);
  lepton::register_elementwise(env, exports);
  lepton::register_probe(env, exports);
  lepton::register_cuda(env, exports);
  lepton::register_recording(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(lepton, init)
