import { broadcastStrides } from '../../../shape.js';
import { BINARY_CODE, type BinaryInfo, type BinaryName } from '../../../ops/binary.js';
import type { ClipInfo } from '../../../ops/unary.js';
import { UNARY_CODE, type UnaryInfo } from '../../../ops/unary.js';
import type { StridedView } from '../../../tensor.js';
import { allFloat32, withContiguousF32, type CpuKernel } from './kernel.js';

/** The native binary kernel walks up to 16 dims. */
const MAX_RANK = 16;

/** float32, any strides: broadcast and transposed views go straight in (0 strides on broadcast axes), no copies. */
function binaryKernel(name: BinaryName): CpuKernel<unknown, BinaryInfo> {
  const code = BINARY_CODE[name];
  return {
    accepts: (info, inputs) => allFloat32(inputs) && info.shape.length <= MAX_RANK,
    run(addon, info, [a, b], [y], _attrs, sync) {
      const { as, bs } = inputStrides(info, a!, b!);
      const out = y as Float32Array;
      return addon.binary(code, info.shape, a!.data as Float32Array, a!.offset, as,
        b!.data as Float32Array, b!.offset, bs, out, sync);
    },
  };
}

/** Broadcast strides of both inputs, kept per info: a compiled step sees the same input strides every run. */
const stridesOf = new WeakMap<BinaryInfo, { a: readonly number[]; b: readonly number[]; as: number[]; bs: number[] }>();

function inputStrides(info: BinaryInfo, a: StridedView, b: StridedView): { as: number[]; bs: number[] } {
  const c = stridesOf.get(info);
  if (c && sameNumbers(c.a, a.strides) && sameNumbers(c.b, b.strides)) return c;
  const fresh = { a: a.strides, b: b.strides, as: broadcastStrides(a.shape, a.strides, info.shape), bs: broadcastStrides(b.shape, b.strides, info.shape) };
  stridesOf.set(info, fresh);
  return fresh;
}

function sameNumbers(x: readonly number[], y: readonly number[]): boolean {
  if (x === y) return true;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** float32; a strided input is gathered first (the kernel reads contiguous elements). */
const unaryKernel: CpuKernel<unknown, UnaryInfo> = {
  accepts: (_info, inputs) => allFloat32(inputs),
  run(addon, info, [x], [y], _attrs, sync) {
    const out = y as Float32Array;
    return withContiguousF32(addon, x!, sync, (xs) => addon.unary(info.code, xs, 0, out.length, out, sync));
  },
};

const clipKernel: CpuKernel<unknown, ClipInfo> = {
  accepts: (_info, inputs) => allFloat32(inputs),
  run(addon, info, [x], [y], _attrs, sync) {
    const out = y as Float32Array;
    return withContiguousF32(addon, x!, sync, (xs) => addon.clip(xs, 0, out.length, info.min, info.max, out, sync));
  },
};

/** Native CPU kernels for the elementwise ops, by op name. */
export const elementwiseKernels: Record<string, CpuKernel> = {
  ...Object.fromEntries((Object.keys(BINARY_CODE) as BinaryName[]).map((n) => [n, binaryKernel(n)])),
  ...Object.fromEntries(Object.keys(UNARY_CODE).map((n) => [n, unaryKernel])),
  clip: clipKernel,
};
