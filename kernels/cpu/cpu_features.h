// Run-time ISA detection: which SIMD path the CPU kernels take.
#pragma once

namespace lepton {

// Ordered: each path implies the ones before it (an AVX-512 CPU also runs the AVX2 kernels).
enum class CpuIsa { portable, avx2_fma, avx512 };

// The best path this CPU and this build support; LEPTON_CPU_ISA=portable or =avx2 caps it.
CpuIsa cpu_isa();

// AVX2+FMA kernels may run (true on AVX-512 CPUs too).
inline bool cpu_has_avx2() { return cpu_isa() >= CpuIsa::avx2_fma; }
// AVX-512 (F, VL, BW, DQ) kernels may run.
inline bool cpu_has_avx512() { return cpu_isa() >= CpuIsa::avx512; }

// "avx512", "avx2+fma" or "portable", for lc.devices().
const char* cpu_isa_name();

}  // namespace lepton
