import { allocate, halfBitsToFloat32, isFloatDType, type TypedArray } from '../../src/dtype.js';
import type { OpDef, OpInfo } from '../../src/ops/op.js';
import type { Tensor, TensorMeta } from '../../src/tensor.js';

/**
 * Runs the op's TS reference kernel on host copies of the inputs. Float outputs are
 * kept in float64 (the reference accumulates in float64), so they are the oracle.
 */
export function referenceOutputs<A, I extends OpInfo>(op: OpDef<A, I>, inputs: readonly (Tensor | undefined)[], attrs: A): { info: I; outputs: TypedArray[] } {
  const metas = inputs.map((t) => t && ({ shape: t.shape, dtype: t.dtype } as TensorMeta));
  const info = op.infer(metas, attrs);
  const views = inputs.map((t) => t?.view());
  const outputs = info.outputs.map((m) => {
    const n = m.shape.reduce((a, b) => a * b, 1);
    return isFloatDType(m.dtype) && m.dtype !== 'float16' ? new Float64Array(n) : allocate(m.dtype, n);
  });
  op.reference(info, views, outputs);
  return { info, outputs };
}

/**
 * The oracle for float16 kernels: the reference on the same (float16) inputs, its output kept in
 * float64 instead of rounded to float16, so that a test sees the kernel's whole error.
 */
export function exactReference<A, I extends OpInfo & { dtype: string }>(op: OpDef<A, I>, inputs: readonly (Tensor | undefined)[], attrs: A): { info: I; output: Float64Array } {
  const metas = inputs.map((t) => t && ({ shape: t.shape, dtype: t.dtype } as TensorMeta));
  const info = op.infer(metas, attrs);
  const output = new Float64Array(info.outputs[0]!.shape.reduce((a, b) => a * b, 1));
  op.reference({ ...info, dtype: 'float64' }, inputs.map((t) => t?.view()), [output]);
  return { info, output };
}

/** float16 bits (Uint16Array, as float16 tensors hold them) as numbers. */
export function fromHalf(bits: ArrayLike<number>): number[] {
  return Array.from(bits, halfBitsToFloat32);
}

/**
 * float16 GEMM-like kernels (float16 inputs, products summed in float32, the result rounded once to
 * float16), for inputs in [-1, 1] summing `terms` products: the float32 sum's error as for float32
 * kernels (4e-7 per term), then the rounding, which WGSL lets go to either neighbour (no fixed rounding
 * mode): under one ulp, 2^-10 of the magnitude; and 2^-14 (the smallest normal) where subnormal
 * results may be flushed to zero.
 */
export const float16Tol = (terms: number): Tolerance => ({ atol: 4e-7 * Math.max(terms, 1) + 2 ** -14, rtol: 2 ** -10 });

export interface Tolerance {
  /** Absolute tolerance. */
  atol: number;
  /** Relative tolerance, against |expected|. */
  rtol: number;
}

/** Asserts |actual - expected| <= atol + rtol * |expected| elementwise; NaN must match NaN, infinities must match. */
export function expectClose(actual: ArrayLike<number | bigint>, expected: ArrayLike<number | bigint>, tol: Tolerance, label = ''): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length} != expected ${expected.length}`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = Number(actual[i]), e = Number(expected[i]);
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a)) { worst = i; worstErr = Infinity; break; }
      continue;
    }
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (a !== e) { worst = i; worstErr = Infinity; break; }
      continue;
    }
    const err = Math.abs(a - e) - (tol.atol + tol.rtol * Math.abs(e));
    if (err > 0 && err > worstErr) { worst = i; worstErr = err; }
  }
  if (worst >= 0) {
    throw new Error(`${label}: element ${worst} is ${Number(actual[worst])}, expected ${Number(expected[worst])} (atol ${tol.atol}, rtol ${tol.rtol})`);
  }
}

/** Largest |x| in an array (for scaling tolerances). */
export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}
