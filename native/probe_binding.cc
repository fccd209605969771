// probePeakGflops(seconds) -> number; probeReadGbps(x: Float32Array, passes) -> number.
// Synchronous on purpose: used only by the bench, which wants the machine to itself.
#include "../kernels/cpu/probe.h"
#include "binding_util.h"

namespace lepton {
namespace {

LEPTON_BINDING(peak_gflops, "probePeakGflops") {
  const double seconds = arg_number(info, 0, "seconds");
  LEPTON_THROW_IF(!(seconds > 0 && seconds <= 10), "seconds must be in (0, 10]");
  return Napi::Number::New(info.Env(), probe_peak_gflops(seconds));
}

LEPTON_BINDING(read_gbps, "probeReadGbps") {
  ArrayArg x = arg_array(info, 0, "x", napi_float32_array);
  const int64_t passes = arg_int(info, 1, "passes", 1, 1000);
  return Napi::Number::New(info.Env(), probe_read_gbps(ptr<const float>(x), x.length, static_cast<int>(passes)));
}

}  // namespace

void register_probe(Napi::Env env, Napi::Object exports) {
  exports.Set("probePeakGflops", Napi::Function::New(env, peak_gflops, "probePeakGflops"));
  exports.Set("probeReadGbps", Napi::Function::New(env, read_gbps, "probeReadGbps"));
}

}  // namespace lepton
