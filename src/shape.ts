import { fail, show } from './errors.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) element strides. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function isContiguous(shape: Shape, strides: Shape): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/** Calls visit(storage index) for every element of a strided box, row-major. */
export function forEachIndex(shape: Shape, strides: Shape, base: number, visit: (index: number) => void): void {
  const n = sizeOf(shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let at = base;
  for (let i = 0; i < n; i++) {
    visit(at);
    for (let d = rank - 1; d >= 0; d--) {
      at += strides[d]!;
      if (++idx[d]! < shape[d]!) break;
      at -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

export function checkShape(op: string, argument: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) fail('BAD_ARGUMENT', op, argument, 'an array of non-negative integers', shape);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) fail('BAD_ARGUMENT', op, argument, 'an array of non-negative integers', shape);
  }
  return [...shape];
}

/** Resolves a possibly negative axis against rank; throws BAD_ATTRIBUTE when out of range. */
export function normalizeAxis(op: string, argument: string, axis: unknown, rank: number): number {
  if (!Number.isInteger(axis) || (axis as number) < -rank || (axis as number) >= Math.max(rank, 1)) {
    fail('BAD_ATTRIBUTE', op, argument, `an integer in [${-rank}, ${Math.max(rank, 1) - 1}]`, axis);
  }
  const a = axis as number;
  return a < 0 ? a + rank : a;
}

/** Resolves an axes list against rank: integers in [-rank, rank-1], no axis named twice; ascending. Throws BAD_ATTRIBUTE. */
export function normalizeAxes(op: string, value: unknown, rank: number): number[] {
  if (!Array.isArray(value)) fail('BAD_ATTRIBUTE', op, 'axes', 'an array of integers', value);
  const axes = value.map((a) => {
    if (!Number.isInteger(a) || a < -rank || a >= rank) fail('BAD_ATTRIBUTE', op, 'axes', `integers in [${-rank}, ${rank - 1}] (rank ${rank})`, value);
    return a < 0 ? a + rank : a;
  });
  if (new Set(axes).size !== axes.length) fail('BAD_ATTRIBUTE', op, 'axes', 'distinct axes', value);
  return axes.sort((a, b) => a - b);
}

/** numpy/ONNX multidirectional broadcasting of two shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      fail('SHAPE_MISMATCH', op, 'input shapes', `broadcastable`, `${show(a)} and ${show(b)}`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read `shape`/`strides` as if broadcast to `outShape` (0 on broadcast axes). */
export function broadcastStrides(shape: Shape, strides: Shape, outShape: Shape): number[] {
  const rank = outShape.length;
  const out = new Array<number>(rank).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const o = rank - shape.length + i;
    out[o] = shape[i] === 1 && outShape[o] !== 1 ? 0 : strides[i]!;
  }
  return out;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
