// reshape-like ops, transpose and concat as strided device copies (kernels/cuda/copy.cu), any dtype.
import { bytesPerElement } from '../../../dtype.js';
import { permuted, type ConcatInfo, type LayoutInfo, type TransposeInfo } from '../../../ops/layout.js';
import { contiguousStrides } from '../../../shape.js';
import { rankAtMost, type CudaKernel } from '../kernel.js';

/** reshape/flatten/squeeze/unsqueeze: the row-major gather of the input. */
const rowMajorKernel: CudaKernel<LayoutInfo> = {
  supports: (_info, inputs) => rankAtMost('reshape', inputs),
  async run(ctx, _info, [x], [y]) {
    const xr = ctx.ref(x!), yr = ctx.ref(y!);
    await ctx.addon.cudaCopy(ctx.device, bytesPerElement(x!.dtype), x!.shape, x!.strides, xr.id, xr.offset, contiguousStrides(x!.shape), yr.id, yr.offset);
  },
};

const transposeKernel: CudaKernel<TransposeInfo> = {
  supports: (_info, inputs) => rankAtMost('transpose', inputs),
  async run(ctx, info, [x], [y]) {
    const v = permuted({ shape: x!.shape, strides: x!.strides }, info.perm);
    const xr = ctx.ref(x!), yr = ctx.ref(y!);
    await ctx.addon.cudaCopy(ctx.device, bytesPerElement(x!.dtype), v.shape, v.strides, xr.id, xr.offset, contiguousStrides(v.shape), yr.id, yr.offset);
  },
};

/** Each part is copied into its slot of y: y's strides, offset by the part's start along the axis. */
const concatKernel: CudaKernel<ConcatInfo> = {
  supports: (info, inputs) => rankAtMost('concat', [...inputs, { shape: info.shape, dtype: info.dtype }]),
  async run(ctx, info, inputs, [y]) {
    const yStrides = contiguousStrides(info.shape), yr = ctx.ref(y!);
    let start = 0;
    const copies: Promise<void>[] = [];
    inputs.forEach((x, p) => {
      const size = info.sizes[p]!;
      if (x && x.size > 0) {
        const xr = ctx.ref(x);
        copies.push(ctx.addon.cudaCopy(ctx.device, bytesPerElement(x.dtype), x.shape, x.strides, xr.id, xr.offset, yStrides, yr.id,
          yr.offset + start * yStrides[info.axis]!));
      }
      start += size;
    });
    await Promise.all(copies);
  },
};

export const layoutKernels: Record<string, CudaKernel> = {
  reshape: rowMajorKernel,
  flatten: rowMajorKernel,
  squeeze: rowMajorKernel,
  unsqueeze: rowMajorKernel,
  transpose: transposeKernel,
  concat: concatKernel,
};
