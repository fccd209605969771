import type { CpuKernel } from './kernel.js';

/** Native CPU kernels for the pool ops, by op name. */
export const poolKernels: Record<string, CpuKernel> = {};
