import { fail, show } from '../errors.js';
import type { TensorMeta } from '../tensor.js';
import { isFloatDType, type DType } from '../dtype.js';

/** Attribute readers: each validates and names the op and attribute in its error. */

export function intList(op: string, name: string, value: unknown, length: number, min: number, fallback: number): number[] {
  if (value === undefined) return new Array<number>(length).fill(fallback);
  if (!Array.isArray(value) || value.length !== length || !value.every((v) => Number.isInteger(v) && v >= min)) {
    fail('BAD_ATTRIBUTE', op, name, `an array of ${length} integers >= ${min}`, value);
  }
  return [...value];
}

export function integer(op: string, name: string, value: unknown, fallback: number, min = -Infinity, max = Infinity): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    fail('BAD_ATTRIBUTE', op, name, `an integer in [${min}, ${max}]`, value);
  }
  return value as number;
}

export function number(op: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) fail('BAD_ATTRIBUTE', op, name, 'a number', value);
  return value;
}

export function boolean(op: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  fail('BAD_ATTRIBUTE', op, name, 'a boolean', value);
}

export function oneOf<T extends string>(op: string, name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) fail('BAD_ATTRIBUTE', op, name, `one of ${allowed.map((a) => show(a)).join('|')}`, value);
  return value as T;
}

/** Rejects unknown option names, so typos do not pass silently. */
export function knownKeys(op: string, attrs: object | undefined, allowed: readonly string[]): void {
  if (attrs === undefined || attrs === null) return;
  if (typeof attrs !== 'object') fail('BAD_ATTRIBUTE', op, 'options', 'an object', attrs);
  for (const k of Object.keys(attrs)) {
    if (!allowed.includes(k) && (attrs as Record<string, unknown>)[k] !== undefined) {
      fail('BAD_ATTRIBUTE', op, `option ${show(k)}`, `one of ${allowed.join(', ')}`, k);
    }
  }
}

export function requireInput(op: string, name: string, t: TensorMeta | undefined): TensorMeta {
  if (!t) fail('BAD_ARGUMENT', op, name, 'a Tensor', t);
  return t;
}

export function requireRank(op: string, name: string, t: TensorMeta, rank: number, layout?: string): void {
  if (t.shape.length !== rank) fail('SHAPE_MISMATCH', op, `${name} rank`, `${rank}${layout ? ` (${layout})` : ''}`, `${t.shape.length} (shape ${show(t.shape)})`);
}

export function requireFloat(op: string, name: string, t: TensorMeta): void {
  if (!isFloatDType(t.dtype)) fail('DTYPE_UNSUPPORTED', op, `${name} dtype`, 'float32, float64 or float16', t.dtype);
}

export function requireSameDType(op: string, name: string, t: TensorMeta, dtype: DType): void {
  if (t.dtype !== dtype) fail('DTYPE_UNSUPPORTED', op, `${name} dtype`, `${dtype} (the first input's dtype)`, t.dtype);
}

export function requireNumeric(op: string, name: string, t: TensorMeta): void {
  if (t.dtype === 'bool') fail('DTYPE_UNSUPPORTED', op, `${name} dtype`, 'a numeric dtype', t.dtype);
}

/** Internal fused activation carried by conv/matmul/gemm (set by the graph's fusion pass). */
export type FusedActivation = 'none' | 'relu';
export function activation(op: string, value: unknown): FusedActivation {
  return oneOf(op, 'activation', value, ['none', 'relu'] as const, 'none');
}

/**
 * matmul/gemm arithmetic for float32: 'highest' (fp32 products and sums, the default) or 'tf32'
 * (tensor cores may round inputs to 10 mantissa bits, sums stay fp32). Devices without a TF32
 * path compute 'tf32' in fp32.
 */
export type Precision = 'highest' | 'tf32';

/** The precision asked for, or undefined (the device's default: 'highest' except where configured). */
export function precision(op: string, value: unknown): Precision | undefined {
  return value === undefined ? undefined : oneOf(op, 'precision', value, ['highest', 'tf32'] as const, 'highest');
}

/** Activations conv2d fuses into its epilogue: relu, and gelu (exact) and sigmoid as well. */
export type ConvActivation = FusedActivation | 'gelu' | 'sigmoid';

export function convActivation(op: string, value: unknown): ConvActivation {
  return oneOf(op, 'activation', value, ['none', 'relu', 'gelu', 'sigmoid'] as const, 'none');
}

export function applyActivation(a: FusedActivation, v: number): number {
  return a === 'relu' ? (v > 0 ? v : 0) : v;
}
