import { broadcastStrides } from '../../../shape.js';
import { BINARY_CODE, type BinaryInfo, type BinaryName } from '../../../ops/binary.js';
import type { ClipInfo } from '../../../ops/unary.js';
import { UNARY_CODE, type UnaryInfo } from '../../../ops/unary.js';
import { allFloat32, contiguousF32, type CpuKernel } from './kernel.js';

/** The native binary kernel walks up to 16 dims. */
const MAX_RANK = 16;

/**
 * Exact in a JS loop: a float32 sum, difference, product or quotient computed in float64 and
 * stored to float32 is the correctly rounded float32 result, as the native kernel's.
 */
const JS_EXACT: Partial<Record<BinaryName, (a: number, b: number) => number>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
};

/** At most this many outputs run in a JS loop: below it the addon call's argument parsing costs more than the work. */
const JS_MAX_ELEMENTS = 256;

/** float32, any strides: broadcast and transposed views go straight in (0 strides on broadcast axes), no copies. */
function binaryKernel(name: BinaryName): CpuKernel<unknown, BinaryInfo> {
  const js = JS_EXACT[name];
  return {
    accepts: (info, inputs) => allFloat32(inputs) && info.shape.length <= MAX_RANK,
    run(addon, info, [a, b], [y], _attrs, sync) {
      const as = broadcastStrides(a!.shape, a!.strides, info.shape);
      const bs = broadcastStrides(b!.shape, b!.strides, info.shape);
      const out = y as Float32Array;
      if (js && sync && out.length <= JS_MAX_ELEMENTS) {
        return stridedBinary(js, info.shape, a!.data as Float32Array, a!.offset, as, b!.data as Float32Array, b!.offset, bs, out);
      }
      return addon.binary(BINARY_CODE[name], info.shape, a!.data as Float32Array, a!.offset, as,
        b!.data as Float32Array, b!.offset, bs, out, sync);
    },
  };
}

/** y[i] = fn(a, b) over the output shape, row-major, walking both inputs by their (broadcast) strides. */
function stridedBinary(fn: (a: number, b: number) => number, shape: readonly number[], a: Float32Array, aOff: number, as: readonly number[],
  b: Float32Array, bOff: number, bs: readonly number[], y: Float32Array): undefined {
  const rank = shape.length;
  if (rank === 0) {
    y[0] = fn(a[aOff]!, b[bOff]!);
    return undefined;
  }
  const inner = shape[rank - 1]!, sa = as[rank - 1]!, sb = bs[rank - 1]!;
  const idx = rank > 1 ? new Array<number>(rank - 1).fill(0) : undefined;
  let ia = aOff, ib = bOff;
  for (let o = 0; o < y.length; o += inner) {
    for (let j = 0, pa = ia, pb = ib; j < inner; j++, pa += sa, pb += sb) y[o + j] = fn(a[pa]!, b[pb]!);
    // Next row: an odometer over the outer dims.
    for (let d = rank - 2; d >= 0; d--) {
      ia += as[d]!;
      ib += bs[d]!;
      if (++idx![d]! < shape[d]!) break;
      ia -= as[d]! * shape[d]!;
      ib -= bs[d]! * shape[d]!;
      idx![d] = 0;
    }
  }
  return undefined;
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
