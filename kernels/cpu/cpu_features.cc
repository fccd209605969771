#include "cpu_features.h"

#include <cstdlib>
#include <cstring>

namespace lepton {

static CpuIsa detect_isa() {
  CpuIsa best = CpuIsa::portable;
#if defined(__x86_64__) || defined(_M_X64)
#if defined(__GNUC__)
  __builtin_cpu_init();
  // __builtin_cpu_supports also checks (XGETBV) that the OS saves the YMM / ZMM state.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    best = CpuIsa::avx2_fma;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
      best = CpuIsa::avx512;
  }
#endif
#endif
  // A forced path can only lower the choice: a CPU never runs instructions it lacks.
  const char* forced = std::getenv("LEPTON_CPU_ISA");
  if (forced && std::strcmp(forced, "portable") == 0) return CpuIsa::portable;
  if (forced && std::strcmp(forced, "avx2") == 0 && best > CpuIsa::avx2_fma) return CpuIsa::avx2_fma;
  return best;
}

CpuIsa cpu_isa() {
  static const CpuIsa isa = detect_isa();
  return isa;
}

const char* cpu_isa_name() {
  switch (cpu_isa()) {
    case CpuIsa::avx512: return "avx512";
    case CpuIsa::avx2_fma: return "avx2+fma";
    default: return "portable";
  }
}

}  // namespace lepton
