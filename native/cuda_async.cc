// See cuda_async.h.
#ifdef LEPTON_WITH_CUDA
#include "cuda_async.h"

namespace lepton {
namespace {

struct Settle {
  Napi::Promise::Deferred deferred;
  std::vector<Napi::Reference<Napi::Value>> kept;
  JsCompletions* env;
  std::string error, code;
};

void settle_on_js_thread(Napi::Env env, Napi::Function, Settle* s) {
  settle_deferred(env, s->deferred, s->error, s->code);
  JsCompletions* e = s->env;
  delete s;
  if (--e->pending == 0) e->tsfn.Unref(env);
}

}  // namespace

CudaPromise cuda_promise(const Napi::CallbackInfo& info, const std::vector<size_t>& keep) {
  Napi::Env env = info.Env();
  JsCompletions* e = js_completions(env);
  auto* s = new Settle{Napi::Promise::Deferred::New(env), {}, e, {}, {}};
  for (size_t i : keep) {
    if (i < info.Length() && info[i].IsObject()) s->kept.push_back(Napi::Persistent(info[i]));
  }
  if (e->pending++ == 0) e->tsfn.Ref(env);
  Napi::Promise promise = s->deferred.Promise();
  CudaDone done = [s](const std::string& error, const std::string& code) {
    s->error = error.empty() ? std::string() : error;
    s->code = code.empty() ? std::string("DEVICE_ERROR") : code;
    // napi_closing: the environment is gone; the Settle is leaked rather than freed off-thread.
    s->env->tsfn.NonBlockingCall(s, settle_on_js_thread);
  };
  return {promise, done};
}

Napi::Value run_cuda_binding(const Napi::CallbackInfo& info, const char* name, const std::function<Napi::Value()>& body) {
  Napi::Env env = info.Env();
  // Translated inside: run_binding would report any std::exception as KERNEL_ERROR.
  return run_binding(info, name, [&]() -> Napi::Value {
    try {
      return body();
    } catch (const CudaFailure& f) {
      Napi::Error err = Napi::Error::New(env, std::string(name) + ": " + f.what());
      err.Set("code", Napi::String::New(env, f.code));
      throw err;
    } catch (const std::out_of_range& e) {
      throw ArgumentError{e.what()};
    }
  });
}

int64_t view_extent(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, const char* name) {
  LEPTON_THROW_IF(shape.size() != strides.size(), std::string(name) + ": shape and strides differ in rank");
  int64_t last = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return 0;
    LEPTON_THROW_IF(strides[d] < 0, std::string(name) + ": negative strides are not supported");
    last += checked_mul(shape[d] - 1, strides[d], name);
  }
  return last + 1;
}

static void* device_ptr(const Napi::CallbackInfo& info, size_t i, const char* name, int device, int element_size,
                        int64_t extent, bool optional) {
  LEPTON_THROW_IF(i + 1 >= info.Length() || !info[i].IsNumber(), std::string(name) + ": buffer id must be a number");
  const double id = info[i].As<Napi::Number>().DoubleValue();
  if (optional && id < 0) return nullptr;
  const int64_t offset = arg_int(info, i + 1, name);
  const CudaBuffer b = cuda_buffer_get(id);  // throws out_of_range for unknown ids
  LEPTON_THROW_IF(b.device != device, std::string(name) + ": buffer lives on cuda:" + std::to_string(b.device) +
                                          ", not cuda:" + std::to_string(device));
  const int64_t capacity = static_cast<int64_t>(b.bytes) / element_size;
  LEPTON_THROW_IF(extent < 0 || offset > capacity || extent > capacity - offset,
                  std::string(name) + ": view of " + std::to_string(extent) + " elements at offset " + std::to_string(offset) +
                      " exceeds the buffer's " + std::to_string(capacity) + " elements");
  return static_cast<char*>(b.ptr) + offset * element_size;
}

void* arg_device_ptr(const Napi::CallbackInfo& info, size_t i, const char* name, int device, int element_size, int64_t extent) {
  return device_ptr(info, i, name, device, element_size, extent, false);
}

void* arg_device_ptr_optional(const Napi::CallbackInfo& info, size_t i, const char* name, int device, int element_size,
                              int64_t extent) {
  return device_ptr(info, i, name, device, element_size, extent, true);
}

Napi::Value cuda_launch(const Napi::CallbackInfo& info, CudaDevice& dev, const char* what,
                        const std::function<cudaError_t(cudaStream_t)>& enqueue) {
  cuda_check_alive(dev);
  cuda_check(cudaSetDevice(dev.index), what);
  const cudaError_t e = enqueue(dev.compute);
  if (e != cudaSuccess) {
    cuda_mark_lost(dev, e, what);
    cuda_check(e, what);
  }
  CudaPromise p = cuda_promise(info, {});
  try {
    cuda_when_idle(dev, p.done);
  } catch (const CudaFailure& f) {
    p.done(f.what(), f.code);
  }
  return p.promise;
}

}  // namespace lepton
#endif  // LEPTON_WITH_CUDA
