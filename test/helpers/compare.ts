import { allocate, isFloatDType, type TypedArray } from '../../src/dtype.js';
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
