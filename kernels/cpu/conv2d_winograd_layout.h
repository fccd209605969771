// Strides of the Winograd workspaces, shared by the driver and the kernels of every ISA (static:
// no symbol for the linker to share between ISAs).
#pragma once
#include <cstdint>

namespace lepton {
namespace conv_detail {

// One frequency of V ([16][C][Tpad]) and Z ([16][Mpad][Tpad]) is its matrix plus one cache line:
// the transforms touch all 16 frequencies of a tile at once, and with a power-of-two-ish matrix
// size (64 x 80 floats = 5 x 4 KiB) those 16 lines would all fall in one L1 set.
static inline int64_t wino_v_fstride(int64_t C, int64_t Tpad) { return C * Tpad + 16; }
static inline int64_t wino_z_fstride(int64_t Mpad, int64_t Tpad) { return Mpad * Tpad + 16; }

}  // namespace conv_detail
}  // namespace lepton
