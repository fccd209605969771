import type { CpuKernel } from './kernel.js';

/** Native CPU kernels for the normalization ops, by op name. */
export const normalizationKernels: Record<string, CpuKernel> = {};
