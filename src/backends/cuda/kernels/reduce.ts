// The reduce family, argmax/argmin and the global pools on kernels/cuda/reduce.cu and argReduce.cu.
// Inputs are reduced in place through their strides (no gather).
import type { ArgReduceInfo } from '../../../ops/argReduce.js';
import type { GlobalPoolInfo } from '../../../ops/pool2d.js';
import { REDUCE_KINDS, type ReduceInfo, type ReduceKind } from '../../../ops/reduce.js';
import { contiguousStrides } from '../../../shape.js';
import { all, allFloat32, rankAtMost, type CudaKernel } from '../kernel.js';

/** kernels/cuda/reduce.h CudaReduceOp. */
const REDUCE_CODE: Record<ReduceKind, number> = {
  sum: 0, mean: 1, max: 2, min: 3, prod: 4, sumSquare: 5, l1: 6, l2: 7, logSumExp: 8, logSum: 9,
};

const reduceKernel: CudaKernel<ReduceInfo> = {
  supports: (info, inputs) => all(allFloat32(info.kind, inputs), rankAtMost(info.kind, inputs)),
  async run(ctx, info, [x], [y]) {
    const xr = ctx.ref(x!), yr = ctx.ref(y!);
    if (info.identity) {
      await ctx.addon.cudaCopy(ctx.device, 4, x!.shape, x!.strides, xr.id, xr.offset, contiguousStrides(x!.shape), yr.id, yr.offset);
      return;
    }
    await ctx.addon.cudaReduce(ctx.device, REDUCE_CODE[info.kind], x!.shape, x!.strides, info.mask, xr.id, xr.offset, yr.id, yr.offset);
  },
};

const argReduceKernel: CudaKernel<ArgReduceInfo> = {
  supports: (info, inputs) => all(allFloat32(info.isMax ? 'argmax' : 'argmin', inputs), rankAtMost('argmax', inputs)),
  async run(ctx, info, [x], [y]) {
    const xr = ctx.ref(x!), yr = ctx.ref(y!);
    await ctx.addon.cudaArgReduce(ctx.device, info.isMax, info.selectLastIndex, x!.shape, x!.strides, info.axis, xr.id, xr.offset, yr.id, yr.offset);
  },
};

/** globalAvgPool / globalMaxPool: mean / max over the spatial dims of x seen as [N*C, spatial]. */
const globalPoolKernel: CudaKernel<GlobalPoolInfo> = {
  supports: (_info, inputs) => allFloat32('globalPool', inputs),
  async run(ctx, info, [x], [y]) {
    const xr = await ctx.contiguous(x!), yr = ctx.ref(y!);
    await ctx.addon.cudaReduce(ctx.device, info.isMax ? REDUCE_CODE.max : REDUCE_CODE.mean, [info.nc, info.spatial], [info.spatial, 1], 0b10,
      xr.id, xr.offset, yr.id, yr.offset);
  },
};

export const reduceKernels: Record<string, CudaKernel> = {
  ...Object.fromEntries(REDUCE_KINDS.map((k) => [k, reduceKernel])),
  argmax: argReduceKernel,
  argmin: argReduceKernel,
  globalAvgPool: globalPoolKernel,
  globalMaxPool: globalPoolKernel,
};
