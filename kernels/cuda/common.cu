// Host helpers shared by the launchers.
#include "common.cuh"

namespace lepton {

int cuda_sm_count() {
  static int cached[64] = {};
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess || device < 0 || device >= 64) return 108;
  if (cached[device] == 0) {
    int n = 0;
    if (cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device) != cudaSuccess || n <= 0) n = 108;
    cached[device] = n;
  }
  return cached[device];
}

}  // namespace lepton
