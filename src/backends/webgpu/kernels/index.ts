// The webgpu capability table: op name -> kernel. An op missing here (or declined by its kernel's
// supports) runs on the CPU.
import type { GpuKernel } from '../kernel.js';
import { argReduceKernel } from './argReduce.js';
import { batchNormKernel } from './batchNorm.js';
import { conv2dKernel } from './conv2d.js';
import { elementwiseKernels } from './elementwise.js';
import { layoutKernels } from './gather.js';
import { gemmKernel, matmulKernel } from './matmul.js';
import { pool2dKernel } from './pool2d.js';
import { reduceKernels } from './reduce.js';
import { softmaxKernel } from './softmax.js';

export const webgpuKernels: Readonly<Record<string, GpuKernel>> = {
  matmul: matmulKernel,
  gemm: gemmKernel,
  conv2d: conv2dKernel,
  ...elementwiseKernels,
  ...reduceKernels,
  argmax: argReduceKernel,
  argmin: argReduceKernel,
  softmax: softmaxKernel,
  logSoftmax: softmaxKernel,
  batchNorm: batchNormKernel,
  maxPool2d: pool2dKernel,
  avgPool2d: pool2dKernel,
  ...layoutKernels,
};
