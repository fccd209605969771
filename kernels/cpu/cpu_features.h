// Run-time ISA detection: which SIMD path the CPU kernels take.
#pragma once

namespace lepton {

enum class CpuIsa { portable, avx2_fma };

// The best path this CPU and this build support; LEPTON_CPU_ISA=portable forces the portable one.
CpuIsa cpu_isa();

// "avx2+fma" or "portable", for lc.devices().
const char* cpu_isa_name();

}  // namespace lepton
