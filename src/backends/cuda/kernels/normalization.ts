// softmax / logSoftmax and batchNorm on kernels/cuda/softmax.cu and batchNorm.cu (row-major inputs;
// views are gathered first).
import type { BatchNormInfo } from '../../../ops/batchNorm.js';
import type { SoftmaxInfo } from '../../../ops/softmax.js';
import { all, allFloat32, rankAtMost, type CudaKernel } from '../kernel.js';

const softmaxKernel: CudaKernel<SoftmaxInfo> = {
  supports: (info, inputs) => all(allFloat32(info.log ? 'logSoftmax' : 'softmax', inputs), rankAtMost('softmax', inputs)),
  async run(ctx, info, [x], [y]) {
    const xr = await ctx.contiguous(x!), yr = ctx.ref(y!);
    await ctx.addon.cudaSoftmax(ctx.device, info.outer, info.axisLength, info.inner, info.log, xr.id, xr.offset, yr.id, yr.offset);
  },
};

const batchNormKernel: CudaKernel<BatchNormInfo> = {
  supports: (_info, inputs) => all(allFloat32('batchNorm', inputs), rankAtMost('batchNorm', inputs)),
  async run(ctx, info, inputs, [y]) {
    const [x, scale, bias, mean, variance] = await Promise.all(inputs.map((t) => ctx.contiguous(t!)));
    const yr = ctx.ref(y!);
    await ctx.addon.cudaBatchnorm(ctx.device, info.N, info.C, info.spatial, info.epsilon, x!.id, x!.offset, scale!.id, scale!.offset,
      bias!.id, bias!.offset, mean!.id, mean!.offset, variance!.id, variance!.offset, yr.id, yr.offset);
  },
};

export const normalizationKernels: Record<string, CudaKernel> = {
  softmax: softmaxKernel,
  logSoftmax: softmaxKernel,
  batchNorm: batchNormKernel,
};
