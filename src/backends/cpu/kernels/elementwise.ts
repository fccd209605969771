import { broadcastStrides } from '../../../shape.js';
import { BINARY_CODE, type BinaryInfo, type BinaryName } from '../../../ops/binary.js';
import type { ClipInfo } from '../../../ops/unary.js';
import { UNARY_CODE, type UnaryInfo } from '../../../ops/unary.js';
import { allFloat32, contiguousF32, type CpuKernel } from './kernel.js';

/** The native binary kernel walks up to 16 dims. */
const MAX_RANK = 16;

/** float32, any strides: broadcast and transposed views go straight in (0 strides on broadcast axes), no copies. */
function binaryKernel(name: BinaryName): CpuKernel<unknown, BinaryInfo> {
  return {
    accepts: (info, inputs) => allFloat32(inputs) && info.shape.length <= MAX_RANK,
    run(addon, info, [a, b], [y], _attrs, sync) {
      const as = broadcastStrides(a!.shape, a!.strides, info.shape);
      const bs = broadcastStrides(b!.shape, b!.strides, info.shape);
      return addon.binary(BINARY_CODE[name], info.shape, a!.data as Float32Array, a!.offset, as,
        b!.data as Float32Array, b!.offset, bs, y as Float32Array, sync);
    },
  };
}

/** float32; a strided input is gathered first (the kernel reads contiguous elements). */
const unaryKernel: CpuKernel<unknown, UnaryInfo> = {
  accepts: (_info, inputs) => allFloat32(inputs),
  run(addon, info, [x], [y], _attrs, sync) {
    const out = y as Float32Array;
    return contiguousF32(addon, x!, sync).then((xs) => addon.unary(info.code, xs, 0, out.length, out, sync));
  },
};

const clipKernel: CpuKernel<unknown, ClipInfo> = {
  accepts: (_info, inputs) => allFloat32(inputs),
  run(addon, info, [x], [y], _attrs, sync) {
    const out = y as Float32Array;
    return contiguousF32(addon, x!, sync).then((xs) => addon.clip(xs, 0, out.length, info.min, info.max, out, sync));
  },
};

/** Native CPU kernels for the elementwise ops, by op name. */
export const elementwiseKernels: Record<string, CpuKernel> = {
  ...Object.fromEntries((Object.keys(BINARY_CODE) as BinaryName[]).map((n) => [n, binaryKernel(n)])),
  ...Object.fromEntries(Object.keys(UNARY_CODE).map((n) => [n, unaryKernel])),
  clip: clipKernel,
};
