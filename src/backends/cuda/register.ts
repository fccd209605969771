// Registers cuda:0: a backend when the binary has CUDA kernels and device 0 probed OK, else an
// unavailable entry with the reason. LEPTON_CUDA=0 turns it off.
import { native } from '../../native.js';
import type { CudaAddon } from '../../native.js';
import { registerBackend, registerUnavailable } from '../../runtime/devices.js';
import { CudaBackend } from './index.js';
import { cudaDeviceInfo } from './status.js';

export let cudaBackend: CudaBackend | undefined;

export function registerCuda(): void {
  if (process.env.LEPTON_CUDA === '0') {
    registerUnavailable({ id: 'cuda:0', kind: 'cuda', name: 'CUDA', available: false, reason: 'disabled by LEPTON_CUDA=0' });
    return;
  }
  const info = cudaDeviceInfo();
  if (info.available && native?.cudaAlloc) {
    cudaBackend = new CudaBackend(native as unknown as CudaAddon, info, 0);
    registerBackend(cudaBackend);
  } else {
    registerUnavailable(info);
  }
}
