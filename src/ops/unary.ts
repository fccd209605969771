import { bytesPerElement, isBigIntDType, isIntegerDType, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { sizeOf } from '../shape.js';
import { knownKeys, number, oneOf, requireFloat, requireInput, requireNumeric } from './attrs.js';
import { defineOp, outputOf, rawReader, storeNumber, stridedWalk, type OpDef, type OpInfo } from './op.js';

/** Native UnaryOp codes (kernels/cpu/elementwise.h); gelu with approximate 'tanh' is gelu_tanh (4). */
export const UNARY_CODE = {
  relu: 0, sigmoid: 1, tanh: 2, gelu: 3, exp: 5, log: 6, abs: 7, neg: 8, sqrt: 9, erf: 10, reciprocal: 11,
} as const;
export type UnaryName = keyof typeof UNARY_CODE;

export interface UnaryAttrs {
  device?: string;
}

export interface GeluAttrs extends UnaryAttrs {
  /** ONNX Gelu: 'none' (exact, with erf) or 'tanh' (the tanh approximation). */
  approximate?: 'none' | 'tanh';
}

export interface UnaryInfo extends OpInfo {
  readonly op: UnaryName;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The native UnaryOp code (gelu resolved to gelu/gelu_tanh). */
  readonly code: number;
}

/** erf in float64 (|error| ~1e-15): erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1)), all terms positive. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x); // erfc(6) < 3e-17
  let term = ax, sum = ax;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= (2 * ax * ax) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-ax * ax) * sum;
}

/** erfc in float64 without cancellation for large x: continued fraction e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))). */
export function erfc(x: number): number {
  if (!(x >= 2)) return 1 - erf(x); // x < 2 or NaN: erfc(2) = 0.0047, so at most ~2e-14 relative error
  let f = x;
  for (let n = 200; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
type Fn = (v: number) => number;
/** The float64 reference of each unary op (also used by fused epilogues). */
export const UNARY_FNS: Readonly<Record<UnaryName, Fn>> = {
  relu: (v) => (v < 0 ? 0 : v),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: Math.tanh,
  // 0.5 x (1 + erf(x / sqrt 2)), written with erfc so the negative tail keeps its relative accuracy.
  gelu: (v) => 0.5 * v * erfc(-v / Math.SQRT2),
  exp: Math.exp,
  log: Math.log,
  abs: Math.abs,
  neg: (v) => -v,
  sqrt: Math.sqrt,
  erf,
  reciprocal: (v) => 1 / v,
};
// 0.5 x (1 + tanh(u)) is exactly x * sigmoid(2u), which has no cancellation for negative x.
const geluTanh: Fn = (v) => v / (1 + Math.exp(-2 * SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
const BIG_FNS: Partial<Record<UnaryName, (v: bigint) => bigint>> = {
  relu: (v) => (v < 0n ? 0n : v),
  abs: (v) => (v < 0n ? -v : v),
  neg: (v) => -v,
};

/** relu/abs/neg also take integers (ONNX), wrapping like C (abs and neg of the minimum stay the minimum). */
const INTEGER_OK: readonly UnaryName[] = ['relu', 'abs', 'neg'];

function defineUnary<A extends UnaryAttrs>(name: UnaryName, flopsPerElement: number, extraKeys: readonly string[] = [],
  code: (attrs: A | undefined) => number = () => UNARY_CODE[name]): OpDef<A, UnaryInfo> {
  return defineOp<A, UnaryInfo>({
    name,
    infer(inputs, attrs) {
      knownKeys(name, attrs, ['device', ...extraKeys]);
      const x = requireInput(name, 'x', inputs[0]);
      if (INTEGER_OK.includes(name)) requireNumeric(name, 'x', x);
      else requireFloat(name, 'x', x);
      if (name !== 'abs' && x.dtype.startsWith('uint')) fail('DTYPE_UNSUPPORTED', name, 'x dtype', 'a float or signed integer dtype', x.dtype);
      return Object.freeze({ outputs: outputOf(x.shape, x.dtype), op: name, shape: x.shape, dtype: x.dtype, code: code(attrs) });
    },
    cost(info) {
      const n = sizeOf(info.shape);
      return { flops: flopsPerElement * n, bytes: 2 * n * bytesPerElement(info.dtype) };
    },
    reference(info, [x], [y]) {
      if (isBigIntDType(info.dtype)) {
        const fn = BIG_FNS[name]!, xd = x!.data as unknown as bigint[], out = y as unknown as bigint[];
        stridedWalk(info.shape, [x!], (i, [ix]) => { out[i] = fn(xd[ix!]!); });
        return;
      }
      const fn = info.code === 4 ? geluTanh : UNARY_FNS[name];
      const read = rawReader(x!), store = storeNumber(info.dtype, y!);
      stridedWalk(info.shape, [x!], (i, [ix]) => store(i, fn(read(ix!))));
    },
  });
}

export const relu = defineUnary('relu', 1);
export const sigmoid = defineUnary('sigmoid', 4);
export const tanh = defineUnary('tanh', 4);
/** ONNX Gelu (opset 20). */
export const gelu = defineUnary<GeluAttrs>('gelu', 8, ['approximate'],
  (attrs) => (oneOf('gelu', 'approximate', attrs?.approximate, ['none', 'tanh'] as const, 'none') === 'tanh' ? 4 : 3));
export const exp = defineUnary('exp', 4);
export const log = defineUnary('log', 4);
export const abs = defineUnary('abs', 1);
export const neg = defineUnary('neg', 1);
export const sqrt = defineUnary('sqrt', 1);
export const erfOp = defineUnary('erf', 8);
export const reciprocal = defineUnary('reciprocal', 1);

export const unaryOps: Readonly<Record<UnaryName, OpDef<any, UnaryInfo>>> = {
  relu, sigmoid, tanh, gelu, exp, log, abs, neg, sqrt, erf: erfOp, reciprocal,
};

export interface ClipAttrs {
  /** Lower bound (default: none). For integer dtypes, an integer. */
  min?: number;
  /** Upper bound (default: none). If min > max every element becomes max (ONNX Clip). */
  max?: number;
  device?: string;
}

export interface ClipInfo extends OpInfo {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Bounds as the dtype stores them (float32 bounds rounded to float32). */
  readonly min: number;
  readonly max: number;
}

/** ONNX Clip: y = min(max(x, min), max); NaN stays NaN. Bounds are options here (ONNX passes them as inputs). */
export const clip = defineOp<ClipAttrs, ClipInfo>({
  name: 'clip',
  infer(inputs, attrs) {
    knownKeys('clip', attrs, ['min', 'max', 'device']);
    const x = requireInput('clip', 'x', inputs[0]);
    requireNumeric('clip', 'x', x);
    let lo = number('clip', 'min', attrs?.min, -Infinity), hi = number('clip', 'max', attrs?.max, Infinity);
    if (isIntegerDType(x.dtype)) {
      for (const [key, v] of [['min', lo], ['max', hi]] as const) {
        if (Number.isFinite(v) && !Number.isSafeInteger(v)) fail('BAD_ATTRIBUTE', 'clip', key, `a safe integer for ${x.dtype} input`, v);
      }
    } else if (x.dtype === 'float32') {
      lo = Math.fround(lo);
      hi = Math.fround(hi);
    }
    if (lo > hi) lo = hi; // ONNX: min > max sets everything (but NaN) to max
    return Object.freeze({ outputs: outputOf(x.shape, x.dtype), shape: x.shape, dtype: x.dtype, min: lo, max: hi });
  },
  cost(info) {
    const n = sizeOf(info.shape);
    return { flops: 2 * n, bytes: 2 * n * bytesPerElement(info.dtype) };
  },
  reference(info, [x], [y]) {
    if (isBigIntDType(info.dtype)) {
      // Compare exactly in BigInt; an infinite bound is no bound.
      const lo = Number.isFinite(info.min) ? BigInt(info.min) : undefined;
      const hi = Number.isFinite(info.max) ? BigInt(info.max) : undefined;
      const xd = x!.data as unknown as bigint[], out = y as unknown as bigint[];
      stridedWalk(info.shape, [x!], (i, [ix]) => {
        let v = xd[ix!]!;
        if (lo !== undefined && v < lo) v = lo;
        if (hi !== undefined && v > hi) v = hi;
        out[i] = v;
      });
      return;
    }
    const read = rawReader(x!), store = storeNumber(info.dtype, y!);
    const { min: lo, max: hi } = info;
    stridedWalk(info.shape, [x!], (i, [ix]) => {
      const v = read(ix!);
      store(i, Number.isNaN(v) ? v : Math.min(Math.max(v, lo), hi));
    });
  },
});

