import { halfBitsToFloat32, isFloatDType, type DType, type TypedArray } from '../../src/dtype.js';

/** ONNX's backend test runner defaults (onnx/backend/test/runner): assert_allclose(rtol=1e-3, atol=1e-7). */
export const ONNX_RTOL = 1e-3;
export const ONNX_ATOL = 1e-7;

export interface Expected {
  dtype: DType;
  shape: readonly number[];
  data: TypedArray;
}

/**
 * Compares like numpy.testing.assert_allclose (NaN equals NaN) for floats and exact equality for
 * integers and bools; dtype and shape must match. Returns a description of the first mismatch, or undefined.
 */
export function compareOutput(actual: Expected, expected: Expected, rtol = ONNX_RTOL, atol = ONNX_ATOL): string | undefined {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    return `shape [${actual.shape.join(',')}], expected [${expected.shape.join(',')}]`;
  }
  if (actual.data.length !== expected.data.length) return `${actual.data.length} elements, expected ${expected.data.length}`;
  const a = actual.data as unknown as ArrayLike<number | bigint>;
  const e = expected.data as unknown as ArrayLike<number | bigint>;
  if (!isFloatDType(expected.dtype)) {
    for (let i = 0; i < e.length; i++) {
      if (a[i] !== e[i]) return `element ${i} is ${a[i]}, expected ${e[i]} (exact)`;
    }
    return undefined;
  }
  const read = expected.dtype === 'float16' ? (v: number | bigint) => halfBitsToFloat32(v as number) : (v: number | bigint) => Number(v);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < e.length; i++) {
    const x = read(a[i]!), y = read(e[i]!);
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return `element ${i} is ${x}, expected ${y}`;
      continue;
    }
    if (x === y) continue; // equal infinities too
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) return `element ${worst} is ${read(a[worst]!)}, expected ${read(e[worst]!)} (rtol ${rtol}, atol ${atol})`;
  return undefined;
}
