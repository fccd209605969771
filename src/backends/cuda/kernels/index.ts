// The cuda capability table: op name -> kernel. An op missing here (or declined by its kernel's
// supports) runs elsewhere, usually the CPU.
import type { CudaKernel } from '../kernel.js';
import { conv2dKernel } from './conv2d.js';
import { elementwiseKernels } from './elementwise.js';
import { layoutKernels } from './layout.js';
import { gemmKernel, matmulKernel } from './matmul.js';
import { normalizationKernels } from './normalization.js';
import { poolKernels } from './pool.js';
import { reduceKernels } from './reduce.js';

export const cudaKernels: Readonly<Record<string, CudaKernel>> = {
  matmul: matmulKernel,
  gemm: gemmKernel,
  conv2d: conv2dKernel,
  ...elementwiseKernels,
  ...reduceKernels,
  ...normalizationKernels,
  ...poolKernels,
  ...layoutKernels,
};
