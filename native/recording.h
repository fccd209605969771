// A recording: kernel launches captured while a compiled plan runs once, replayed in order by
// programRun. Replaying skips everything a launch costs on the JS side (argument parsing, view
// checks, the runtime's bookkeeping): a plan of many tiny ops then costs tens of ns per op.
// The recording keeps every JS array its launches touch alive, so its raw pointers stay valid.
#pragma once
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace lepton {

struct Recording {
  struct Launch {
    std::function<void()> work;
    int32_t tag;  // the JS side's step index, for per-step timings
  };
  std::vector<Launch> launches;
  std::vector<Napi::Reference<Napi::Value>> kept;
  int32_t tag = -1;
  bool sealed = false;  // set by the first replay: later launches are refused
  bool freed = false;
  std::atomic<bool> running{false};
};

// The recording named by a JS value, or nullptr when the value is not one (checked by type tag).
Recording* recording_of(Napi::Env env, const Napi::Value& v);

}  // namespace lepton
