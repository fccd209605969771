import type { ArgReduceAttrs, ArgReduceInfo } from '../../../ops/argReduce.js';
import { REDUCE_KINDS, reduceOps, type ReduceAttrs, type ReduceInfo, type ReduceKind } from '../../../ops/reduce.js';
import type { StridedView } from '../../../tensor.js';
import { cpuRecording } from '../recorder.js';
import { nativeStridedF32, type CpuKernel } from './kernel.js';

/** kernels/cpu/reduce.h ReduceOp codes. */
const REDUCE_CODE: Record<ReduceKind, number> = {
  sum: 0, mean: 1, max: 2, min: 3, prod: 4, sumSquare: 5, l1: 6, l2: 7, logSumExp: 8, logSum: 9,
};

/** Any float32 view is reduced in place through its strides (no gather); the noop case is a strided copy. */
const reduceKernel: CpuKernel<ReduceAttrs, ReduceInfo> = {
  accepts: (_info, [x]) => nativeStridedF32(x),
  run(addon, info, [x0], [y], _attrs, sync) {
    const x = x0!;
    const out = y as Float32Array;
    if (info.identity) return addon.copyStrided(x.shape, x.strides, x.offset, x.data, out, sync);
    const done = addon.reduce(REDUCE_CODE[info.kind], x.shape, x.strides, x.offset, x.data as Float32Array, info.mask, out, sync);
    if (info.kind !== 'l2') return done;
    if (typeof sync !== 'boolean') cpuRecording.tainted = 'l2 checks its results in JS'; // a replay would skip rescueL2
    return done ? done.then(() => rescueL2(info, x, out)) : rescueL2(info, x, out);
  },
};

/**
 * The native l2 sums float32 squares, which overflow (or underflow) although the norm itself
 * fits in float32 (|x| > ~1e19 or < ~1e-19). Outputs that come out infinite or zero are
 * recomputed by the float64 reference; in-range inputs never take this path.
 */
function rescueL2(info: ReduceInfo, x: StridedView, out: Float32Array): undefined {
  let suspect = false;
  for (let i = 0; i < out.length && !suspect; i++) suspect = out[i] === 0 || out[i] === Infinity;
  if (suspect) {
    const exact = new Float64Array(out.length);
    reduceOps.l2.reference(info, [x], [exact]);
    out.set(exact);
  }
  return undefined;
}

const argReduceKernel: CpuKernel<ArgReduceAttrs, ArgReduceInfo> = {
  accepts: (_info, [x]) => nativeStridedF32(x),
  run(addon, info, [x0], [y], _attrs, sync) {
    const x = x0!;
    return addon.argReduce(info.isMax, info.selectLastIndex, x.shape, x.strides, x.offset, x.data as Float32Array, info.axis, y as BigInt64Array, sync);
  },
};

/** Native CPU kernels for the reduce ops, by op name. */
export const reduceKernels: Record<string, CpuKernel> = {
  ...Object.fromEntries(REDUCE_KINDS.map((k) => [k, reduceKernel])),
  argmax: argReduceKernel,
  argmin: argReduceKernel,
};
