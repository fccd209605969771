// Registers the devices this build knows. Imported once by index.ts.
import { cpuBackend } from '../backends/cpu/index.js';
import { registerBackend, registerUnavailable } from './devices.js';

registerBackend(cpuBackend);
registerUnavailable({ id: 'cuda:0', kind: 'cuda', name: 'CUDA', available: false, reason: 'this build has no CUDA backend' });
registerUnavailable({ id: 'webgpu:0', kind: 'webgpu', name: 'WebGPU', available: false, reason: 'this build has no WebGPU backend' });
