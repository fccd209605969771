#include "cpu_features.h"

#include <cstdlib>
#include <cstring>

namespace lepton {

static CpuIsa detect_isa() {
  const char* forced = std::getenv("LEPTON_CPU_ISA");
  if (forced && std::strcmp(forced, "portable") == 0) return CpuIsa::portable;
#if defined(__x86_64__) || defined(_M_X64)
#if defined(__GNUC__)
  __builtin_cpu_init();
  // The OS must also save the YMM state; __builtin_cpu_supports checks XGETBV for avx2.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CpuIsa::avx2_fma;
#endif
#endif
  return CpuIsa::portable;
}

CpuIsa cpu_isa() {
  static const CpuIsa isa = detect_isa();
  return isa;
}

const char* cpu_isa_name() { return cpu_isa() == CpuIsa::avx2_fma ? "avx2+fma" : "portable"; }

}  // namespace lepton
