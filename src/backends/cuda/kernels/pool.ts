// maxPool2d / avgPool2d on kernels/cuda/pool2d.cu (NCHW, row-major input; views gathered first).
import type { Pool2dInfo } from '../../../ops/pool2d.js';
import { all, allFloat32, no, ok, type CudaKernel } from '../kernel.js';

/** cuda_kernels_binding.cc's params order (the CPU pool kernels' order); every entry < 2^31. */
function params(i: Pool2dInfo): number[] {
  const w = i.window;
  return [
    i.N, i.C, i.H, i.W, i.OH, i.OW, w.kernel[0]!, w.kernel[1]!, w.strides[0]!, w.strides[1]!,
    w.pads[0]!, w.pads[1]!, w.pads[2]!, w.pads[3]!, w.dilations[0]!, w.dilations[1]!, i.countIncludePad ? 1 : 0,
  ];
}

const pool2dKernel: CudaKernel<Pool2dInfo> = {
  supports: (info, inputs) => all(allFloat32(info.isMax ? 'maxPool2d' : 'avgPool2d', inputs),
    params(info).every((p) => p < 2 ** 31) ? ok : no('pool on cuda takes dims and attributes below 2^31'),
    !info.returnIndices || info.storageOrder === 0 ? ok : no('maxPool2d on cuda returns indices in row-major order only (storageOrder 0)')),
  async run(ctx, info, [x], [y, indices]) {
    const xr = await ctx.contiguous(x!), yr = ctx.ref(y!), ir = indices ? ctx.ref(indices) : undefined;
    await ctx.addon.cudaPool2d(ctx.device, params(info), info.isMax, xr.id, xr.offset, yr.id, yr.offset, ir?.id ?? -1, ir?.offset ?? 0);
  },
};

export const poolKernels: Record<string, CudaKernel> = {
  maxPool2d: pool2dKernel,
  avgPool2d: pool2dKernel,
};
