import type { CpuKernel } from './kernel.js';

/** Native CPU kernels for the elementwise ops, by op name. */
export const elementwiseKernels: Record<string, CpuKernel> = {};
