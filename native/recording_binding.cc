// recordingNew() -> rec; recordingMark(rec, tag); recordingTags(rec) -> Int32Array;
// programRun(rec, timingsMs: Float64Array | null, sync) -> Promise | undefined; recordingFree(rec).
// Kernels record into `rec` when it is passed as their `sync` argument (see schedule()).
#include <chrono>

#include "binding_util.h"
#include "recording.h"

namespace lepton {
namespace {

// Distinguishes our externals from any other external a caller might pass.
constexpr napi_type_tag kRecordingTag = {0x6c6570746f6e2d72ULL, 0x65636f7264696e67ULL};

Recording* checked_recording(const Napi::CallbackInfo& info, size_t i) {
  Recording* rec = i < info.Length() ? recording_of(info.Env(), info[i]) : nullptr;
  LEPTON_THROW_IF(rec == nullptr, "argument " + std::to_string(i) + " (recording) must be a recording from recordingNew()");
  LEPTON_THROW_IF(rec->freed, "the recording was freed");
  return rec;
}

void release(Recording* rec) {
  rec->launches.clear();
  rec->kept.clear();
  rec->freed = true;
}

Napi::Value recording_new(const Napi::CallbackInfo& info) {
  auto ext = Napi::External<Recording>::New(info.Env(), new Recording(), [](Napi::Env, Recording* rec) {
    // A recording still running on the kernel thread is kept alive by that job's reference.
    delete rec;
  });
  ext.TypeTag(&kRecordingTag);
  return ext;
}

LEPTON_BINDING(recording_mark, "recordingMark") {
  Recording* rec = checked_recording(info, 0);
  LEPTON_THROW_IF(rec->sealed, "the recording was replayed already: it takes no more launches");
  rec->tag = static_cast<int32_t>(arg_int(info, 1, "tag", -1, INT32_MAX));
  return info.Env().Undefined();
}

LEPTON_BINDING(recording_tags, "recordingTags") {
  Recording* rec = checked_recording(info, 0);
  Napi::Int32Array tags = Napi::Int32Array::New(info.Env(), rec->launches.size());
  for (size_t i = 0; i < rec->launches.size(); ++i) tags[i] = rec->launches[i].tag;
  return tags;
}

LEPTON_BINDING(program_run, "programRun") {
  Recording* rec = checked_recording(info, 0);
  ArrayArg timings = arg_array(info, 1, "timingsMs", napi_float64_array, true);
  const RunMode mode = arg_mode(info, 2);
  LEPTON_THROW_IF(mode.record != nullptr, "argument 2 (sync) must be a boolean");
  LEPTON_THROW_IF(timings.present && timings.length < int64_t(rec->launches.size()),
                  "timingsMs must hold one entry per launch");
  bool idle = false;
  LEPTON_THROW_IF(!rec->running.compare_exchange_strong(idle, true), "the recording is already running");
  rec->sealed = true;
  double* out = ptr<double>(timings);
  struct Done {
    Recording* rec;
    ~Done() { rec->running.store(false); }
  };
  return schedule(info, mode, {0, 1}, [rec, out] {
    Done done{rec};
    auto last = std::chrono::steady_clock::now();
    for (size_t i = 0; i < rec->launches.size(); ++i) {
      rec->launches[i].work();
      if (out) {
        const auto now = std::chrono::steady_clock::now();
        out[i] = std::chrono::duration<double, std::milli>(now - last).count();
        last = now;
      }
    }
  });
}

LEPTON_BINDING(recording_free, "recordingFree") {
  Recording* rec = checked_recording(info, 0);
  LEPTON_THROW_IF(rec->running.load(), "the recording is running: free it after its run settles");
  release(rec);
  return info.Env().Undefined();
}

}  // namespace

Recording* recording_of(Napi::Env env, const Napi::Value& v) {
  if (!v.IsExternal()) return nullptr;
  bool tagged = false;
  if (napi_check_object_type_tag(env, v, &kRecordingTag, &tagged) != napi_ok || !tagged) return nullptr;
  return v.As<Napi::External<Recording>>().Data();
}

void register_recording(Napi::Env env, Napi::Object exports) {
  exports.Set("recordingNew", Napi::Function::New(env, recording_new, "recordingNew"));
  exports.Set("recordingMark", Napi::Function::New(env, recording_mark, "recordingMark"));
  exports.Set("recordingTags", Napi::Function::New(env, recording_tags, "recordingTags"));
  exports.Set("programRun", Napi::Function::New(env, program_run, "programRun"));
  exports.Set("recordingFree", Napi::Function::New(env, recording_free, "recordingFree"));
}

}  // namespace lepton
