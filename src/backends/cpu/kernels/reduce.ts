import type { CpuKernel } from './kernel.js';

/** Native CPU kernels for the reduce ops, by op name. */
export const reduceKernels: Record<string, CpuKernel> = {};
