import type { CpuKernel } from './kernel.js';

/** Native CPU kernels for the layout ops, by op name. */
export const layoutKernels: Record<string, CpuKernel> = {};
