#include "binding_util.h"

#include "recording.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

namespace lepton {

Napi::Value run_binding(const Napi::CallbackInfo& info, const char* name,
                        const std::function<Napi::Value()>& body) {
  Napi::Env env = info.Env();
  try {
    return body();
  } catch (const ArgumentError& e) {
    Napi::Error err = Napi::TypeError::New(env, std::string(name) + ": " + e.message);
    err.Set("code", Napi::String::New(env, "NATIVE_ARGUMENT"));
    err.ThrowAsJavaScriptException();
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  } catch (const std::bad_alloc&) {
    Napi::Error err = Napi::Error::New(env, std::string(name) + ": out of host memory");
    err.Set("code", Napi::String::New(env, "OUT_OF_MEMORY"));
    err.ThrowAsJavaScriptException();
  } catch (const std::exception& e) {
    Napi::Error err = Napi::Error::New(env, std::string(name) + ": " + e.what());
    err.Set("code", Napi::String::New(env, "KERNEL_ERROR"));
    err.ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

static std::string at(size_t i, const char* name) {
  return std::string("argument ") + std::to_string(i) + " (" + name + ")";
}

// Argument i (element k of it when k >= 0) as an integer in [lo, hi]. The message is built only
// on failure: a string per argument was most of a small kernel call's cost.
static int64_t to_int(const Napi::Value& v, size_t i, const char* name, int64_t k, int64_t lo, int64_t hi) {
  auto where = [&] { return at(i, name) + (k >= 0 ? "[" + std::to_string(k) + "]" : std::string()); };
  LEPTON_THROW_IF(!v.IsNumber(), where() + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  LEPTON_THROW_IF(!std::isfinite(d) || std::floor(d) != d, where() + " must be an integer");
  LEPTON_THROW_IF(d < static_cast<double>(lo) || d > static_cast<double>(hi),
                  where() + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int64_t>(d);
}

int64_t arg_int(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo, int64_t hi) {
  LEPTON_THROW_IF(i >= info.Length(), at(i, name) + " is missing");
  return to_int(info[i], i, name, -1, lo, hi);
}

double arg_number(const Napi::CallbackInfo& info, size_t i, const char* name) {
  LEPTON_THROW_IF(i >= info.Length() || !info[i].IsNumber(), at(i, name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

bool arg_bool(const Napi::CallbackInfo& info, size_t i, const char* name) {
  LEPTON_THROW_IF(i >= info.Length() || !info[i].IsBoolean(), at(i, name) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

void settle_deferred(Napi::Env env, Napi::Promise::Deferred& deferred, const std::string& error,
                     const std::string& code) {
  if (error.empty()) {
    deferred.Resolve(env.Undefined());
    return;
  }
  Napi::Error err = Napi::Error::New(env, error);
  err.Set("code", Napi::String::New(env, code));
  deferred.Reject(err.Value());
}

RunMode arg_mode(const Napi::CallbackInfo& info, size_t i) {
  RunMode mode;
  if (i < info.Length() && info[i].IsBoolean()) {
    mode.sync = info[i].As<Napi::Boolean>().Value();
    return mode;
  }
  mode.record = i < info.Length() ? recording_of(info.Env(), info[i]) : nullptr;
  LEPTON_THROW_IF(mode.record == nullptr, at(i, "sync") + " must be a boolean or a recording");
  LEPTON_THROW_IF(mode.record->freed, at(i, "sync") + ": the recording was freed");
  LEPTON_THROW_IF(mode.record->sealed, at(i, "sync") + ": the recording was replayed already");
  mode.sync = true;
  return mode;
}

std::vector<int64_t> arg_int_array(const Napi::CallbackInfo& info, size_t i, const char* name,
                                   size_t max_len, int64_t lo, int64_t hi) {
  LEPTON_THROW_IF(i >= info.Length() || !info[i].IsArray(), at(i, name) + " must be an array");
  Napi::Array arr = info[i].As<Napi::Array>();
  LEPTON_THROW_IF(arr.Length() > max_len, at(i, name) + " has too many entries");
  const uint32_t n = arr.Length();
  std::vector<int64_t> out(n);
  for (uint32_t k = 0; k < n; ++k) out[k] = to_int(arr.Get(k), i, name, k, lo, hi);
  return out;
}

static int element_size(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: return 1;
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    default: return 8;
  }
}

static ArrayArg read_array(const Napi::CallbackInfo& info, size_t i, const char* name) {
  LEPTON_THROW_IF(i >= info.Length() || !info[i].IsTypedArray(), at(i, name) + " must be a typed array");
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  ArrayArg a;
  a.type = ta.TypedArrayType();
  a.element_size = element_size(a.type);
  a.length = static_cast<int64_t>(ta.ElementLength());
  Napi::ArrayBuffer buffer = ta.ArrayBuffer();
  LEPTON_THROW_IF(buffer.IsDetached(), at(i, name) + " has a detached buffer");
  a.data = static_cast<uint8_t*>(buffer.Data()) + ta.ByteOffset();
  a.present = true;
  return a;
}

ArrayArg arg_array(const Napi::CallbackInfo& info, size_t i, const char* name, napi_typedarray_type type,
                   bool optional) {
  if (optional && (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined())) return ArrayArg();
  ArrayArg a = read_array(info, i, name);
  LEPTON_THROW_IF(a.type != type, at(i, name) + " has the wrong typed-array type");
  return a;
}

ArrayArg arg_array_any(const Napi::CallbackInfo& info, size_t i, const char* name) {
  ArrayArg a = read_array(info, i, name);
  LEPTON_THROW_IF(a.element_size != 4 && a.element_size != 8, at(i, name) + " must have 4- or 8-byte elements");
  return a;
}

int64_t checked_mul(int64_t a, int64_t b, const char* what) {
  int64_t r;
  LEPTON_THROW_IF(__builtin_mul_overflow(a, b, &r) || r > (int64_t(1) << 53),
                  std::string(what) + " is too large");
  return r;
}

int64_t checked_product(const std::vector<int64_t>& dims, const char* what) {
  int64_t n = 1;
  for (int64_t d : dims) n = checked_mul(n, d, what);
  return n;
}

void check_span(const ArrayArg& a, const char* name, int64_t offset, int64_t count) {
  LEPTON_THROW_IF(!a.present, std::string(name) + " is missing");
  LEPTON_THROW_IF(offset < 0 || count < 0 || offset > a.length || count > a.length - offset,
                  std::string(name) + " is too short: needs " + std::to_string(offset) + "+" +
                      std::to_string(count) + " elements, has " + std::to_string(a.length));
}

void check_view(const ArrayArg& a, const char* name, int64_t offset, const std::vector<int64_t>& shape,
                const std::vector<int64_t>& strides) {
  LEPTON_THROW_IF(shape.size() != strides.size(), std::string(name) + ": shape and strides differ in rank");
  int64_t last = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return;  // empty view reads nothing
    LEPTON_THROW_IF(strides[d] < 0, std::string(name) + ": negative strides are not supported");
    last += checked_mul(shape[d] - 1, strides[d], name);
  }
  check_span(a, name, offset, last + 1);
}

namespace {

// Async kernels run in order on one persistent thread of ours rather than on libuv's pool. It
// spins for a millisecond between jobs, so back-to-back ops skip a futex wake-up; on this VM a
// woken thread is often placed on its waker's core, which halved the speed of whole kernels.
// Completion goes back to the JS thread through a thread-safe function per environment.
struct Job {
  std::function<void()> work;
  Napi::Promise::Deferred deferred;
  std::vector<Napi::Reference<Napi::Value>> kept;
  JsCompletions* state;
  std::string error, code;
};

void complete_on_js_thread(Napi::Env env, Napi::Function, Job* job) {
  settle_deferred(env, job->deferred, job->error, job->code);
  JsCompletions* state = job->state;
  delete job;  // releases the kept references, on the JS thread
  if (--state->pending == 0) state->tsfn.Unref(env);  // idle: do not keep the process alive
}

class KernelThread {
 public:
  void push(Job* job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(job);
      queued_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_one();
  }

 private:
  Job* pop() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(1000);
    for (int i = 0; queued_.load(std::memory_order_acquire) == 0; ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if ((i & 63) == 63 && std::chrono::steady_clock::now() > deadline) break;
      if ((i & 63) == 63) std::this_thread::yield();  // the JS thread may be queued for this core
    }
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [this] { return !queue_.empty(); });
    Job* job = queue_.front();
    queue_.pop_front();
    queued_.fetch_sub(1, std::memory_order_release);
    return job;
  }

  void loop() {
    for (;;) {
      Job* job = pop();
      try {
        job->work();
      } catch (const std::bad_alloc&) {
        job->error = "out of host memory";
        job->code = "OUT_OF_MEMORY";
      } catch (const std::exception& e) {
        job->error = e.what();
        job->code = "KERNEL_ERROR";
      }
      job->state->tsfn.NonBlockingCall(job, complete_on_js_thread);
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job*> queue_;
  std::atomic<int64_t> queued_{0};
  // Detached and never destroyed: it sleeps when idle and dies with the process.
  std::thread thread_{[this] { loop(); }};

 public:
  KernelThread() { thread_.detach(); }
};

KernelThread& kernel_thread() {
  static KernelThread* instance = new KernelThread();
  return *instance;
}

}  // namespace

JsCompletions* js_completions(Napi::Env env) {
  static std::mutex mutex;
  static std::unordered_map<napi_env, JsCompletions*> states;
  std::lock_guard<std::mutex> lock(mutex);
  JsCompletions*& state = states[env];
  if (!state) {
    state = new JsCompletions();
    state->tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}),
                                                "lepton.kernels", 0, 1);
    state->tsfn.Unref(env);
    napi_env key = env;
    env.AddCleanupHook([key] {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = states.find(key);
      if (it == states.end()) return;
      it->second->tsfn.Release();
      states.erase(it);  // the JsCompletions itself is leaked: a late completion may still name it
    });
  }
  return state;
}

Napi::Value schedule(const Napi::CallbackInfo& info, RunMode mode, std::vector<size_t> keep_args,
                     std::function<void()> work) {
  if (mode.record) {
    work();  // the recording run itself needs the results; a failure is not recorded
    Recording* rec = mode.record;
    for (size_t i : keep_args) {
      if (i < info.Length() && info[i].IsObject()) rec->kept.push_back(Napi::Persistent(info[i]));
    }
    rec->launches.push_back({std::move(work), rec->tag});
    return info.Env().Undefined();
  }
  if (mode.sync) {
    work();  // exceptions reach run_binding, which turns them into JS errors
    return info.Env().Undefined();
  }
  Napi::Env env = info.Env();
  JsCompletions* state = js_completions(env);
  auto* job = new Job{std::move(work), Napi::Promise::Deferred::New(env), {}, state, {}, {}};
  for (size_t i : keep_args) {
    if (i < info.Length() && info[i].IsObject()) job->kept.push_back(Napi::Persistent(info[i]));
  }
  Napi::Promise p = job->deferred.Promise();
  if (state->pending++ == 0) state->tsfn.Ref(env);
  kernel_thread().push(job);
  return p;
}

}  // namespace lepton
