import { conv2dKernel, conv2dMaxPoolKernel } from './conv2d.js';
import { elementwiseKernels } from './elementwise.js';
import type { CpuKernel } from './kernel.js';
import { layoutKernels } from './layout.js';
import { gemmKernel, matmulKernel } from './matmul.js';
import { normalizationKernels } from './normalization.js';
import { poolKernels } from './pool.js';
import { reduceKernels } from './reduce.js';

/** Native kernels by op name. Ops without an entry (or whose kernel declines) run the TS reference. */
export const cpuKernels: Readonly<Record<string, CpuKernel>> = {
  matmul: matmulKernel,
  gemm: gemmKernel,
  conv2d: conv2dKernel,
  conv2dMaxPool: conv2dMaxPoolKernel,
  ...elementwiseKernels,
  ...layoutKernels,
  ...normalizationKernels,
  ...poolKernels,
  ...reduceKernels,
};
