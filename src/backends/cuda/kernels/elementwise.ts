// Binary (broadcasting, through strides), unary and clip on kernels/cuda/elementwise.cu.
import { BINARY_CODE, type BinaryInfo, type BinaryName } from '../../../ops/binary.js';
import { UNARY_CODE, type ClipInfo, type UnaryInfo } from '../../../ops/unary.js';
import { broadcastStrides } from '../../../shape.js';
import { all, allFloat32, rankAtMost, type CudaKernel } from '../kernel.js';

function binaryKernel(name: BinaryName): CudaKernel<BinaryInfo> {
  const code = BINARY_CODE[name];
  return {
    supports: (info, inputs) => all(allFloat32(name, inputs), rankAtMost(name, [...inputs, { shape: info.shape, dtype: info.dtype }])),
    async run(ctx, info, [a, b], [y]) {
      const ar = ctx.ref(a!), br = ctx.ref(b!), yr = ctx.ref(y!);
      await ctx.addon.cudaBinary(ctx.device, code, info.shape, ar.id, ar.offset, broadcastStrides(a!.shape, a!.strides, info.shape),
        br.id, br.offset, broadcastStrides(b!.shape, b!.strides, info.shape), yr.id, yr.offset);
    },
  };
}

/** A strided input is gathered first (the kernel reads contiguous elements). */
const unaryKernel: CudaKernel<UnaryInfo> = {
  supports: (info, inputs) => all(allFloat32(info.op, inputs), rankAtMost(info.op, inputs)),
  async run(ctx, info, [x], [y]) {
    const xr = await ctx.contiguous(x!), yr = ctx.ref(y!);
    await ctx.addon.cudaUnary(ctx.device, info.code, xr.id, xr.offset, y!.size, yr.id, yr.offset);
  },
};

const clipKernel: CudaKernel<ClipInfo> = {
  supports: (_info, inputs) => all(allFloat32('clip', inputs), rankAtMost('clip', inputs)),
  async run(ctx, info, [x], [y]) {
    const xr = await ctx.contiguous(x!), yr = ctx.ref(y!);
    await ctx.addon.cudaClip(ctx.device, xr.id, xr.offset, y!.size, info.min, info.max, yr.id, yr.offset);
  },
};

export const elementwiseKernels: Record<string, CudaKernel> = {
  ...Object.fromEntries((Object.keys(BINARY_CODE) as BinaryName[]).map((n) => [n, binaryKernel(n)])),
  ...Object.fromEntries(Object.keys(UNARY_CODE).map((n) => [n, unaryKernel])),
  clip: clipKernel,
};
