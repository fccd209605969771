import type { BatchNormAttrs, BatchNormInfo } from '../../../ops/batchNorm.js';
import type { SoftmaxAttrs, SoftmaxInfo } from '../../../ops/softmax.js';
import { contiguousF32, nativeStridedF32, type CpuKernel } from './kernel.js';

// Both kernels read row-major inputs: views are gathered first (no copy for the usual contiguous case).

const softmaxKernel: CpuKernel<SoftmaxAttrs, SoftmaxInfo> = {
  accepts: (_info, [x]) => nativeStridedF32(x),
  run(addon, info, [x], [y], _attrs, sync) {
    return (async () => {
      const xs = await contiguousF32(addon, x!, sync);
      await addon.softmax(info.outer, info.axisLength, info.inner, xs, 0, y as Float32Array, info.log, sync);
    })();
  },
};

const batchNormKernel: CpuKernel<BatchNormAttrs, BatchNormInfo> = {
  accepts: (_info, inputs) => inputs.every(nativeStridedF32),
  run(addon, info, inputs, [y], _attrs, sync) {
    return (async () => {
      const [x, scale, bias, mean, variance] = await Promise.all(inputs.map((v) => contiguousF32(addon, v!, sync)));
      await addon.batchnorm(info.N, info.C, info.spatial, x!, scale!, bias!, mean!, variance!, info.epsilon, y as Float32Array, sync);
    })();
  },
};

/** Native CPU kernels for the normalization ops, by op name. */
export const normalizationKernels: Record<string, CpuKernel> = {
  softmax: softmaxKernel,
  logSoftmax: softmaxKernel,
  batchNorm: batchNormKernel,
};
