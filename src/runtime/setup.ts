// Registers the devices this build knows. Imported once by index.ts.
import { cpuBackend } from '../backends/cpu/index.js';
import { registerCuda } from '../backends/cuda/register.js';
import { registerWebGpu } from '../backends/webgpu/register.js';
import { registerBackend } from './devices.js';

registerBackend(cpuBackend);
// CUDA: a cuda:0 backend when a device probed OK, else listed as unavailable with the reason.
registerCuda();
// WebGPU: adapter discovery only (~0.1 s); the GPUDevice is created on first use. LEPTON_WEBGPU=0 skips it.
await registerWebGpu();
