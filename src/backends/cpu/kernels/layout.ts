import { allocate, bytesPerElement, type TypedArray } from '../../../dtype.js';
import { permuted, type ConcatInfo, type LayoutInfo, type TransposeInfo } from '../../../ops/layout.js';
import type { NativeAddon, RunMode } from '../../../native.js';
import { sizeOf } from '../../../shape.js';
import type { StridedView } from '../../../tensor.js';
import type { CpuKernel } from './kernel.js';

/** copyStrided moves 4- or 8-byte elements (float32, int32, uint32, float64, int64, uint64) over up to 16 dims. */
function copyable(v: StridedView | undefined): boolean {
  return v !== undefined && (bytesPerElement(v.dtype) === 4 || bytesPerElement(v.dtype) === 8) && v.shape.length <= 16;
}

type MaybePromise = Promise<void> | undefined;
/** Runs native steps one after another, inline when sync (each step returns undefined then). */
function chain(steps: readonly (() => MaybePromise)[]): MaybePromise {
  let done: MaybePromise;
  for (const step of steps) done = done ? done.then(step) : step();
  return done;
}

/** A typed array's elements [from, to) without copying (every TypedArray has subarray). */
const range = (a: TypedArray, from: number, to: number): ArrayBufferView => (a as Float32Array).subarray(from, to);

const gather = (addon: NativeAddon, v: StridedView, y: ArrayBufferView, sync: RunMode) =>
  addon.copyStrided(v.shape, v.strides, v.offset, v.data, y, sync);

/** reshape/flatten/squeeze/unsqueeze of a strided input: the row-major gather of the input. */
const rowMajorKernel: CpuKernel<unknown, LayoutInfo> = {
  accepts: (_info, [x]) => copyable(x),
  run: (addon, _info, [x], [y], _attrs, sync) => gather(addon, x!, y!, sync),
};

const transposeKernel: CpuKernel<unknown, TransposeInfo> = {
  accepts: (_info, [x]) => copyable(x),
  run: (addon, info, [x], [y], _attrs, sync) => gather(addon, permuted(x!, info.perm), y!, sync),
};

/**
 * Each part is gathered into its slot. Joining along the first non-trivial axis makes each slot a
 * contiguous range of y; otherwise the parts are gathered into a buffer laid out [axis, outer, inner]
 * (contiguous slots again) and that buffer is gathered into y: one extra pass, no per-row calls.
 */
const concatKernel: CpuKernel<unknown, ConcatInfo> = {
  accepts: (_info, inputs) => inputs.every(copyable),
  run(addon, info, inputs, [y0], _attrs, sync) {
    const { axis, shape } = info;
    const outer = sizeOf(shape.slice(0, axis)), inner = sizeOf(shape.slice(axis + 1)), total = shape[axis]!;
    const direct = outer === 1;
    const buffer = direct ? (y0 as TypedArray) : allocate(info.dtype, sizeOf(shape));
    const steps: (() => MaybePromise)[] = [];
    let start = 0;
    inputs.forEach((x, p) => {
      const len = info.sizes[p]! * outer * inner;
      const from = start * outer * inner;
      // The part with its axis moved first: row-major in that order is its slot in the buffer.
      const part = permuted(x!, [axis, ...x!.shape.map((_, k) => k).filter((k) => k !== axis)]);
      if (len > 0) steps.push(() => gather(addon, direct ? x! : part, range(buffer, from, from + len), sync));
      start += info.sizes[p]!;
    });
    if (!direct) {
      // buffer [total, outer, inner] read as [outer, total, inner].
      const bufView = { shape: [outer, total, inner], strides: [inner, outer * inner, 1], offset: 0 };
      steps.push(() => addon.copyStrided(bufView.shape, bufView.strides, 0, buffer, y0!, sync));
    }
    return chain(steps);
  },
};

/** Native CPU kernels for the layout ops, by op name. */
export const layoutKernels: Record<string, CpuKernel> = {
  reshape: rowMajorKernel,
  flatten: rowMajorKernel,
  squeeze: rowMajorKernel,
  unsqueeze: rowMajorKernel,
  transpose: transposeKernel,
  concat: concatKernel,
};
