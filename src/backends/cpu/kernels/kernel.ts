import type { NativeAddon, RunMode } from '../../../native.js';
import type { OpInfo } from '../../../ops/op.js';
import type { StridedView } from '../../../tensor.js';

/** A native CPU kernel for one op: `accepts` must match exactly what `run` handles. */
export interface CpuKernel<A = any, I extends OpInfo = any> {
  accepts(info: I, inputs: readonly (StridedView | undefined)[], attrs: A): boolean;
  /** sync: run inline (tiny work) instead of on a worker thread. */
  run(addon: NativeAddon, info: I, inputs: readonly (StridedView | undefined)[], outputs: readonly Float32Array[] | readonly ArrayBufferView[], attrs: A, sync: RunMode): Promise<void> | undefined;
}

export function allFloat32(inputs: readonly (StridedView | undefined)[]): boolean {
  for (const v of inputs) if (v !== undefined && v.dtype !== 'float32') return false;
  return true;
}

/** What the native strided kernels take: float32, rank <= 16, non-negative strides (the binding's checks). */
export function nativeStridedF32(v: StridedView | undefined): boolean {
  return v !== undefined && v.dtype === 'float32' && v.shape.length <= 16 && v.strides.every((s) => s >= 0);
}

export const ACTIVATION_CODE = { none: 0, relu: 1 } as const;

/** A contiguous float32 array holding the view's elements: the storage itself when already row-major from 0. */
export async function contiguousF32(addon: NativeAddon, v: StridedView, sync: RunMode): Promise<Float32Array> {
  const data = v.data as Float32Array;
  let n = 1;
  for (const d of v.shape) n *= d;
  if (isRowMajor(v) && v.offset === 0 && data.length === n) return data;
  if (isRowMajor(v)) return data.subarray(v.offset, v.offset + n);
  const out = new Float32Array(n);
  await addon.copyStrided(v.shape, v.strides, v.offset, data, out, sync);
  return out;
}

/**
 * Runs `launch` on the view's elements as one contiguous float32 array: at once when the view is
 * row-major already (so a tiny inline kernel returns no promise), else after a strided gather.
 */
export function withContiguousF32(addon: NativeAddon, v: StridedView, sync: RunMode,
  launch: (xs: Float32Array) => Promise<void> | undefined): Promise<void> | undefined {
  if (!isRowMajor(v)) return contiguousF32(addon, v, sync).then(launch);
  const data = v.data as Float32Array;
  let n = 1;
  for (const d of v.shape) n *= d;
  return launch(v.offset === 0 && data.length === n ? data : data.subarray(v.offset, v.offset + n));
}

export function isRowMajor(v: StridedView): boolean {
  let expected = 1;
  for (let i = v.shape.length - 1; i >= 0; i--) {
    if (v.shape[i] !== 1 && v.strides[i] !== expected) return false;
    expected *= v.shape[i]!;
  }
  return true;
}
