// Registers the devices this build knows. Imported once by index.ts.
import { cpuBackend } from '../backends/cpu/index.js';
import { cudaDeviceInfo } from '../backends/cuda/status.js';
import { registerWebGpu } from '../backends/webgpu/register.js';
import { registerBackend, registerUnavailable } from './devices.js';

registerBackend(cpuBackend);
registerUnavailable(cudaDeviceInfo());
// WebGPU: adapter discovery only (~0.1 s); the GPUDevice is created on first use. LEPTON_WEBGPU=0 skips it.
await registerWebGpu();
