import type { GlobalPoolInfo, Pool2dInfo } from '../../../ops/pool2d.js';
import { allFloat32, withContiguousF32, type CpuKernel } from './kernel.js';

/** pool_binding.cc's params order; every entry must be < 2^31. */
function poolParams(i: Pool2dInfo): number[] {
  const w = i.window;
  return [
    i.N, i.C, i.H, i.W, i.OH, i.OW, w.kernel[0]!, w.kernel[1]!, w.strides[0]!, w.strides[1]!,
    w.pads[0]!, w.pads[1]!, w.pads[2]!, w.pads[3]!, w.dilations[0]!, w.dilations[1]!, i.countIncludePad ? 1 : 0,
  ];
}

const fitsParams = (i: Pool2dInfo) => poolParams(i).every((p) => p < 2 ** 31);

/** float32 NCHW; indices only in row-major order (storageOrder 0). */
const maxPool2dKernel: CpuKernel<unknown, Pool2dInfo> = {
  accepts: (info, inputs) => allFloat32(inputs) && fitsParams(info) && (!info.returnIndices || info.storageOrder === 0),
  run(addon, info, [x], [y, indices], _attrs, sync) {
    return withContiguousF32(addon, x!, sync, (xs) =>
      addon.maxPool2d(poolParams(info), xs, y as Float32Array, (indices as BigInt64Array | undefined) ?? null, sync));
  },
};

const avgPool2dKernel: CpuKernel<unknown, Pool2dInfo> = {
  accepts: (info, inputs) => allFloat32(inputs) && fitsParams(info),
  run(addon, info, [x], [y], _attrs, sync) {
    return withContiguousF32(addon, x!, sync, (xs) => addon.avgPool2d(poolParams(info), xs, y as Float32Array, sync));
  },
};

const globalPoolKernel: CpuKernel<unknown, GlobalPoolInfo> = {
  accepts: (_info, inputs) => allFloat32(inputs),
  run(addon, info, [x], [y], _attrs, sync) {
    return withContiguousF32(addon, x!, sync, (xs) => addon.globalPool(info.isMax, info.nc, info.spatial, xs, y as Float32Array, sync));
  },
};

/** Native CPU kernels for the pool ops, by op name. */
export const poolKernels: Record<string, CpuKernel> = {
  maxPool2d: maxPool2dKernel,
  avgPool2d: avgPool2dKernel,
  globalAvgPool: globalPoolKernel,
  globalMaxPool: globalPoolKernel,
};
