// Device discovery support compiled by nvcc (see probe.cu).
#pragma once

namespace lepton {

// Runs a one-thread kernel on `device`; 0 on success, else a CUDA error code (or -1) with a
// NUL-terminated message in `error`.
int cuda_probe_device(int device, char* error, int error_len);

}  // namespace lepton
