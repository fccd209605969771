// conv2d on the CUDA implicit GEMM (kernels/cuda/conv2d.cu); bias and a fused relu ride in the epilogue.
import type { Conv2dInfo } from '../../../ops/conv2d.js';
import { UNARY_CODE } from '../../../ops/unary.js';
import { ACTIVATION_CODE, all, allFloat32, no, ok, type CudaKernel } from '../kernel.js';

function params(info: Conv2dInfo): number[] {
  const w = info.window;
  return [
    info.N, info.C, info.H, info.W, info.M, info.OH, info.OW, info.KH, info.KW,
    w.strides[0]!, w.strides[1]!, w.pads[0]!, w.pads[1]!, w.pads[2]!, w.pads[3]!, w.dilations[0]!, w.dilations[1]!, info.groups,
  ];
}

export const conv2dKernel: CudaKernel<Conv2dInfo> = {
  supports: (info, inputs) => all(allFloat32('conv2d', inputs),
    params(info).every((p) => p < 2 ** 31) ? ok : no('conv2d on cuda takes dims and attributes below 2^31')),
  async run(ctx, info, [x, w, bias], [y]) {
    // The kernel reads row-major x, w and bias: views are gathered first (a no-op for the usual case).
    const [xr, wr, br] = await Promise.all([ctx.contiguous(x!), ctx.contiguous(w!), bias ? ctx.contiguous(bias) : undefined]);
    const yr = ctx.ref(y!);
    // relu rides in the epilogue; gelu and sigmoid run in place right after (elementwise.cu).
    const after = info.activation === 'gelu' || info.activation === 'sigmoid' ? UNARY_CODE[info.activation] : undefined;
    const act = after === undefined ? ACTIVATION_CODE[info.activation as 'none' | 'relu'] : 0;
    await ctx.addon.cudaConv2d(ctx.device, params(info), act, xr.id, xr.offset, wr.id, wr.offset,
      br?.id ?? -1, br?.offset ?? 0, yr.id, yr.offset);
    if (after !== undefined) await ctx.addon.cudaUnary(ctx.device, after, yr.id, yr.offset, info.N * info.M * info.OH * info.OW, yr.id, yr.offset);
  },
};
