// Argument checking and async job plumbing shared by every binding file.
// Every check throws a JS exception (never aborts): garbage from JS must not crash.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace lepton {

// Thrown inside argument parsing; caught by LEPTON_BINDING and turned into a JS error.
struct ArgumentError {
  std::string message;
};

#define LEPTON_THROW_IF(cond, msg)                 \
  do {                                             \
    if (cond) throw ::lepton::ArgumentError{msg};  \
  } while (0)

// Wraps a binding body: ArgumentError becomes a JS TypeError with code NATIVE_ARGUMENT.
Napi::Value run_binding(const Napi::CallbackInfo& info, const char* name,
                        const std::function<Napi::Value()>& body);

int64_t arg_int(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo = 0,
                int64_t hi = (int64_t(1) << 53));
double arg_number(const Napi::CallbackInfo& info, size_t i, const char* name);
bool arg_bool(const Napi::CallbackInfo& info, size_t i, const char* name);
// Array of integers (shape, strides, params); each within [lo, hi]; at most max_len entries.
std::vector<int64_t> arg_int_array(const Napi::CallbackInfo& info, size_t i, const char* name,
                                   size_t max_len, int64_t lo = 0, int64_t hi = (int64_t(1) << 53));

// A typed array argument pinned for the duration of a job.
struct ArrayArg {
  void* data = nullptr;
  int64_t length = 0;           // elements
  int element_size = 0;
  napi_typedarray_type type = napi_float32_array;
  bool present = false;
};

// Reads a typed array of the given type (or null/undefined when optional).
ArrayArg arg_array(const Napi::CallbackInfo& info, size_t i, const char* name,
                   napi_typedarray_type type, bool optional = false);
// Any typed array whose element size is one of 4 or 8 bytes.
ArrayArg arg_array_any(const Napi::CallbackInfo& info, size_t i, const char* name);

// Checks that a view (offset + shape/strides) stays inside the array; returns offset.
void check_view(const ArrayArg& a, const char* name, int64_t offset, const std::vector<int64_t>& shape,
                const std::vector<int64_t>& strides);
// Checks that [offset, offset + count) lies inside the array.
void check_span(const ArrayArg& a, const char* name, int64_t offset, int64_t count);

int64_t checked_mul(int64_t a, int64_t b, const char* what);
int64_t checked_product(const std::vector<int64_t>& dims, const char* what);

struct Recording;

// How a kernel binding runs its work, from its last (`sync`) argument: true inline, false on the
// kernel thread, or a recording (recording_binding.cc): inline, and captured for replay.
struct RunMode {
  bool sync = false;
  Recording* record = nullptr;
};
RunMode arg_mode(const Napi::CallbackInfo& info, size_t i);

// Runs `work` on the kernel thread (returning a Promise) or inline when mode.sync is true
// (returning undefined); a recording mode also runs it inline, then keeps it and the JS arrays in
// `keep_args` for replays. Keeps those arrays alive until the work is done. `work` must not touch
// JS values and must be repeatable. A std::exception from work rejects the Promise.
Napi::Value schedule(const Napi::CallbackInfo& info, RunMode mode, std::vector<size_t> keep_args,
                     std::function<void()> work);

// The thread-safe function that carries completions back to one JS environment's thread, and how
// many are pending there (JS thread only: it keeps the event loop alive only while work is pending).
// One per environment, shared by every kind of async work; never freed (a late completion may name it).
struct JsCompletions {
  Napi::ThreadSafeFunction tsfn;
  int64_t pending = 0;
};
JsCompletions* js_completions(Napi::Env env);

// Resolves `deferred` (error empty) or rejects it with an Error whose code is `code`. JS thread only.
void settle_deferred(Napi::Env env, Napi::Promise::Deferred& deferred, const std::string& error,
                     const std::string& code);

template <typename T>
T* ptr(const ArrayArg& a, int64_t offset = 0) {
  return a.present ? static_cast<T*>(a.data) + offset : nullptr;
}

}  // namespace lepton

// Defines a binding function `fn_name` whose body returns a Napi::Value.
#define LEPTON_BINDING(fn_name, label)                                                          \
  static Napi::Value fn_name##_body(const Napi::CallbackInfo& info);                            \
  Napi::Value fn_name(const Napi::CallbackInfo& info) {                                         \
    return ::lepton::run_binding(info, label, [&] { return fn_name##_body(info); });            \
  }                                                                                             \
  static Napi::Value fn_name##_body(const Napi::CallbackInfo& info)
